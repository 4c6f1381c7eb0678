#pragma once
// What every emitter shares: the module being built, an IRBuilder, element types, and the
// kernel skeleton (signature, noalias buffers, counted loops). Included only by backends/llvm.

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <functional>
#include <string>
#include <vector>

#include "ir/dtype.h"

namespace kiln::llvmjit {

/// A kernel being emitted: its buffers as separate noalias pointers, its dims, and its range.
struct KernelBody {
  llvm::Function* function = nullptr;
  std::vector<llvm::Value*> buffers;  ///< inputs then outputs (ptr)
  std::vector<llvm::Value*> dims;     ///< i64 each
  llvm::Value* begin = nullptr;
  llvm::Value* end = nullptr;
};

class CodegenContext {
 public:
  CodegenContext(llvm::LLVMContext& context, llvm::Module& module);

  llvm::LLVMContext& context() { return context_; }
  llvm::Module& module() { return module_; }
  llvm::IRBuilder<>& builder() { return builder_; }

  /// The in-memory type of one element (bool is i8); null for types kiln does not generate.
  llvm::Type* storageType(DType dtype);
  /// The type computed with (bool is i1).
  llvm::Type* valueType(DType dtype);
  static bool isSupportedDType(DType dtype);

  /// Starts kernel `name` with the ABI of kernel_abi.h: an external entry that unpacks the
  /// buffer and dims arrays and calls an always-inline body whose buffer arguments are
  /// noalias (inlining turns that into alias scopes, so the loop vectorizer needs no checks).
  /// The builder is left at the start of the body; finish with finishKernel().
  KernelBody beginKernel(const std::string& name, size_t numBuffers, size_t numDims);
  void finishKernel();

  /// Emits `for (i = begin; i < end; ++i) body(i)` at the builder; leaves it after the loop.
  void forLoop(llvm::Value* begin, llvm::Value* end, const std::function<void(llvm::Value*)>& body,
               const std::string& name = "i");

  /// Emits a counted loop carrying one value: `acc = init; for (i...) acc = body(i, acc)`;
  /// returns the final value.
  llvm::Value* reduceLoop(llvm::Value* begin, llvm::Value* end, llvm::Value* init,
                          const std::function<llvm::Value*(llvm::Value*, llvm::Value*)>& body,
                          const std::string& name = "r");

  /// Loads element `index` of `base` (dtype elements) as a value (bool -> i1).
  llvm::Value* loadElement(llvm::Value* base, llvm::Value* index, DType dtype);
  /// Stores a value (i1 bool widened to i8) at element `index` of `base`.
  void storeElement(llvm::Value* value, llvm::Value* base, llvm::Value* index, DType dtype);

  llvm::Value* i64(int64_t v) { return builder_.getInt64(static_cast<uint64_t>(v)); }
  /// Declaration of a libm function float(float) / double(double).
  llvm::FunctionCallee mathFunction(const std::string& name, llvm::Type* type, unsigned arity = 1);

 private:
  llvm::LLVMContext& context_;
  llvm::Module& module_;
  llvm::IRBuilder<> builder_;
};

}  // namespace kiln::llvmjit
