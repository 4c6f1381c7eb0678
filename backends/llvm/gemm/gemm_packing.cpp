// Packing of A and B blocks into the micro-panel layout the microkernel streams through:
// contiguous, in the exact order of use, zero-padded to whole panels.

#include "backends/llvm/gemm/gemm_ir_util.h"
#include "backends/llvm/gemm/gemm_parts.h"

#include <llvm/IR/Intrinsics.h>

namespace kiln::llvmgemm::detail {
namespace {

using llvm::Value;

llvm::Value* i64(llvm::IRBuilder<>& b, int64_t v) { return b.getInt64(v); }

}  // namespace

llvm::Function* getPackA(llvm::Module& module, const GemmTiling& tiling) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto* ptr = b.getPtrTy();
  auto* i64Ty = b.getInt64Ty();
  auto* type = llvm::FunctionType::get(b.getVoidTy(), {ptr, i64Ty, i64Ty, i64Ty, i64Ty, ptr}, false);
  bool created = false;
  std::string name = "kiln.gemm.pack_a.mr" + std::to_string(tiling.mr);
  llvm::Function* f = getOrDeclare(module, name, type, /*internal=*/true, created);
  if (!created) return f;

  auto args = f->arg_begin();
  Value* a = args++;
  Value* rowStride = args++;
  Value* colStride = args++;
  Value* mc = args++;
  Value* kc = args++;
  Value* packed = args++;
  f->getArg(0)->addAttr(llvm::Attribute::NoAlias);
  f->getArg(5)->addAttr(llvm::Attribute::NoAlias);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
  const int mr = tiling.mr;
  llvm::Constant* zero = llvm::ConstantFP::get(b.getFloatTy(), 0.0);
  Value* lastRow = b.CreateSub(mc, i64(b, 1));
  emitFor(b, i64(b, 0), mc, i64(b, mr), "panel", [&](Value* panelRow) {
    Value* panelBase = floatAt(b, packed, b.CreateMul(panelRow, kc));
    // Row pointers of this panel; rows past the block are clamped to a valid row and their
    // values replaced by zero, so the copy never branches.
    std::vector<Value*> rowPtrs, rowValid;
    for (int i = 0; i < mr; ++i) {
      Value* row = b.CreateAdd(panelRow, i64(b, i));
      rowValid.push_back(b.CreateICmpSLT(row, mc));
      Value* clamped = emitMin(b, row, lastRow);
      rowPtrs.push_back(floatAt(b, a, b.CreateMul(clamped, rowStride)));
    }
    emitFor(b, i64(b, 0), kc, i64(b, 1), "k", [&](Value* k) {
      Value* colOffset = b.CreateMul(k, colStride);
      Value* dst = floatAt(b, panelBase, b.CreateMul(k, i64(b, mr)));
      for (int i = 0; i < mr; ++i) {
        Value* v = b.CreateLoad(b.getFloatTy(), floatAt(b, rowPtrs[i], colOffset));
        b.CreateStore(b.CreateSelect(rowValid[i], v, zero), floatAt(b, dst, i64(b, i)));
      }
    });
  });
  b.CreateRetVoid();
  return f;
}

