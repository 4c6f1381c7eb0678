#include "backends/llvm/gemm_call.h"

namespace kiln::llvmjit {

const llvmgemm::GemmTiling& hostTiling() {
  static const llvmgemm::GemmTiling t = llvmgemm::hostGemmTiling();
  return t;
}

llvm::Function* sharedGemmDriver(CodegenContext& cg, llvmgemm::GemmConfig config) {
  config.tiling = hostTiling();
  config.name = std::string("kiln_gemm") + (config.transA ? "_ta" : "") + (config.transB ? "_tb" : "") +
                (config.prepackedA ? "_pa" : "") + (config.prepackedB ? "_pp" : "") +
                (config.bias == llvmgemm::GemmBias::PerRow      ? "_brow"
                 : config.bias == llvmgemm::GemmBias::PerColumn ? "_bcol"
                                                                 : "");
  if (llvm::Function* f = cg.module().getFunction(config.name)) return f;
  return llvmgemm::emitGemmKernel(cg.module(), config);
}

void callGemm(CodegenContext& cg, llvm::Function* driver, const GemmCall& g, llvm::Value* workspace) {
  auto& b = cg.builder();
  llvm::Value* one = llvm::ConstantFP::get(b.getFloatTy(), 1.0);
  llvm::Value* zero = llvm::ConstantFP::get(b.getFloatTy(), 0.0);
  llvm::Value* bias = g.bias ? g.bias : llvm::ConstantPointerNull::get(b.getPtrTy());
  llvm::CallInst* call = b.CreateCall(driver, {g.m, g.n, g.k, g.a, g.lda, g.b, g.ldb, g.c, g.ldc, one, zero, bias,
                                               cg.i64(0), g.m, cg.i64(0), g.n, workspace});
  // A kernel calls the driver at several sites: inlining each copy would only cost compile time.
  call->addFnAttr(llvm::Attribute::NoInline);
}

llvm::Value* mallocFloats(CodegenContext& cg, llvm::Value* floats) {
  auto& b = cg.builder();
  auto malloc = cg.module().getOrInsertFunction("malloc", b.getPtrTy(), b.getInt64Ty());
  return b.CreateCall(malloc, {b.CreateNSWMul(floats, cg.i64(4))}, "workspace");
}

void freeMemory(CodegenContext& cg, llvm::Value* p) {
  auto& b = cg.builder();
  auto free = cg.module().getOrInsertFunction("free", b.getVoidTy(), b.getPtrTy());
  b.CreateCall(free, {p});
}

llvm::Value* floatPointer(CodegenContext& cg, llvm::Value* base, llvm::Value* index) {
  return cg.builder().CreateInBoundsGEP(cg.builder().getFloatTy(), base, index);
}

}  // namespace kiln::llvmjit
