#include "backends/llvm/gemm/gemm_parallel.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace kiln::llvmgemm {

GemmRange gemmPartition(const GemmTiling& tiling, int64_t m, int64_t n, int parts, int index) {
  auto split = [&](int64_t extent, int64_t unit) {
    const int64_t units = (extent + unit - 1) / unit;
    int64_t begin = std::min(extent, units * index / parts * unit);
    int64_t end = std::min(extent, units * (index + 1) / parts * unit);
    return std::make_pair(begin, end);
  };
  if (m >= 2 * tiling.mr * parts) {
    auto [r0, r1] = split(m, tiling.mr);
    return {r0, r1, 0, n};
  }
  auto [c0, c1] = split(n, tiling.nr);
  return {0, m, c0, c1};
}

void runGemmParallel(const CompiledGemm& gemm, const GemmArgs& x, int threads, float* workspace) {
  const int64_t stride = gemmWorkspaceFloats(gemm.config.tiling);
  auto part = [&](int index) {
    GemmRange r = gemmPartition(gemm.config.tiling, x.m, x.n, threads, index);
    gemm.run(x.m, x.n, x.k, x.a, x.lda, x.b, x.ldb, x.c, x.ldc, x.alpha, x.beta, x.bias, r.rowBegin, r.rowEnd,
             r.colBegin, r.colEnd, workspace + index * stride);
  };
  std::vector<std::thread> workers;
  for (int index = 1; index < threads; ++index) workers.emplace_back(part, index);
  part(0);
  for (std::thread& worker : workers) worker.join();
}

}  // namespace kiln::llvmgemm
