// The row kernel: one row of C, 4 * nr columns at a time, over the whole of K, reading A and B
// where they lie. For fewer than mr rows (batch-1 classifier heads, GEMV-like products) packing
// B would cost more than the product itself, and an mr-row tile would waste mr - 1 rows of FMAs.

#include "backends/llvm/gemm/gemm_ir_util.h"
#include "backends/llvm/gemm/gemm_parts.h"

#include <llvm/IR/Intrinsics.h>

namespace kiln::llvmgemm::detail {
namespace {

using llvm::Value;

/// Independent accumulator sets over k (k mod splits): a one-panel tile has too few vectors to
/// hide FMA latency on its own.
int kSplits(const GemmConfig& c) { return c.prepackedB ? 4 : 1; }

std::string rowKernelName(const GemmConfig& c) {
  const GemmTiling& t = c.tiling;
  std::string name = "kiln.gemm.row." + std::to_string(rowKernelColumns(c)) + ".w" + std::to_string(t.vectorWidth) +
                     ".k" + std::to_string(kSplits(c));
  if (c.bias == GemmBias::PerColumn) name += ".bias_col";
  if (c.bias == GemmBias::PerRow) name += ".bias_row";
  if (c.activation == GemmActivation::Relu) name += ".relu";
  return name;
}

}  // namespace

// Unpacked B: four panels' worth of columns, contiguous in a row of B. Pre-packed B: one
// panel, since panels of one row lie K * nr floats apart and several such streams, 32 KiB
// apart for K = 512, were measured 3x slower.
int rowKernelColumns(const GemmConfig& config) {
  return config.prepackedB ? config.tiling.nr : 4 * config.tiling.nr;
}

llvm::Function* getRowKernel(llvm::Module& module, const GemmConfig& config) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto* ptr = b.getPtrTy();
  auto* i64Ty = b.getInt64Ty();
  auto* floatTy = b.getFloatTy();
  auto* type = llvm::FunctionType::get(
      b.getVoidTy(), {i64Ty, ptr, i64Ty, ptr, i64Ty, i64Ty, ptr, i64Ty, floatTy, floatTy, ptr}, false);
  bool created = false;
  llvm::Function* f = getOrDeclare(module, rowKernelName(config), type, /*internal=*/true, created);
  if (!created) return f;

