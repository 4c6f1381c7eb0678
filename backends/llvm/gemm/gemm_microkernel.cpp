// The register-tiled microkernel: an mr x nr tile of C held in mr * (nr / width) vector
// accumulators, updated by one broadcast of A and nr / width vector loads of B per row and k,
// each feeding an llvm.fma. Edge tiles use the same loop; only the epilogue is masked.

#include "backends/llvm/gemm/gemm_ir_util.h"
#include "backends/llvm/gemm/gemm_parts.h"

#include <llvm/IR/Intrinsics.h>

namespace kiln::llvmgemm::detail {
namespace {

using llvm::Value;

std::string microkernelName(const GemmConfig& c) {
  const GemmTiling& t = c.tiling;
  std::string name = "kiln.gemm.micro." + std::to_string(t.mr) + "x" + std::to_string(t.nr) +
                     ".w" + std::to_string(t.vectorWidth);
  if (c.bias == GemmBias::PerColumn) name += ".bias_col";
  if (c.bias == GemmBias::PerRow) name += ".bias_row";
  if (c.activation == GemmActivation::Relu) name += ".relu";
  return name;
}

}  // namespace

llvm::Function* getMicrokernel(llvm::Module& module, const GemmConfig& config) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto* ptr = b.getPtrTy();
  auto* i64Ty = b.getInt64Ty();
  auto* floatTy = b.getFloatTy();
  auto* type = llvm::FunctionType::get(
      b.getVoidTy(),
      {i64Ty, ptr, ptr, ptr, i64Ty, i64Ty, i64Ty, floatTy, floatTy, b.getInt1Ty(), b.getInt1Ty(), ptr},
      false);
  bool created = false;
  llvm::Function* f = getOrDeclare(module, microkernelName(config), type, /*internal=*/true, created);
  if (!created) return f;

  const GemmTiling& t = config.tiling;
  const int mr = t.mr;
  const int width = t.vectorWidth;
  const int vectors = t.nr / width;
  auto args = f->arg_begin();
  Value* kc = args++;
  Value* packedA = args++;
  Value* packedB = args++;
  Value* c = args++;
  Value* ldc = args++;
  Value* rows = args++;
  Value* cols = args++;
  Value* alpha = args++;
  Value* cScale = args++;
  Value* loadC = args++;
  Value* finalBlock = args++;
  Value* bias = args++;
  for (unsigned i : {1u, 2u, 3u}) f->getArg(i)->addAttr(llvm::Attribute::NoAlias);

  auto* vecTy = llvm::FixedVectorType::get(floatTy, width);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
  // Accumulators live in an alloca indexed by constants only; SROA promotes them to vector
  // registers (mr * nr / width of them: 12 ymm on AVX2 with a 6x16 tile).
  auto* accTy = llvm::ArrayType::get(vecTy, mr * vectors);
  Value* acc = b.CreateAlloca(accTy, nullptr, "acc");
  auto accAt = [&](int i, int v) { return b.CreateConstInBoundsGEP2_32(accTy, acc, 0, i * vectors + v); };
  Value* zeroVec = llvm::Constant::getNullValue(vecTy);
  for (int i = 0; i < mr; ++i)
    for (int v = 0; v < vectors; ++v) b.CreateStore(zeroVec, accAt(i, v));

  // Fetch the C tile while the k loop runs: it is read (and written) only at the end.
  // Prefetches never fault, so rows past the tile need no guard.
  llvm::Function* prefetch = llvm::Intrinsic::getDeclaration(&module, llvm::Intrinsic::prefetch, {ptr});
  for (int i = 0; i < mr; ++i) {
    Value* cRow = floatAt(b, c, b.CreateMul(b.getInt64(i), ldc));
    for (int offset = 0; offset < t.nr; offset += 16)
      b.CreateCall(prefetch, {floatAt(b, cRow, b.getInt64(offset)), b.getInt32(1), b.getInt32(3), b.getInt32(1)});
  }
  llvm::Function* fma = llvm::Intrinsic::getDeclaration(&module, llvm::Intrinsic::fma, {vecTy});
  emitFor(b, b.getInt64(0), kc, b.getInt64(1), "k", [&](Value* k) {
    Value* bRow = floatAt(b, packedB, b.CreateMul(k, b.getInt64(t.nr)));
    Value* aCol = floatAt(b, packedA, b.CreateMul(k, b.getInt64(mr)));
    std::vector<Value*> bVecs;
    for (int v = 0; v < vectors; ++v)
      bVecs.push_back(b.CreateAlignedLoad(vecTy, floatAt(b, bRow, b.getInt64(v * width)), llvm::Align(4)));
    for (int i = 0; i < mr; ++i) {
      Value* aScalar = b.CreateLoad(floatTy, floatAt(b, aCol, b.getInt64(i)));
      Value* aVec = b.CreateVectorSplat(width, aScalar);
      for (int v = 0; v < vectors; ++v) {
        Value* old = b.CreateLoad(vecTy, accAt(i, v));
        b.CreateStore(b.CreateCall(fma, {aVec, bVecs[v], old}), accAt(i, v));
      }
    }
  });

