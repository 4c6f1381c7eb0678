// The fusion DSL's matcher on its own: DAG bindings, commutative orders, backtracking past an
// early choice, the escape check, and which failure a near miss reports.

#include <gtest/gtest.h>

#include "ir/parser.h"
#include "passes/fusion/pattern.h"
#include "passes/pass_manager.h"

namespace kiln::fusion {
namespace {

Model parse(std::string_view text) {
  auto m = parseModel(text);
  EXPECT_TRUE(m.hasValue()) << m.status().str();
  return m.take();
}

/// The node producing graph output `i`.
Node* outputNode(const Model& m, size_t i = 0) { return m.graph->output(i)->producer(); }

FusionPattern pattern(std::vector<P> roots) { return {"test", "", 1, std::move(roots), nullptr, nullptr}; }

TEST(FusionMatcher, BindsTheSameValueAtEveryUseInEitherOperandOrder) {
  Model m = parse(
      "graph @g(%x: f32[4], %z: f32[4]) -> (%a: f32[4], %b: f32[4]) {\n"
      "  %s = Sigmoid(%x) : f32[4]\n"
      "  %a = Mul(%s, %x) : f32[4]\n"
      "  %t = Sigmoid(%z) : f32[4]\n"
      "  %b = Mul(%x, %t) : f32[4]\n"
      "  return %a, %b\n"
      "}\n");
  P x = capture("x");
  FusionPattern p = pattern({op("Mul", {x, op("Sigmoid", {x})})});
  auto hit = matchPattern(p, outputNode(m, 0), nullptr);
  ASSERT_TRUE(hit.has_value());  // Mul(%s, %x): found by swapping the commutative operands
  EXPECT_EQ(hit->value("x")->name(), "x");
  EXPECT_EQ(hit->nodes().size(), 2u);
  NearMiss miss;
  EXPECT_FALSE(matchPattern(p, outputNode(m, 1), &miss).has_value());  // sigmoid of another value
  EXPECT_EQ(miss.condition, "'x' is the same value at each use");
}

TEST(FusionMatcher, RevisitsAnEarlyChoiceWhenALaterCheckFails) {
  // The Add matches in its written order first (p = y, q = x); only the Neg, matched after the
  // Add's subtree succeeded, shows that q must be y: the matcher has to go back into the Add
  // and swap its operands.
  Model m = parse(
      "graph @g(%x: f32[4], %y: f32[4]) -> (%r: f32[4]) {\n"
      "  %a = Add(%y, %x) : f32[4]\n"
      "  %n = Neg(%y) : f32[4]\n"
      "  %r = Mul(%a, %n) : f32[4]\n"
      "  return %r\n"
      "}\n");
  FusionPattern p = pattern({op("Mul", {op("Add", {capture("p"), capture("q")}), op("Neg", {capture("q")})})});
  auto hit = matchPattern(p, outputNode(m), nullptr);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->value("p")->name(), "x");
  EXPECT_EQ(hit->value("q")->name(), "y");
}

TEST(FusionMatcher, RefusesAnIntermediateUsedOutsideAndNamesIt) {
  Model m = parse(
      "graph @g(%x: f32[4]) -> (%y: f32[4], %s: f32[4]) {\n"
      "  %s = Sigmoid(%x) : f32[4]\n"
      "  %y = Mul(%x, %s) : f32[4]\n"
      "  return %y, %s\n"
      "}\n");
  P x = capture("x");
  NearMiss miss;
  EXPECT_FALSE(matchPattern(pattern({op("Mul", {x, op("Sigmoid", {x})})}), outputNode(m), &miss).has_value());
  EXPECT_EQ(miss.condition, "intermediate %s has no use outside the pattern");
  ASSERT_NE(miss.at, nullptr);
  EXPECT_EQ(miss.at->opType(), "Sigmoid");
  EXPECT_EQ(miss.depth, 2u);
}

TEST(FusionMatcher, ReportsTheDeepestFailureAndItsNode) {
  Model m = parse(
      "graph @g(%x: f32[4]) -> (%y: f32[4]) {\n"
      "  %c = Constant() {value = dense<f32[], 0.6>} : f32[]\n"
      "  %e = Erf(%x) : f32[4]\n"
      "  %y = Mul(%e, %c) : f32[4]\n"
      "  return %y\n"
      "}\n");
  NearMiss miss;
  EXPECT_FALSE(matchPattern(pattern({op("Mul", {op("Erf", {capture("x")}), scalar(0.5)})}), outputNode(m), &miss));
  EXPECT_EQ(miss.condition, "constant scalar ~= 0.5");
  EXPECT_EQ(miss.depth, 2u);
}

TEST(FusePatterns, StatsCountEachPatternAndRemarksNeedTheFlag) {
  Model simple = parse(
      "graph @g(%x: f32[2,3], %w: f32[3,4], %w3: f32[2,3,4], %b: f32[4]) -> (%y: f32[2,4], %z: f32[2,2,4]) {\n"
      "  %s = Sigmoid(%x) : f32[2,3]\n"
      "  %sx = Mul(%x, %s) : f32[2,3]\n"
      "  %m = MatMul(%sx, %w) : f32[2,4]\n"
      "  %y = Add(%m, %b) : f32[2,4]\n"
      "  %m3 = MatMul(%x, %w3) : f32[2,2,4]\n"
      "  %z = Add(%m3, %b) : f32[2,2,4]\n"
      "  return %y, %z\n"
      "}\n");
  PassManager pm(PassManagerOptions{.verifyEach = true, .remarks = true});
  ASSERT_TRUE(pm.addPipeline("fuse-patterns,dce"));
  ASSERT_TRUE(pm.run(simple));
  EXPECT_EQ(pm.statistics().get("fuse-patterns", "silu"), 1);
  EXPECT_EQ(pm.statistics().get("fuse-patterns", "gemm"), 1);
  ASSERT_EQ(pm.context().remarks().size(), 1u);
  EXPECT_NE(pm.context().remarks()[0].find("pattern 'gemm' rooted at node '%z' (Add): condition 'MatMul operands are 2-D'"),
            std::string::npos)
      << pm.context().remarks()[0];

  Model again = parse(
      "graph @g(%x: f32[2,3], %w3: f32[2,3,4], %b: f32[4]) -> (%z: f32[2,2,4]) {\n"
      "  %m3 = MatMul(%x, %w3) : f32[2,2,4]\n"
      "  %z = Add(%m3, %b) : f32[2,2,4]\n"
      "  return %z\n"
      "}\n");
  PassManager quiet(PassManagerOptions{.verifyEach = true});
  ASSERT_TRUE(quiet.addPipeline("fuse-patterns"));
  ASSERT_TRUE(quiet.run(again));
  EXPECT_TRUE(quiet.context().remarks().empty());
}

}  // namespace
}  // namespace kiln::fusion