  const GemmTiling& t = config.tiling;
  const int width = t.vectorWidth;
  const int vectors = rowKernelColumns(config) / width;
  const int splits = kSplits(config);
  const int vectorsPerPanel = t.nr / width;
  auto args = f->arg_begin();
  Value* k = args++;
  Value* a = args++;
  Value* aStride = args++;
  Value* bMatrix = args++;
  Value* bRowStride = args++;
  Value* bPanelStride = args++;
  Value* c = args++;
  Value* cols = args++;
  Value* alpha = args++;
  Value* beta = args++;
  Value* bias = args++;
  auto* vecTy = llvm::FixedVectorType::get(floatTy, width);
  Value* zeroVec = llvm::Constant::getNullValue(vecTy);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));

  Value* colsSplat = b.CreateVectorSplat(width, cols);
  std::vector<Value*> masks, vectorBase;
  for (int v = 0; v < vectors; ++v) {
    std::vector<llvm::Constant*> lanes;
    for (int l = 0; l < width; ++l) lanes.push_back(b.getInt64(v * width + l));
    masks.push_back(b.CreateICmpSLT(llvm::ConstantVector::get(lanes), colsSplat));
    // Vector v sits in panel v / vectorsPerPanel (B unpacked: panelStride = nr columns).
    Value* offset = b.CreateAdd(b.CreateMul(b.getInt64(v / vectorsPerPanel), bPanelStride),
                                b.getInt64((v % vectorsPerPanel) * width));
    vectorBase.push_back(floatAt(b, bMatrix, offset));
  }
  auto* accTy = llvm::ArrayType::get(vecTy, vectors * splits);
  Value* acc = b.CreateAlloca(accTy, nullptr, "acc");
  auto accAt = [&](int v, int split = 0) { return b.CreateConstInBoundsGEP2_32(accTy, acc, 0, split * vectors + v); };
  llvm::Function* fma = llvm::Intrinsic::getDeclaration(&module, llvm::Intrinsic::fma, {vecTy});

  // Full-width tiles load B plainly; the last tile masks columns past `cols` (they may lie
  // past the end of B).
  auto emitProduct = [&](bool masked) {
    for (int v = 0; v < vectors * splits; ++v) b.CreateStore(zeroVec, accAt(v));
    auto step = [&](Value* kk, int split) {
      Value* aVec = b.CreateVectorSplat(width, b.CreateLoad(floatTy, floatAt(b, a, b.CreateMul(kk, aStride))));
      Value* rowOffset = b.CreateMul(kk, bRowStride);
      for (int v = 0; v < vectors; ++v) {
        Value* from = floatAt(b, vectorBase[v], rowOffset);
        Value* x = masked ? static_cast<Value*>(b.CreateMaskedLoad(vecTy, from, llvm::Align(4), masks[v], zeroVec))
                          : b.CreateAlignedLoad(vecTy, from, llvm::Align(4));
        b.CreateStore(b.CreateCall(fma, {aVec, x, b.CreateLoad(vecTy, accAt(v, split))}), accAt(v, split));
      }
    };
    Value* kMain = b.CreateSub(k, b.CreateSRem(k, b.getInt64(splits)));
    emitFor(b, b.getInt64(0), kMain, b.getInt64(splits), "k", [&](Value* kk) {
      for (int split = 0; split < splits; ++split) step(b.CreateAdd(kk, b.getInt64(split)), split);
    });
    if (splits > 1) {
      emitFor(b, kMain, k, b.getInt64(1), "k_rest", [&](Value* kk) { step(kk, 0); });
      for (int v = 0; v < vectors; ++v) {
        Value* sum = b.CreateLoad(vecTy, accAt(v));
        for (int split = 1; split < splits; ++split) sum = b.CreateFAdd(sum, b.CreateLoad(vecTy, accAt(v, split)));
        b.CreateStore(sum, accAt(v));
      }
    }
  };
  llvm::BasicBlock* full = llvm::BasicBlock::Create(ctx, "full_width", f);
  llvm::BasicBlock* edge = llvm::BasicBlock::Create(ctx, "edge", f);
  llvm::BasicBlock* epilogue = llvm::BasicBlock::Create(ctx, "epilogue", f);
  b.CreateCondBr(b.CreateICmpEQ(cols, b.getInt64(rowKernelColumns(config))), full, edge);
  b.SetInsertPoint(full);
  emitProduct(false);
  b.CreateBr(epilogue);
  b.SetInsertPoint(edge);
  emitProduct(true);
  b.CreateBr(epilogue);
  b.SetInsertPoint(epilogue);

  // The whole of K is done here, so this is the final block: beta, bias, activation.
  Value* alphaVec = b.CreateVectorSplat(width, alpha);
  Value* betaVec = b.CreateVectorSplat(width, beta);
  Value* readC = b.CreateFCmpUNE(beta, llvm::ConstantFP::get(floatTy, 0.0));
  Value* rowBias = nullptr;
  if (config.bias == GemmBias::PerRow) rowBias = b.CreateVectorSplat(width, b.CreateLoad(floatTy, bias));
  for (int v = 0; v < vectors; ++v) {
    Value* cPtr = floatAt(b, c, b.getInt64(v * width));
    Value* r = b.CreateFMul(alphaVec, b.CreateLoad(vecTy, accAt(v)));
    Value* old = b.CreateMaskedLoad(vecTy, cPtr, llvm::Align(4), masks[v], zeroVec);
    r = b.CreateSelect(readC, b.CreateCall(fma, {betaVec, old, r}), r);
    if (config.bias == GemmBias::PerColumn)
      r = b.CreateFAdd(r, b.CreateMaskedLoad(vecTy, floatAt(b, bias, b.getInt64(v * width)), llvm::Align(4),
                                             masks[v], zeroVec));
    if (config.bias == GemmBias::PerRow) r = b.CreateFAdd(r, rowBias);
    if (config.activation == GemmActivation::Relu) r = b.CreateSelect(b.CreateFCmpOGT(r, zeroVec), r, zeroVec);
    b.CreateMaskedStore(r, cPtr, llvm::Align(4), masks[v]);
  }
  b.CreateRetVoid();
  return f;
}

}  // namespace kiln::llvmgemm::detail
