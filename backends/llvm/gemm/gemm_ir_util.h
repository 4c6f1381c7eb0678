#pragma once
// Small IRBuilder helpers shared by the GEMM emitters: counted loops, guarded blocks, and
// get-or-create of internal helper functions. Private to backends/llvm/gemm.

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <string>

namespace kiln::llvmgemm::detail {

/// Emits `for (iv = begin; iv < end; iv += step) body(iv)` (signed i64) at the insertion
/// point and leaves the builder after the loop. Values carried across iterations go through
/// allocas, which SROA turns into registers.
inline void emitFor(llvm::IRBuilder<>& b, llvm::Value* begin, llvm::Value* end, llvm::Value* step,
                    const std::string& name, llvm::function_ref<void(llvm::Value*)> body) {
  llvm::BasicBlock* pre = b.GetInsertBlock();
  llvm::Function* f = pre->getParent();
  llvm::LLVMContext& ctx = b.getContext();
  auto* header = llvm::BasicBlock::Create(ctx, name + ".header", f);
  auto* loopBody = llvm::BasicBlock::Create(ctx, name + ".body", f);
  auto* exit = llvm::BasicBlock::Create(ctx, name + ".exit", f);
  b.CreateBr(header);
  b.SetInsertPoint(header);
  llvm::PHINode* iv = b.CreatePHI(b.getInt64Ty(), 2, name);
  iv->addIncoming(begin, pre);
  b.CreateCondBr(b.CreateICmpSLT(iv, end), loopBody, exit);
  b.SetInsertPoint(loopBody);
  body(iv);
  llvm::Value* next = b.CreateAdd(iv, step, name + ".next", /*HasNUW=*/false, /*HasNSW=*/true);
  iv->addIncoming(next, b.GetInsertBlock());
  b.CreateBr(header);
  b.SetInsertPoint(exit);
}

/// Emits `if (cond) then()` and leaves the builder after it.
inline void emitIf(llvm::IRBuilder<>& b, llvm::Value* cond, const std::string& name,
                   llvm::function_ref<void()> then) {
  llvm::Function* f = b.GetInsertBlock()->getParent();
  auto* thenBlock = llvm::BasicBlock::Create(b.getContext(), name + ".then", f);
  auto* join = llvm::BasicBlock::Create(b.getContext(), name + ".join", f);
  b.CreateCondBr(cond, thenBlock, join);
  b.SetInsertPoint(thenBlock);
  then();
  b.CreateBr(join);
  b.SetInsertPoint(join);
}

inline llvm::Value* emitMin(llvm::IRBuilder<>& b, llvm::Value* x, llvm::Value* y) {
  return b.CreateSelect(b.CreateICmpSLT(x, y), x, y);
}

/// Pointer to element `index` (i64, in floats) of a float array.
inline llvm::Value* floatAt(llvm::IRBuilder<>& b, llvm::Value* base, llvm::Value* index) {
  return b.CreateInBoundsGEP(b.getFloatTy(), base, index);
}

/// Looks up an internal helper by name, or creates its declaration and returns it with
/// `created` set so the caller emits the body.
inline llvm::Function* getOrDeclare(llvm::Module& m, const std::string& name,
                                    llvm::FunctionType* type, bool internal, bool& created) {
  if (llvm::Function* f = m.getFunction(name)) {
    created = false;
    return f;
  }
  created = true;
  auto linkage = internal ? llvm::Function::InternalLinkage : llvm::Function::ExternalLinkage;
  llvm::Function* f = llvm::Function::Create(type, linkage, name, m);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  return f;
}

}  // namespace kiln::llvmgemm::detail
