// The emitted GEMM against two independent oracles: a naive GEMM accumulating in double, and
// Eigen's GEMM. Shapes cover 1x1x1, odd tails on every dimension, several cache blocks in
// each dimension, transposes, alpha/beta, fused bias and Relu, pre-packed B and range splits.

#include "backends/llvm/gemm/gemm_jit.h"
#include "backends/llvm/gemm/gemm_parallel.h"

#include <Eigen/Core>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <tuple>
#include <vector>

namespace kiln::llvmgemm {
namespace {

struct Problem {
  int64_t m, n, k;
  bool transA = false, transB = false;
  float alpha = 1.f, beta = 0.f;
  GemmBias bias = GemmBias::None;
  GemmActivation activation = GemmActivation::None;
};

std::vector<float> randomVector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

/// The oracle: C = act(alpha * op(A) op(B) + beta * C + bias), accumulated in double.
std::vector<float> naiveGemm(const Problem& p, const std::vector<float>& a, const std::vector<float>& b,
                             std::vector<float> c, const std::vector<float>& bias) {
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      double sum = 0;
      for (int64_t l = 0; l < p.k; ++l) {
        double x = p.transA ? a[l * p.m + i] : a[i * p.k + l];
        double y = p.transB ? b[j * p.k + l] : b[l * p.n + j];
        sum += x * y;
      }
      double r = p.alpha * sum + (p.beta != 0 ? p.beta * double(c[i * p.n + j]) : 0.0);
      if (p.bias == GemmBias::PerColumn) r += bias[j];
      if (p.bias == GemmBias::PerRow) r += bias[i];
      if (p.activation == GemmActivation::Relu) r = r > 0 ? r : 0;
      c[i * p.n + j] = static_cast<float>(r);
    }
  return c;
}

/// Error bound for a float dot product of length k with inputs in [-1, 1]: grows like
/// sqrt(k) for random signs; a generous constant keeps it robust across blockings.
float tolerance(int64_t k) { return 1e-5f * (4.f + 2.f * std::sqrt(static_cast<float>(k))); }

/// One JIT module per distinct configuration, shared across tests (compiling costs ~50 ms).
const CompiledGemm& compiledFor(bool transA, bool transB, bool prepacked, GemmBias bias,
                                GemmActivation activation, const GemmTiling& tiling) {
  static std::map<std::tuple<bool, bool, bool, int, int, int, int, int>, CompiledGemm> cache;
  auto key = std::make_tuple(transA, transB, prepacked, int(bias), int(activation), tiling.kc, tiling.mc, tiling.nc);
  auto it = cache.find(key);
  if (it == cache.end()) {
    GemmConfig config;
    config.name = "gemm_under_test";
    config.transA = transA;
    config.transB = transB;
    config.prepackedB = prepacked;
    config.bias = bias;
    config.activation = activation;
    config.tiling = tiling;
    auto compiled = compileGemm(config);
    EXPECT_TRUE(compiled.hasValue()) << (compiled ? "" : compiled.status().str());
    it = cache.emplace(key, compiled.take()).first;
  }
  return it->second;
}

struct RunOptions {
  bool prepacked = false;
  int threads = 0;  ///< when set, run through runGemmParallel instead of explicit splits
  GemmTiling tiling = hostGemmTiling();
  int rowSplits = 1;  ///< run the row range in this many pieces (as threads would)
  int colSplits = 1;  ///< column pieces, multiples of nr
};

std::vector<float> runKiln(const Problem& p, const std::vector<float>& a, const std::vector<float>& b,
                           std::vector<float> c, const std::vector<float>& bias, const RunOptions& o) {
  const CompiledGemm& g = compiledFor(p.transA, p.transB, o.prepacked, p.bias, p.activation, o.tiling);
  const int64_t lda = p.transA ? p.m : p.k;
  const int64_t ldb = p.transB ? p.k : p.n;
  std::vector<float> packed;
  const float* bArg = b.data();
  if (o.prepacked) {
    packed.assign(packedBFloats(o.tiling, p.n, p.k), std::numeric_limits<float>::quiet_NaN());
    g.packB(p.n, p.k, b.data(), ldb, packed.data());
    bArg = packed.data();
  }
  if (o.threads > 0) {
    std::vector<float> workspace(o.threads * gemmWorkspaceFloats(o.tiling));
    GemmArgs args{p.m, p.n, p.k, a.data(), lda, bArg, ldb, c.data(), p.n, p.alpha, p.beta,
                  bias.empty() ? nullptr : bias.data()};
    runGemmParallel(g, args, o.threads, workspace.data());
    return c;
  }
  std::vector<float> workspace(gemmWorkspaceFloats(o.tiling));
  const int64_t nr = o.tiling.nr;
  for (int rs = 0; rs < o.rowSplits; ++rs)
    for (int cs = 0; cs < o.colSplits; ++cs) {
      int64_t r0 = p.m * rs / o.rowSplits, r1 = p.m * (rs + 1) / o.rowSplits;
      int64_t panels = (p.n + nr - 1) / nr;
      int64_t c0 = std::min(p.n, panels * cs / o.colSplits * nr);
      int64_t c1 = std::min(p.n, panels * (cs + 1) / o.colSplits * nr);
      g.run(p.m, p.n, p.k, a.data(), lda, bArg, ldb, c.data(), p.n, p.alpha, p.beta,
            bias.empty() ? nullptr : bias.data(), r0, r1, c0, c1, workspace.data());
    }
  return c;
}

/// Every element within tol (relative to max(1, |expected|)); names the first few misses.
testing::AssertionResult allClose(const std::vector<float>& expected, const std::vector<float>& actual,
                                  float tol) {
  if (expected.size() != actual.size()) return testing::AssertionFailure() << "sizes differ";
  size_t bad = 0;
  auto failure = testing::AssertionFailure();
  for (size_t i = 0; i < expected.size(); ++i) {
    float err = std::fabs(expected[i] - actual[i]);
    if (err <= tol * std::max(1.f, std::fabs(expected[i]))) continue;
    if (++bad <= 3) failure << "element " << i << " expected " << expected[i] << " got " << actual[i] << "; ";
  }
  if (bad == 0) return testing::AssertionSuccess();
  return failure << bad << " of " << expected.size() << " elements off by more than " << tol;
}

void check(const Problem& p, const RunOptions& options = {}) {
  auto a = randomVector(p.m * p.k, 1);
  auto b = randomVector(p.k * p.n, 2);
  // beta == 0 must ignore C entirely, NaN included.
  auto c = p.beta == 0 ? std::vector<float>(p.m * p.n, std::numeric_limits<float>::quiet_NaN())
                       : randomVector(p.m * p.n, 3);
  std::vector<float> bias;
  if (p.bias == GemmBias::PerColumn) bias = randomVector(p.n, 4);
  if (p.bias == GemmBias::PerRow) bias = randomVector(p.m, 4);
  std::string what = std::to_string(p.m) + "x" + std::to_string(p.n) + "x" + std::to_string(p.k) +
                     (p.transA ? " A^T" : "") + (p.transB ? " B^T" : "") + (options.prepacked ? " packed" : "");
  EXPECT_TRUE(allClose(naiveGemm(p, a, b, c, bias), runKiln(p, a, b, c, bias, options), tolerance(p.k))) << what;
}

TEST(EmittedGemm, TinyAndOddShapes) {
  for (int64_t m : {1, 2, 5, 6, 7, 13})
    for (int64_t n : {1, 3, 8, 15, 16, 17, 33})
      for (int64_t k : {1, 2, 7, 16}) check({m, n, k});
}

TEST(EmittedGemm, ShapesFromModels) {
  check({1, 1000, 512});
  check({128, 768, 768});
  check({49, 64, 576});  // a slice of the conv-shaped 3136x64x576
  check({97, 131, 300});
}

TEST(EmittedGemm, SeveralCacheBlocksInEveryDimension) {
  // Small blocks force many jc, pc and ic iterations with ragged last blocks.
  RunOptions small;
  small.tiling.kc = 32;
  small.tiling.mc = 2 * small.tiling.mr;
  small.tiling.nc = 3 * small.tiling.nr;
  check({41, 157, 101}, small);
  check({41, 157, 101, false, false, 0.5f, 2.f, GemmBias::PerColumn, GemmActivation::Relu}, small);
}

TEST(EmittedGemm, Transposes) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check({23, 37, 19, ta, tb});
      check({64, 48, 300, ta, tb});
    }
}