llvm::Function* getPackB(llvm::Module& module, const GemmTiling& tiling, bool unitColumnStride) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto* ptr = b.getPtrTy();
  auto* i64Ty = b.getInt64Ty();
  auto* type =
      llvm::FunctionType::get(b.getVoidTy(), {ptr, i64Ty, i64Ty, i64Ty, i64Ty, ptr, i64Ty}, false);
  bool created = false;
  std::string name = "kiln.gemm.pack_b.nr" + std::to_string(tiling.nr) + ".w" +
                     std::to_string(tiling.vectorWidth) + (unitColumnStride ? ".rows" : ".cols");
  llvm::Function* f = getOrDeclare(module, name, type, /*internal=*/true, created);
  if (!created) return f;

  auto args = f->arg_begin();
  Value* src = args++;
  Value* rowStride = args++;
  Value* colStride = args++;
  Value* kc = args++;
  Value* nc = args++;
  Value* packed = args++;
  Value* panelStride = args++;
  f->getArg(0)->addAttr(llvm::Attribute::NoAlias);
  f->getArg(5)->addAttr(llvm::Attribute::NoAlias);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
  const int nr = tiling.nr;
  const int width = tiling.vectorWidth;
  auto* floatTy = b.getFloatTy();
  auto* vecTy = llvm::FixedVectorType::get(floatTy, width);
  llvm::Constant* zero = llvm::ConstantFP::get(floatTy, 0.0);

  emitFor(b, i64(b, 0), nc, i64(b, nr), "panel", [&](Value* panelCol) {
    Value* panelIndex = b.CreateSDiv(panelCol, i64(b, nr));
    Value* panelBase = floatAt(b, packed, b.CreateMul(panelIndex, panelStride));
    Value* colsLeft = b.CreateSub(nc, panelCol);
    if (unitColumnStride) {
      // A row of the panel is nr contiguous floats of B: masked vector loads past nc.
      std::vector<Value*> masks;
      Value* left = b.CreateVectorSplat(width, colsLeft);
      for (int v = 0; v < nr / width; ++v) {
        std::vector<llvm::Constant*> lanes;
        for (int l = 0; l < width; ++l) lanes.push_back(b.getInt64(v * width + l));
        masks.push_back(b.CreateICmpSLT(llvm::ConstantVector::get(lanes), left));
      }
      Value* colBase = floatAt(b, src, panelCol);
      // Whole panels use plain loads; only the last, partial one pays for masking.
      auto copyRows = [&](bool masked) {
        emitFor(b, i64(b, 0), kc, i64(b, 1), "k", [&](Value* k) {
          Value* row = floatAt(b, colBase, b.CreateMul(k, rowStride));
          Value* dst = floatAt(b, panelBase, b.CreateMul(k, i64(b, nr)));
          for (int v = 0; v < nr / width; ++v) {
            Value* from = floatAt(b, row, i64(b, v * width));
            Value* x = masked ? static_cast<Value*>(b.CreateMaskedLoad(vecTy, from, llvm::Align(4), masks[v],
                                                                        llvm::Constant::getNullValue(vecTy)))
                              : b.CreateAlignedLoad(vecTy, from, llvm::Align(4));
            b.CreateAlignedStore(x, floatAt(b, dst, i64(b, v * width)), llvm::Align(4));
          }
        });
      };
      llvm::Function* f = b.GetInsertBlock()->getParent();
      auto* whole = llvm::BasicBlock::Create(ctx, "whole_panel", f);
      auto* partial = llvm::BasicBlock::Create(ctx, "partial_panel", f);
      auto* next = llvm::BasicBlock::Create(ctx, "panel_done", f);
      b.CreateCondBr(b.CreateICmpSGE(colsLeft, i64(b, nr)), whole, partial);
      b.SetInsertPoint(whole);
      copyRows(false);
      b.CreateBr(next);
      b.SetInsertPoint(partial);
      copyRows(true);
      b.CreateBr(next);
      b.SetInsertPoint(next);
    } else {
      // B transposed: column j of the panel is a contiguous row of the stored matrix.
      Value* lastCol = b.CreateSub(nc, i64(b, 1));
      std::vector<Value*> colPtrs, colValid;
      for (int j = 0; j < nr; ++j) {
        Value* col = b.CreateAdd(panelCol, i64(b, j));
        colValid.push_back(b.CreateICmpSLT(col, nc));
        colPtrs.push_back(floatAt(b, src, b.CreateMul(emitMin(b, col, lastCol), colStride)));
      }
      emitFor(b, i64(b, 0), kc, i64(b, 1), "k", [&](Value* k) {
        Value* rowOffset = b.CreateMul(k, rowStride);
        Value* dst = floatAt(b, panelBase, b.CreateMul(k, i64(b, nr)));
        for (int j = 0; j < nr; ++j) {
          Value* x = b.CreateLoad(floatTy, floatAt(b, colPtrs[j], rowOffset));
          b.CreateStore(b.CreateSelect(colValid[j], x, zero), floatAt(b, dst, i64(b, j)));
        }
      });
    }
  });
  b.CreateRetVoid();
  return f;
}

}  // namespace kiln::llvmgemm::detail
