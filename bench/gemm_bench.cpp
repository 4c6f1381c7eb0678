// kiln's emitted FP32 GEMM against Eigen's GEMM and the measured FP32 peak of one core, single
// thread, timed by CPU time (the default of Google Benchmark; the machine is shared, and wall
// time would count other processes). Every row reports GFLOP/s and its share of that peak (counter `peak_pct`).
// Shapes (M x N x K): square 1024^3, BERT-base projections (128x768x768, 128x3072x768), a
// classifier head (1x1000x512) and a conv as GEMM (3136x64x576: 56x56 outputs, 3x3x64 taps).

#include "backends/llvm/gemm/fma_peak_probe.h"
#include "backends/llvm/gemm/gemm_jit.h"
#include "backends/llvm/gemm/gemm_parallel.h"

#include <Eigen/Core>
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <tuple>
#include <vector>

namespace {

using kiln::llvmgemm::CompiledGemm;
using kiln::llvmgemm::GemmConfig;

double peakGflops() {
  static const double peak = [] {
    auto measured = kiln::llvmgemm::measureFp32PeakGflops();
    if (!measured) {
      std::fprintf(stderr, "FMA peak probe failed: %s\n", measured.status().str().c_str());
      std::exit(1);
    }
    std::fprintf(stderr, "measured FP32 peak, one core: %.1f GFLOP/s\n", *measured);
    return *measured;
  }();
  return peak;
}

const CompiledGemm& kilnGemm(bool prepacked) {
  static CompiledGemm compiled[2];
  CompiledGemm& g = compiled[prepacked];
  if (!g.run) {
    GemmConfig config;
    config.name = prepacked ? "bench_gemm_packed" : "bench_gemm";
    config.prepackedB = prepacked;
    config.tiling = kiln::llvmgemm::hostGemmTiling();
    auto result = kiln::llvmgemm::compileGemm(config);
    if (!result) {
      std::fprintf(stderr, "GEMM JIT failed: %s\n", result.status().str().c_str());
      std::exit(1);
    }
    g = result.take();
  }
  return g;
}

std::vector<float> randomVector(size_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void reportRate(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  const double flops = 2.0 * m * n * k;
  state.counters["GFLOPS"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  // Same rate scaled by the peak: percent of the measured FP32 peak of one core.
  state.counters["peak_pct"] = benchmark::Counter(flops * 1e-9 / peakGflops() * 100.0,
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

/// kiln's GEMM; `prepacked` packs B once outside the timed loop (constant weights).
void kilnCase(benchmark::State& state, bool prepacked) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const CompiledGemm& g = kilnGemm(prepacked);
  auto a = randomVector(m * k), b = randomVector(k * n);
  std::vector<float> c(m * n), workspace(kiln::llvmgemm::gemmWorkspaceFloats(g.config.tiling));
  std::vector<float> packedStorage;
  const float* bArg = b.data();
  if (prepacked) {
    // Packed panels start on a cache line, as a runtime's weight arena would place them.
    packedStorage.resize(kiln::llvmgemm::packedBFloats(g.config.tiling, n, k) + 16);
    float* packed = packedStorage.data();
    while (reinterpret_cast<uintptr_t>(packed) % 64 != 0) ++packed;
    g.packB(n, k, b.data(), n, packed);
    bArg = packed;
  }
  const int threads = static_cast<int>(state.range(3));
  workspace.resize(threads * workspace.size());
  kiln::llvmgemm::GemmArgs args{m, n, k, a.data(), k, bArg, n, c.data(), n};
  for (auto _ : state) {
    if (threads == 1)
      g.run(m, n, k, a.data(), k, bArg, n, c.data(), n, 1.f, 0.f, nullptr, 0, m, 0, n, workspace.data());
    else
      kiln::llvmgemm::runGemmParallel(g, args, threads, workspace.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  reportRate(state, m, n, k);
}

void BM_KilnGemm(benchmark::State& state) { kilnCase(state, false); }
void BM_KilnGemmPrepackedB(benchmark::State& state) { kilnCase(state, true); }

void BM_EigenGemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  auto av = randomVector(m * k), bv = randomVector(k * n);
  Eigen::Map<RowMajor> a(av.data(), m, k), b(bv.data(), k, n);
  RowMajor c(m, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  reportRate(state, m, n, k);
}

void shapesOnThreads(benchmark::internal::Benchmark* b, int threads) {
  for (auto [m, n, k] : {std::tuple{1024, 1024, 1024}, {128, 768, 768}, {128, 3072, 768}, {1, 1000, 512},
                         {3136, 64, 576}})
    b->Args({m, n, k, threads});
  b->ArgNames({"M", "N", "K", "threads"});
  b->Unit(benchmark::kMicrosecond);
}
void shapes(benchmark::internal::Benchmark* b) { shapesOnThreads(b, 1); }
// Two threads: timed by wall clock (CPU time would add both threads' time), so this row is
// only meaningful on an otherwise idle machine.
void shapesTwoThreads(benchmark::internal::Benchmark* b) {
  shapesOnThreads(b, 2);
  b->UseRealTime();
}

BENCHMARK(BM_KilnGemm)->Apply(shapes);
BENCHMARK(BM_KilnGemmPrepackedB)->Apply(shapes);
BENCHMARK(BM_EigenGemm)->Apply(shapes);
BENCHMARK(BM_KilnGemmPrepackedB)->Name("BM_KilnGemmPrepackedB_2threads")->Apply(shapesTwoThreads);

}  // namespace

int main(int argc, char** argv) {
  Eigen::setNbThreads(1);
  benchmark::Initialize(&argc, argv);
  peakGflops();  // measured once, before the first case, and printed
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
