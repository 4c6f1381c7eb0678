// Validation metrics and verdicts on small hand-made tensors; every expected number is worked
// out by hand in the comment beside it.

#include "tools/lib/validation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace kiln::tools {
namespace {

Tensor f64(std::vector<double> values) {
  int64_t n = static_cast<int64_t>(values.size());
  return Tensor::fromVector<double>(DType::Float64, {n}, values);
}
Tensor f32(std::vector<float> values) {
  int64_t n = static_cast<int64_t>(values.size());
  return Tensor::fromVector<float>(DType::Float32, {n}, values);
}

TEST(ValidationMetrics, MaxAbsDiffMseCosineByHand) {
  // diffs 0,0,0,0.5: max 0.5, MSE 0.25/4, mean 0.5/4;
  // cosine = (1+4+9+18) / sqrt((1+4+9+16) * (1+4+9+20.25)) = 32 / sqrt(30 * 34.25)
  auto c = compareOutput("y", f64({1, 2, 3, 4}), f64({1, 2, 3, 4.5}), {});
  EXPECT_TRUE(c.compared);
  EXPECT_DOUBLE_EQ(c.maxAbsDiff, 0.5);
  EXPECT_DOUBLE_EQ(c.mse, 0.0625);
  EXPECT_DOUBLE_EQ(c.meanAbsDiff, 0.125);
  EXPECT_NEAR(c.cosine, 32 / std::sqrt(30 * 34.25), 1e-12);
  EXPECT_EQ(c.maxDiffIndex, 3);
  EXPECT_DOUBLE_EQ(c.referenceAtMax, 4);
  EXPECT_DOUBLE_EQ(c.candidateAtMax, 4.5);
  EXPECT_EQ(c.verdict, Verdict::Fail);
}

TEST(ValidationMetrics, OppositeVectorsHaveCosineMinusOne) {
  auto c = compareOutput("y", f64({1, -2}), f64({-1, 2}), {});
  EXPECT_NEAR(c.cosine, -1, 1e-12);
  EXPECT_DOUBLE_EQ(c.maxAbsDiff, 4);
}

TEST(ValidationMetrics, HistogramCountsElementsAboveEachThreshold) {
  // Offsets 0, 1.5e-6, 3e-6, 6e-6, 2e-5, 2e-4 and four zeros over ten elements:
  // above 1e-6: 5, above 2e-6: 4, above 5e-6: 3, above 1e-5: 2, above 1e-4: 1.
  std::vector<double> ref = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::vector<double> offsets = {0, 1.5e-6, 3e-6, 6e-6, 2e-5, 2e-4, 0, 0, 0, 0};
  std::vector<double> cand(ref);
  for (size_t i = 0; i < ref.size(); ++i) cand[i] += offsets[i];
  auto c = compareOutput("y", f64(ref), f64(cand), {});
  EXPECT_DOUBLE_EQ(c.shareAbove[0], 0.5);
  EXPECT_DOUBLE_EQ(c.shareAbove[1], 0.4);
  EXPECT_DOUBLE_EQ(c.shareAbove[2], 0.3);
  EXPECT_DOUBLE_EQ(c.shareAbove[3], 0.2);
  EXPECT_DOUBLE_EQ(c.shareAbove[4], 0.1);
}

TEST(ValidationVerdict, DefaultThresholdsArePassBelow1e5WarnBelow1e4) {
  auto verdictFor = [](double diff) { return compareOutput("y", f64({1, 2}), f64({1, 2 + diff}), {}).verdict; };
  EXPECT_EQ(verdictFor(0), Verdict::Pass);
  EXPECT_EQ(verdictFor(5e-6), Verdict::Pass);
  EXPECT_EQ(verdictFor(2e-5), Verdict::Warn);
  EXPECT_EQ(verdictFor(9e-5), Verdict::Warn);
  EXPECT_EQ(verdictFor(2e-4), Verdict::Fail);
  EXPECT_EQ(verdictFor(-2e-4), Verdict::Fail);
}

TEST(ValidationVerdict, AtolAndRtolMoveTheThresholds) {
  // diff 5e-6: PASS at the default atol, WARN at atol 1e-6 (5x), FAIL at atol 1e-7 (50x).
  EXPECT_EQ(compareOutput("y", f64({1, 2}), f64({1, 2 + 5e-6}), {.atol = 1e-6}).verdict, Verdict::Warn);
  EXPECT_EQ(compareOutput("y", f64({1, 2}), f64({1, 2 + 5e-6}), {.atol = 1e-7}).verdict, Verdict::Fail);
  // diff 1e-3 on 100: FAIL by atol alone; rtol 1e-5 adds 1e-3 to the bound: 1e-3 < 1.01e-3, PASS.
  EXPECT_EQ(compareOutput("y", f64({100, 200}), f64({100.001, 200}), {}).verdict, Verdict::Fail);
  EXPECT_EQ(compareOutput("y", f64({100, 200}), f64({100.001, 200}), {.atol = 1e-5, .rtol = 1e-5}).verdict,
            Verdict::Pass);
  // A zero tolerance passes only exact equality.
  EXPECT_EQ(compareOutput("y", f64({1, 2}), f64({1, 2}), {.atol = 0}).verdict, Verdict::Pass);
  EXPECT_EQ(compareOutput("y", f64({1, 2}), f64({1, 2 + 1e-12}), {.atol = 0}).verdict, Verdict::Fail);
}

TEST(ValidationVerdict, NanOrInfInOneOutputOnlyFails) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  auto c = compareOutput("y", f64({1, 2, 3}), f64({1, nan, 3}), {});
  EXPECT_EQ(c.verdict, Verdict::Fail);
  EXPECT_EQ(c.candidate.nan, 1);
  EXPECT_EQ(c.reference.nan, 0);
  EXPECT_EQ(c.maxAbsDiff, 0);  // the finite elements agree; the NaN alone fails it