  // Epilogue: rows past `rows` are skipped, columns past `cols` masked.
  Value* colsSplat = b.CreateVectorSplat(width, cols);
  std::vector<Value*> masks;
  for (int v = 0; v < vectors; ++v) {
    std::vector<llvm::Constant*> lanes;
    for (int l = 0; l < width; ++l) lanes.push_back(b.getInt64(v * width + l));
    masks.push_back(b.CreateICmpSLT(llvm::ConstantVector::get(lanes), colsSplat));
  }
  Value* alphaVec = b.CreateVectorSplat(width, alpha);
  Value* cScaleVec = b.CreateVectorSplat(width, cScale);
  std::vector<Value*> columnBias(vectors, nullptr);
  if (config.bias == GemmBias::PerColumn) {
    for (int v = 0; v < vectors; ++v)
      columnBias[v] = b.CreateMaskedLoad(vecTy, floatAt(b, bias, b.getInt64(v * width)), llvm::Align(4),
                                         masks[v], zeroVec);
  }
  // Two copies of the C update: full-width tiles use plain vector loads and stores (masked
  // stores are microcoded and slow on several x86 cores), edge tiles masked ones.
  auto emitUpdate = [&](bool masked) {
    for (int i = 0; i < mr; ++i) {
      emitIf(b, b.CreateICmpSLT(b.getInt64(i), rows), "row" + std::to_string(i), [&] {
        Value* cRow = floatAt(b, c, b.CreateMul(b.getInt64(i), ldc));
        Value* rowBias = nullptr;
        if (config.bias == GemmBias::PerRow)
          rowBias = b.CreateVectorSplat(width, b.CreateLoad(floatTy, floatAt(b, bias, b.getInt64(i))));
        for (int v = 0; v < vectors; ++v) {
          Value* cPtr = floatAt(b, cRow, b.getInt64(v * width));
          Value* r = b.CreateFMul(alphaVec, b.CreateLoad(vecTy, accAt(i, v)));
          // C is read only when asked (beta == 0 must not propagate NaN from uninitialised C).
          Value* old = masked ? static_cast<Value*>(b.CreateMaskedLoad(vecTy, cPtr, llvm::Align(4), masks[v], zeroVec))
                              : b.CreateAlignedLoad(vecTy, cPtr, llvm::Align(4));
          Value* withC = b.CreateCall(fma, {cScaleVec, old, r});
          r = b.CreateSelect(loadC, withC, r);
          Value* epilogue = r;
          if (config.bias == GemmBias::PerColumn) epilogue = b.CreateFAdd(epilogue, columnBias[v]);
          if (config.bias == GemmBias::PerRow) epilogue = b.CreateFAdd(epilogue, rowBias);
          if (config.activation == GemmActivation::Relu)
            epilogue = b.CreateSelect(b.CreateFCmpOGT(epilogue, zeroVec), epilogue, zeroVec);
          if (epilogue != r) r = b.CreateSelect(finalBlock, epilogue, r);
          if (masked)
            b.CreateMaskedStore(r, cPtr, llvm::Align(4), masks[v]);
          else
            b.CreateAlignedStore(r, cPtr, llvm::Align(4));
        }
      });
    }
  };
  llvm::BasicBlock* fullBlock = llvm::BasicBlock::Create(ctx, "full_width", f);
  llvm::BasicBlock* edgeBlock = llvm::BasicBlock::Create(ctx, "edge", f);
  llvm::BasicBlock* done = llvm::BasicBlock::Create(ctx, "done", f);
  b.CreateCondBr(b.CreateICmpEQ(cols, b.getInt64(t.nr)), fullBlock, edgeBlock);
  b.SetInsertPoint(fullBlock);
  emitUpdate(/*masked=*/false);
  b.CreateBr(done);
  b.SetInsertPoint(edgeBlock);
  emitUpdate(/*masked=*/true);
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  return f;
}

}  // namespace kiln::llvmgemm::detail
