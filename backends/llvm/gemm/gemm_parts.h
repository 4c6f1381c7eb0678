#pragma once
// The emitted pieces the GEMM driver calls: packing of A and B panels and the register-tiled
// microkernel. Each is an internal function, created once per module and tiling.
// Private to backends/llvm/gemm.

#include "backends/llvm/gemm/gemm_codegen.h"

namespace llvm {
class Function;
class Module;
}  // namespace llvm

namespace kiln::llvmgemm::detail {

/// `void(const float* A, i64 rowStride, i64 colStride, i64 mc, i64 kc, float* packed)`:
/// copies the mc x kc block at A into ceil(mc/mr) micro-panels, each kc x mr (k-major),
/// rows past mc zero-filled so the microkernel never branches on them.
llvm::Function* getPackA(llvm::Module& module, const GemmTiling& tiling);

/// `void(const float* B, i64 rowStride, i64 colStride, i64 kc, i64 nc, float* packed,
///       i64 panelStride)`: copies the kc x nc block at B into ceil(nc/nr) micro-panels
/// (panel p at packed + p * panelStride, each kc x nr, k-major), columns past nc zero-filled.
/// `unitColumnStride` (B not transposed) selects vector loads along a row of B.
llvm::Function* getPackB(llvm::Module& module, const GemmTiling& tiling, bool unitColumnStride);

/// `void(i64 kc, const float* packedA, const float* packedB, float* C, i64 ldc, i64 rows,
///       i64 cols, float alpha, float cScale, i1 loadC, i1 finalBlock, const float* bias)`:
/// C[0:rows, 0:cols] = alpha * Apanel * Bpanel + (loadC ? cScale * C : 0), then on the final
/// K block bias and activation. `bias` points at this tile's first column (or row) of bias.
llvm::Function* getMicrokernel(llvm::Module& module, const GemmConfig& config);

/// Columns of C one row-kernel call computes.
int rowKernelColumns(const GemmConfig& config);

/// `void(i64 k, const float* a, i64 aStride, const float* B, i64 bRowStride, i64 bPanelStride,
///       float* c, i64 cols, float alpha, float beta, const float* bias)`: one row of C,
/// c[0:cols] = act(alpha * a * B + beta * c + bias) over the whole of K, reading unpacked A and
/// either unpacked B (bRowStride = ldb, bPanelStride = nr) or pre-packed B (nr, K * nr).
llvm::Function* getRowKernel(llvm::Module& module, const GemmConfig& config);

}  // namespace kiln::llvmgemm::detail
