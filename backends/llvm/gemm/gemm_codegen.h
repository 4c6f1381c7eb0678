#pragma once
// kiln's FP32 GEMM, emitted as LLVM IR: a register-blocked microkernel fed by packed panels
// of A and B, with cache blocking (the BLIS loop order: NC, KC, MC, NR, MR) and a fused epilogue.
//
// The emitted driver computes, for rows [rowBegin, rowEnd) and columns [colBegin, colEnd):
//   C = act(alpha * op(A) * op(B) + beta * C + bias)
// with op(X) = X or X^T, A of M x K, B of K x N, C of M x N, all row-major with leading dims.
// Its signature (all sizes int64, pointers opaque):
//   void name(M, N, K, const float* A, lda, const float* B, ldb, float* C, ldc,
//             float alpha, float beta, const float* bias,
//             rowBegin, rowEnd, colBegin, colEnd, float* workspace)
// When beta == 0, C is not read (it may hold garbage or NaN). When B is pre-packed
// (GemmConfig::prepackedB) the B argument is the buffer written by the pack-B function and ldb
// and transB are ignored; colBegin must then be a multiple of nr (or colEnd == colBegin).

#include <cstdint>
#include <string>

namespace llvm {
class Function;
class Module;
}  // namespace llvm

namespace kiln::llvmgemm {

/// Register tile and cache blocks. mr x nr accumulators live in vector registers.
struct GemmTiling {
  int vectorWidth = 8;  ///< floats per vector register (8: AVX2 ymm, 16: AVX-512 zmm)
  int mr = 6;           ///< rows of the register tile
  int nr = 16;          ///< columns of the register tile, a multiple of vectorWidth
  int kc = 256;         ///< depth of a packed block (A and B micro-panels stay in L1)
  int mc = 144;         ///< rows of a packed A block (stays in L2), a multiple of mr
  int nc = 4080;        ///< columns of a packed B block (stays in L3), a multiple of nr
};

/// Tiling for the machine this runs on: vector width from the CPU's features, blocks from
/// its cache sizes (sysfs), with fallbacks when those cannot be read.
GemmTiling hostGemmTiling();

/// Whether the host CPU has AVX-512F (the JIT then targets zmm registers).
bool hostHasAvx512();

enum class GemmBias { None, PerColumn, PerRow };  ///< bias[n] added to column n, or bias[m] to row m
enum class GemmActivation { None, Relu };

/// Everything fixed at code-generation time.
struct GemmConfig {
  std::string name = "kiln_gemm";  ///< symbol of the driver; helpers get suffixes
  bool transA = false;             ///< A is stored K x M
  bool transB = false;             ///< B is stored N x K
  bool prepackedB = false;         ///< B argument is the output of the pack-B function
  /// A argument is all of A pre-packed as ceil(M / mr) panels of K x mr (k-major, rows past M
  /// zero): lda and transA are ignored and rowBegin must be a multiple of mr (constant conv
  /// weights, packed once by the runtime).
  bool prepackedA = false;
  GemmBias bias = GemmBias::None;
  GemmActivation activation = GemmActivation::None;
  GemmTiling tiling;
};

/// Floats of workspace the driver needs (packed A block and, unless pre-packed, packed B
/// block), including slack so the driver can align it to 64 bytes itself.
int64_t gemmWorkspaceFloats(const GemmTiling& tiling);

/// Floats written by the pack-B function for a K x N matrix: ceil(N / nr) panels of K x nr.
int64_t packedBFloats(const GemmTiling& tiling, int64_t n, int64_t k);

/// Floats of a pre-packed A (GemmConfig::prepackedA) of M x K: ceil(M / mr) panels of K x mr.
int64_t packedAFloats(const GemmTiling& tiling, int64_t m, int64_t k);

/// Emits the GEMM driver (and its private microkernel and packing helpers) into `module`.
/// The module's target triple and data layout should be set first.
llvm::Function* emitGemmKernel(llvm::Module& module, const GemmConfig& config);

/// Emits `void name(N, K, const float* B, ldb, float* packed)`: packs all of B (honouring
/// config.transB) into the layout a driver with prepackedB reads, once, for constant weights.
/// Any alignment works; 64 bytes keeps every panel row on one cache line.
llvm::Function* emitPackBFunction(llvm::Module& module, const GemmConfig& config,
                                  const std::string& name);

}  // namespace kiln::llvmgemm
