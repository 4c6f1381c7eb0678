#pragma once
// Splitting one GEMM over threads through the driver's row and column ranges: each thread
// computes a disjoint block of C with its own workspace, so no synchronisation beyond join.

#include "backends/llvm/gemm/gemm_jit.h"

#include <cstdint>

namespace kiln::llvmgemm {

/// The operands of one GEMM call (see gemm_codegen.h); B is pre-packed when the config says so.
struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* b = nullptr;
  int64_t ldb = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  float alpha = 1.f, beta = 0.f;
  const float* bias = nullptr;
};

/// One thread's share: rows [rowBegin, rowEnd) x columns [colBegin, colEnd).
struct GemmRange {
  int64_t rowBegin, rowEnd, colBegin, colEnd;
};

/// Share `index` of `parts`: rows in multiples of mr when there are at least two register
/// tiles of rows per part, otherwise columns in multiples of nr (batch-1 products).
GemmRange gemmPartition(const GemmTiling& tiling, int64_t m, int64_t n, int parts, int index);

/// Runs `gemm` on `threads` threads (the caller's thread is one of them). `workspace` holds
/// threads * gemmWorkspaceFloats(tiling) floats.
void runGemmParallel(const CompiledGemm& gemm, const GemmArgs& args, int threads, float* workspace);

}  // namespace kiln::llvmgemm