TEST(EmittedGemm, AlphaBeta) {
  check({19, 45, 33, false, false, 2.5f, 0.f});
  check({19, 45, 33, false, false, 1.f, 1.f});
  check({19, 45, 33, false, false, -0.5f, 0.75f});
  check({19, 45, 600, true, false, 0.25f, -1.f});
}

TEST(EmittedGemm, BiasAndRelu) {
  check({17, 40, 29, false, false, 1.f, 0.f, GemmBias::PerColumn, GemmActivation::None});
  check({17, 40, 29, false, false, 1.f, 0.f, GemmBias::PerColumn, GemmActivation::Relu});
  check({17, 40, 29, false, true, 1.f, 0.f, GemmBias::PerRow, GemmActivation::Relu});
  check({17, 40, 29, false, false, 1.f, 0.f, GemmBias::None, GemmActivation::Relu});
  // K spans several blocks: Relu must see the full sum, not a partial one.
  check({17, 40, 700, false, false, 1.f, 0.5f, GemmBias::PerColumn, GemmActivation::Relu});
}

TEST(EmittedGemm, EmptyKAppliesBetaAndEpilogue) {
  check({5, 9, 0, false, false, 1.f, 0.5f});
  check({5, 9, 0, false, false, 1.f, 0.f, GemmBias::PerColumn, GemmActivation::Relu});
}

