#include "backends/llvm/codegen_context.h"
#include "backends/llvm/gemm/gemm_ir_util.h"

#include <llvm/IR/Verifier.h>

namespace kiln::llvmjit {

CodegenContext::CodegenContext(llvm::LLVMContext& context, llvm::Module& module)
    : context_(context), module_(module), builder_(context) {}

bool CodegenContext::isSupportedDType(DType dtype) {
  switch (dtype) {
    case DType::Float32: case DType::Float64: case DType::Bool:
    case DType::Int8: case DType::Int16: case DType::Int32: case DType::Int64:
    case DType::UInt8: case DType::UInt16: case DType::UInt32: case DType::UInt64:
      return true;
    default:
      return false;
  }
}

llvm::Type* CodegenContext::storageType(DType dtype) {
  switch (dtype) {
    case DType::Float32: return builder_.getFloatTy();
    case DType::Float64: return builder_.getDoubleTy();
    case DType::Bool: case DType::Int8: case DType::UInt8: return builder_.getInt8Ty();
    case DType::Int16: case DType::UInt16: return builder_.getInt16Ty();
    case DType::Int32: case DType::UInt32: return builder_.getInt32Ty();
    case DType::Int64: case DType::UInt64: return builder_.getInt64Ty();
    default: return nullptr;
  }
}

llvm::Type* CodegenContext::valueType(DType dtype) {
  return dtype == DType::Bool ? builder_.getInt1Ty() : storageType(dtype);
}

KernelBody CodegenContext::beginKernel(const std::string& name, size_t numBuffers, size_t numDims) {
  llvm::Type* ptr = builder_.getPtrTy();
  llvm::Type* i64 = builder_.getInt64Ty();
  auto* entryType = llvm::FunctionType::get(builder_.getVoidTy(), {ptr, ptr, i64, i64}, false);
  auto* entry = llvm::Function::Create(entryType, llvm::Function::ExternalLinkage, name, module_);

  std::vector<llvm::Type*> bodyParams(numBuffers, ptr);
  bodyParams.insert(bodyParams.end(), numDims + 2, i64);
  auto* bodyType = llvm::FunctionType::get(builder_.getVoidTy(), bodyParams, false);
  auto* body = llvm::Function::Create(bodyType, llvm::Function::InternalLinkage, name + ".body", module_);
  body->addFnAttr(llvm::Attribute::AlwaysInline);
  body->addFnAttr(llvm::Attribute::NoUnwind);
  entry->addFnAttr(llvm::Attribute::NoUnwind);
  for (size_t i = 0; i < numBuffers; ++i) body->addParamAttr(static_cast<unsigned>(i), llvm::Attribute::NoAlias);

  // Entry: unpack the arrays and call the body.
  builder_.SetInsertPoint(llvm::BasicBlock::Create(context_, "entry", entry));
  std::vector<llvm::Value*> args;
  llvm::Value* buffers = entry->getArg(0);
  llvm::Value* dims = entry->getArg(1);
  for (size_t i = 0; i < numBuffers; ++i)
    args.push_back(builder_.CreateLoad(ptr, builder_.CreateConstInBoundsGEP1_64(ptr, buffers, i), "buf"));
  for (size_t i = 0; i < numDims; ++i)
    args.push_back(builder_.CreateLoad(i64, builder_.CreateConstInBoundsGEP1_64(i64, dims, i), "dim"));
  args.push_back(entry->getArg(2));
  args.push_back(entry->getArg(3));
  builder_.CreateCall(body, args);
  builder_.CreateRetVoid();

  KernelBody k;
  k.function = body;
  for (size_t i = 0; i < numBuffers; ++i) k.buffers.push_back(body->getArg(static_cast<unsigned>(i)));
  for (size_t i = 0; i < numDims; ++i) k.dims.push_back(body->getArg(static_cast<unsigned>(numBuffers + i)));
  k.begin = body->getArg(static_cast<unsigned>(numBuffers + numDims));
  k.end = body->getArg(static_cast<unsigned>(numBuffers + numDims + 1));
  builder_.SetInsertPoint(llvm::BasicBlock::Create(context_, "entry", body));
  return k;
}

void CodegenContext::finishKernel() { builder_.CreateRetVoid(); }

void CodegenContext::forLoop(llvm::Value* begin, llvm::Value* end, const std::function<void(llvm::Value*)>& body,
                             const std::string& name) {
  llvmgemm::detail::emitFor(builder_, begin, end, i64(1), name, body);  // the loop the GEMM emitter uses too
}

llvm::Value* CodegenContext::reduceLoop(llvm::Value* begin, llvm::Value* end, llvm::Value* init,
                                       const std::function<llvm::Value*(llvm::Value*, llvm::Value*)>& body,
                                       const std::string& name) {
  llvm::Function* fn = builder_.GetInsertBlock()->getParent();
  llvm::BasicBlock* pre = builder_.GetInsertBlock();
  auto* header = llvm::BasicBlock::Create(context_, name + ".header", fn);
  auto* loop = llvm::BasicBlock::Create(context_, name + ".body", fn);
  auto* exit = llvm::BasicBlock::Create(context_, name + ".exit", fn);
  builder_.CreateBr(header);
  builder_.SetInsertPoint(header);
  llvm::PHINode* i = builder_.CreatePHI(builder_.getInt64Ty(), 2, name);
  llvm::PHINode* acc = builder_.CreatePHI(init->getType(), 2, name + ".acc");
  i->addIncoming(begin, pre);
  acc->addIncoming(init, pre);
  builder_.CreateCondBr(builder_.CreateICmpSLT(i, end), loop, exit);
  builder_.SetInsertPoint(loop);
  llvm::Value* next = body(i, acc);
  acc->addIncoming(next, builder_.GetInsertBlock());
  i->addIncoming(builder_.CreateNSWAdd(i, i64(1)), builder_.GetInsertBlock());
  builder_.CreateBr(header);
  builder_.SetInsertPoint(exit);
  return acc;
}

llvm::Value* CodegenContext::loadElement(llvm::Value* base, llvm::Value* index, DType dtype) {
  llvm::Type* type = storageType(dtype);
  llvm::Value* v = builder_.CreateLoad(type, builder_.CreateInBoundsGEP(type, base, index));
  return dtype == DType::Bool ? builder_.CreateICmpNE(v, builder_.getInt8(0)) : v;
}

void CodegenContext::storeElement(llvm::Value* value, llvm::Value* base, llvm::Value* index, DType dtype) {
  llvm::Type* type = storageType(dtype);
  if (dtype == DType::Bool) value = builder_.CreateZExt(value, type);
  builder_.CreateStore(value, builder_.CreateInBoundsGEP(type, base, index));
}

llvm::FunctionCallee CodegenContext::mathFunction(const std::string& name, llvm::Type* type, unsigned arity) {
  std::vector<llvm::Type*> params(arity, type);
  auto callee = module_.getOrInsertFunction(name, llvm::FunctionType::get(type, params, false));
  if (auto* f = llvm::dyn_cast<llvm::Function>(callee.getCallee())) {
    f->setDoesNotThrow();
    f->setOnlyAccessesInaccessibleMemory();  // errno aside, these are pure
  }
  return callee;
}

}  // namespace kiln::llvmjit