  auto i = compareOutput("y", f64({1, inf, -inf}), f64({1, 2, -inf}), {});
  EXPECT_EQ(i.verdict, Verdict::Fail);
  EXPECT_EQ(i.reference.posInf, 1);
  EXPECT_EQ(i.reference.negInf, 1);
  EXPECT_EQ(i.candidate.negInf, 1);
}

TEST(ValidationVerdict, NanAtTheSamePlaceInBothWarns) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto c = compareOutput("y", f64({1, nan, 3}), f64({1, nan, 3}), {});
  EXPECT_EQ(c.verdict, Verdict::Warn);
  EXPECT_FALSE(c.problems.empty());
}

TEST(ValidationVerdict, ConstantOrAllZeroOutputsFail) {
  auto zero = compareOutput("y", f32({1, 2, 3}), f32({0, 0, 0}), {});
  EXPECT_EQ(zero.verdict, Verdict::Fail);
  EXPECT_TRUE(zero.candidate.allZero);
  EXPECT_TRUE(zero.candidate.constant);
  ASSERT_FALSE(zero.problems.empty());
  EXPECT_NE(zero.problems.back().find("all zero"), std::string::npos);

  // Equal but constant: the comparison proves nothing, so it still fails.
  auto same = compareOutput("y", f32({0.5f, 0.5f, 0.5f}), f32({0.5f, 0.5f, 0.5f}), {});
  EXPECT_EQ(same.maxAbsDiff, 0);
  EXPECT_EQ(same.verdict, Verdict::Fail);
  EXPECT_TRUE(same.reference.constant);

  // One element cannot be "constant"; a single equal value passes.
  EXPECT_EQ(compareOutput("y", f32({0}), f32({0}), {}).verdict, Verdict::Pass);
}

TEST(ValidationVerdict, ShapeAndDtypeMismatchesFailWithoutMetrics) {
  auto shape = compareOutput("y", f32({1, 2, 3}), f32({1, 2}), {});
  EXPECT_EQ(shape.verdict, Verdict::Fail);
  EXPECT_FALSE(shape.compared);
  ASSERT_EQ(shape.problems.size(), 1u);
  EXPECT_EQ(shape.problems[0], "shape differs: reference [3], candidate [2]");

  auto dtype = compareOutput("y", f32({1, 2}), f64({1, 2}), {});
  EXPECT_EQ(dtype.verdict, Verdict::Fail);
  EXPECT_EQ(dtype.problems[0], "dtype differs: reference f32, candidate f64");
}

TEST(ValidationVerdict, IntegerOutputsMustBeEqual) {
  auto i64 = [](std::vector<int64_t> v) {
    return Tensor::fromVector<int64_t>(DType::Int64, {static_cast<int64_t>(v.size())}, v);
  };
  EXPECT_EQ(compareOutput("idx", i64({3, 1, 2}), i64({3, 1, 2}), {}).verdict, Verdict::Pass);
  auto c = compareOutput("idx", i64({3, 1, 2}), i64({3, 1, 7}), {.atol = 100});
  EXPECT_EQ(c.verdict, Verdict::Fail);  // a tolerance does not apply to integers
  EXPECT_DOUBLE_EQ(c.maxAbsDiff, 5);
}

TEST(ValidationResult, OutputCountMismatchFailsAndWorstVerdictWins) {
  auto r = compareOutputs({"a", "b"}, {f64({1, 2}), f64({1, 2})}, {f64({1, 2})}, {});
  EXPECT_EQ(r.verdict, Verdict::Fail);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0], "output count differs: reference has 2, candidate has 1");
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].verdict, Verdict::Pass);

  auto w = compareOutputs({"a"}, {f64({1, 2}), f64({1, 2})}, {f64({1, 2}), f64({1, 2 + 5e-5})}, {});
  EXPECT_EQ(w.verdict, Verdict::Warn);
  EXPECT_EQ(w.outputs[1].name, "output_1");
  EXPECT_EQ(verdictName(w.verdict), "WARN");
}

}  // namespace
}  // namespace kiln::tools