TEST(EmittedGemm, PrepackedB) {
  RunOptions packed;
  packed.prepacked = true;
  check({1, 1000, 512}, packed);
  check({33, 70, 300}, packed);
  check({33, 70, 300, false, true}, packed);
  check({33, 70, 300, true, false, 1.f, 0.f, GemmBias::PerColumn, GemmActivation::Relu}, packed);
}

TEST(EmittedGemm, RangeSplitsCoverTheMatrix) {
  RunOptions rows;
  rows.rowSplits = 3;
  check({50, 70, 40}, rows);
  RunOptions cols;
  cols.colSplits = 3;
  check({50, 70, 40, false, false, 1.f, 0.5f}, cols);
  RunOptions both = cols;
  both.rowSplits = 2;
  both.prepacked = true;
  check({50, 70, 40, false, false, 1.f, 0.f, GemmBias::PerColumn, GemmActivation::Relu}, both);
}

TEST(EmittedGemm, FewRowsTakeTheRowKernel) {
  // Fewer rows than a register tile run unpacked, one row at a time, over all of K.
  RunOptions singleRows;
  singleRows.rowSplits = 31;
  check({31, 300, 700, false, false, 0.5f, 0.25f, GemmBias::PerRow, GemmActivation::Relu}, singleRows);
  check({31, 300, 70, true, false, 1.f, 0.f, GemmBias::PerColumn, GemmActivation::Relu}, singleRows);
  check({31, 45, 70, false, true}, singleRows);  // transposed B keeps the packed path
  singleRows.prepacked = true;
  check({31, 300, 70, false, false, 1.f, 0.5f, GemmBias::PerColumn, GemmActivation::None}, singleRows);
  check({3, 1000, 512, false, true}, singleRows);
}

TEST(EmittedGemm, ThreadsSplitRowsOrColumns) {
  for (int threads : {2, 3}) {
    RunOptions o;
    o.threads = threads;
    check({200, 130, 90, false, false, 1.f, 0.5f, GemmBias::PerColumn, GemmActivation::Relu}, o);  // rows
    check({1, 1000, 512}, o);                                                                     // columns
    check({7, 33, 20, true, true}, o);
    o.prepacked = true;
    check({200, 130, 90}, o);
    check({2, 300, 64, false, false, 1.f, 0.f, GemmBias::PerRow, GemmActivation::None}, o);
  }
}

TEST(EmittedGemm, EmptyRangeLeavesCUntouched) {
  const CompiledGemm& g = compiledFor(false, false, false, GemmBias::None, GemmActivation::None, hostGemmTiling());
  std::vector<float> a(4, 1.f), b(4, 1.f), c(4, 7.f), workspace(gemmWorkspaceFloats(hostGemmTiling()));
  g.run(2, 2, 2, a.data(), 2, b.data(), 2, c.data(), 2, 1.f, 0.f, nullptr, 1, 1, 0, 2, workspace.data());
  EXPECT_EQ(c, std::vector<float>(4, 7.f));
}

TEST(EmittedGemm, AgreesWithEigenOnALargeProduct) {
  const int64_t m = 256, n = 384, k = 1024;
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  auto a = randomVector(m * k, 5), b = randomVector(k * n, 6);
  RowMajor expected = Eigen::Map<RowMajor>(a.data(), m, k) * Eigen::Map<RowMajor>(b.data(), k, n);
  auto c = runKiln({m, n, k}, a, b, std::vector<float>(m * n), {}, {});
  EXPECT_TRUE(allClose(std::vector<float>(expected.data(), expected.data() + m * n), c, tolerance(k)));
}

TEST(EmittedGemm, OracleDetectsAWrongResult) {
  // The comparison itself must be able to fail.
  std::vector<float> expected{1.f, 2.f}, wrong{1.f, 2.01f};
  EXPECT_FALSE(allClose(expected, wrong, tolerance(8)));
  EXPECT_TRUE(allClose(expected, expected, tolerance(8)));
}

}  // namespace
}  // namespace kiln::llvmgemm
