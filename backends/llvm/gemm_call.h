#pragma once
// kiln's emitted GEMM driver as kernels call it (MatMul/Gemm/Conv, the recurrent and Einsum
// kernels): the driver for a configuration, shared per module, and malloc'd float workspaces.
// Included only by backends/llvm.

#include "backends/llvm/codegen_context.h"
#include "backends/llvm/gemm/gemm_codegen.h"

namespace kiln::llvmjit {

/// The host tiling every driver of the JIT module uses.
const llvmgemm::GemmTiling& hostTiling();

/// The driver for `config` (named after its options), emitted once per module.
llvm::Function* sharedGemmDriver(CodegenContext& cg, llvmgemm::GemmConfig config);

/// One driver call over all rows and columns: C (ldc) = A (lda) * op(B) (ldb) [+ bias].
struct GemmCall {
  llvm::Value *m, *n, *k, *a, *lda, *b, *ldb, *c, *ldc;
  llvm::Value* bias = nullptr;  ///< null: none (the driver must be compiled without bias then)
};
void callGemm(CodegenContext& cg, llvm::Function* driver, const GemmCall& call, llvm::Value* workspace);

/// `malloc(floats * 4)` at the builder, and its free.
llvm::Value* mallocFloats(CodegenContext& cg, llvm::Value* floats);
void freeMemory(CodegenContext& cg, llvm::Value* p);
/// &base[index] for a float buffer.
llvm::Value* floatPointer(CodegenContext& cg, llvm::Value* base, llvm::Value* index);

}  // namespace kiln::llvmjit
