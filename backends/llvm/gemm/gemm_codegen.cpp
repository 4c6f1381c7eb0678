// The GEMM driver: BLIS loop order around the packing helpers and the microkernel.
//   for jc in cols step NC:           B block (KC x NC) packed once, reused by every row block
//     for pc in K step KC:
//       for ic in rows step MC:       A block (MC x KC) packed, stays in L2
//         for jr in NC step NR:       B micro-panel stays in L1 across the ir loop
//           for ir in MC step MR:     microkernel
// The K loop runs at least once so that K == 0 still applies beta, bias and activation.

#include "backends/llvm/gemm/gemm_codegen.h"

#include "backends/llvm/gemm/gemm_ir_util.h"
#include "backends/llvm/gemm/gemm_parts.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/Support/Host.h>

#include <algorithm>
#include <fstream>

namespace kiln::llvmgemm {
namespace {

using detail::emitFor;
using detail::emitMin;
using detail::floatAt;
using llvm::Value;

int64_t roundUp(int64_t x, int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }

/// Size in bytes of the data or unified cache at `level` for cpu0, or 0 if unknown.
int64_t cacheBytes(int level) {
  for (int index = 0; index < 8; ++index) {
    std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    std::ifstream levelFile(dir + "level"), typeFile(dir + "type"), sizeFile(dir + "size");
    int fileLevel = 0;
    std::string type, size;
    if (!(levelFile >> fileLevel) || !(typeFile >> type) || !(sizeFile >> size)) break;
    if (fileLevel != level || type == "Instruction" || size.empty()) continue;
    int64_t bytes = std::stoll(size);
    if (size.back() == 'K') bytes *= 1024;
    if (size.back() == 'M') bytes *= 1024 * 1024;
    return bytes;
  }
  return 0;
}

}  // namespace

bool hostHasAvx512() {
  llvm::StringMap<bool> features;
  return llvm::sys::getHostCPUFeatures(features) && features.lookup("avx512f");
}

GemmTiling hostGemmTiling() {
  GemmTiling t;
  if (hostHasAvx512()) {
    // 32 zmm registers: 12 x 2 accumulators, two B vectors and a broadcast.
    t.vectorWidth = 16;
    t.mr = 12;
    t.nr = 32;
  } else {
    // 16 ymm registers: 6 x 2 accumulators, two B vectors and a broadcast.
    t.vectorWidth = 8;
    t.mr = 6;
    t.nr = 16;
  }
  const int64_t l1 = std::max<int64_t>(cacheBytes(1), 32 * 1024);
  const int64_t l2 = std::max<int64_t>(cacheBytes(2), 256 * 1024);
  const int64_t l3 = std::max<int64_t>(cacheBytes(3), 2 * 1024 * 1024);
  // The B micro-panel (kc x nr floats) fills L1; the A micro-panel streams in behind it.
  // Measured on Zen 3 (1024^3): kc 512 beats the textbook 256 (A + B panels in L1) by ~6%,
  // since each C tile is then loaded and stored half as often.
  t.kc = static_cast<int>(std::clamp<int64_t>(l1 / (4 * t.nr) / 16 * 16, 64, 1024));
  // The packed A block takes about half of L2, the rest is B micro-panels and C.
  t.mc = static_cast<int>(std::clamp<int64_t>(l2 / 2 / (4 * t.kc) / t.mr * t.mr, t.mr, 1024 / t.mr * t.mr));
  // The packed B block takes a quarter of L3 (shared with the other core).
  t.nc = static_cast<int>(std::clamp<int64_t>(l3 / 4 / (4 * t.kc) / t.nr * t.nr, t.nr, 4096 / t.nr * t.nr));
  return t;
}

int64_t gemmWorkspaceFloats(const GemmTiling& t) {
  return roundUp(t.mc, t.mr) * t.kc + roundUp(t.nc, t.nr) * t.kc + 16;
}

int64_t packedBFloats(const GemmTiling& t, int64_t n, int64_t k) { return roundUp(n, t.nr) * k; }

int64_t packedAFloats(const GemmTiling& t, int64_t m, int64_t k) { return roundUp(m, t.mr) * k; }

namespace {

/// The driver's arguments, as IR values, with A's and B's strides resolved from the transposes.
struct DriverArgs {
  Value *k, *a, *rowStrideA, *colStrideA, *b, *ldb, *rowStrideB, *colStrideB, *c, *ldc;
  Value *alpha, *beta, *bias, *rowBegin, *rowEnd, *colBegin, *colEnd, *workspace;
};

/// Fewer rows than a register tile: one row-kernel call per row and column strip, nothing packed.
void emitRowKernelLoops(llvm::IRBuilder<>& b, llvm::Module& module, const GemmConfig& config, const DriverArgs& x) {
  const GemmTiling& t = config.tiling;
  llvm::Function* rowKernel = detail::getRowKernel(module, config);
  const int64_t rowColumns = detail::rowKernelColumns(config);
  emitFor(b, x.rowBegin, x.rowEnd, b.getInt64(1), "i", [&](Value* i) {
    emitFor(b, x.colBegin, x.colEnd, b.getInt64(rowColumns), "j", [&](Value* j) {
      Value* cols = emitMin(b, b.getInt64(rowColumns), b.CreateSub(x.colEnd, j));
      Value* bStart;
      Value* bRowStride;
      Value* bPanelStride;
      if (config.prepackedB) {
        bRowStride = b.getInt64(t.nr);
        bPanelStride = b.CreateMul(x.k, b.getInt64(t.nr));
        bStart = floatAt(b, x.b, b.CreateMul(b.CreateSDiv(j, b.getInt64(t.nr)), bPanelStride));
      } else {
        bRowStride = x.ldb;
        bPanelStride = b.getInt64(t.nr);
        bStart = floatAt(b, x.b, j);
      }
      Value* rowBias = llvm::ConstantPointerNull::get(b.getPtrTy());
      if (config.bias == GemmBias::PerColumn) rowBias = floatAt(b, x.bias, j);
      if (config.bias == GemmBias::PerRow) rowBias = floatAt(b, x.bias, i);
      Value* aRow = floatAt(b, x.a, b.CreateMul(i, x.rowStrideA));
      Value* aStride = x.colStrideA;
      if (config.prepackedA) {
        // Row i is lane i % mr of panel i / mr: its K values are mr floats apart.
        Value* panel = b.CreateSDiv(i, b.getInt64(t.mr));
        aRow = floatAt(b, x.a, b.CreateAdd(b.CreateMul(panel, b.CreateMul(x.k, b.getInt64(t.mr))),
                                           b.CreateSRem(i, b.getInt64(t.mr))));
        aStride = b.getInt64(t.mr);
      }
      b.CreateCall(rowKernel, {x.k, aRow, aStride, bStart, bRowStride,
                               bPanelStride, floatAt(b, x.c, b.CreateAdd(b.CreateMul(i, x.ldc), j)), cols, x.alpha,
                               x.beta, rowBias});
    });
  });
}

}  // namespace

llvm::Function* emitGemmKernel(llvm::Module& module, const GemmConfig& config) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  const GemmTiling& t = config.tiling;
  auto* ptr = b.getPtrTy();
  auto* i64Ty = b.getInt64Ty();
  auto* floatTy = b.getFloatTy();
  auto* type = llvm::FunctionType::get(
      b.getVoidTy(),
      {i64Ty, i64Ty, i64Ty, ptr, i64Ty, ptr, i64Ty, ptr, i64Ty, floatTy, floatTy, ptr, i64Ty, i64Ty,
       i64Ty, i64Ty, ptr},
      false);
  llvm::Function* packA = config.prepackedA ? nullptr : detail::getPackA(module, t);
  llvm::Function* packB = config.prepackedB ? nullptr : detail::getPackB(module, t, !config.transB);
  llvm::Function* micro = detail::getMicrokernel(module, config);
  auto* f = llvm::Function::Create(type, llvm::Function::ExternalLinkage, config.name, module);
  f->addFnAttr(llvm::Attribute::NoUnwind);

  auto args = f->arg_begin() + 2;  // M and N are implied by the row and column ranges
  Value* k = args++;
  Value* a = args++;
  Value* lda = args++;
  Value* bMatrix = args++;
  Value* ldb = args++;
  Value* c = args++;
  Value* ldc = args++;
  Value* alpha = args++;
  Value* beta = args++;
  Value* bias = args++;
  Value* rowBegin = args++;
  Value* rowEnd = args++;
  Value* colBegin = args++;
  Value* colEnd = args++;
  Value* workspace = args++;
  const char* argNames[] = {"M", "N", "K", "A", "lda", "B", "ldb", "C", "ldc", "alpha", "beta",
                            "bias", "rowBegin", "rowEnd", "colBegin", "colEnd", "workspace"};
  for (unsigned i = 0; i < f->arg_size(); ++i) f->getArg(i)->setName(argNames[i]);

  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
  Value* one = b.getInt64(1);
  Value* zero = b.getInt64(0);
  Value* rowStrideA = config.transA ? one : lda;
  Value* colStrideA = config.transA ? lda : one;
  Value* rowStrideB = config.transB ? one : ldb;
  Value* colStrideB = config.transB ? ldb : one;
  // Packed buffers start on a 64-byte boundary: whole cache lines, aligned vector loads.
  Value* wsInt = b.CreatePtrToInt(workspace, i64Ty);
  Value* alignedInt = b.CreateAnd(b.CreateAdd(wsInt, b.getInt64(63)), b.getInt64(~int64_t{63}));
  Value* packedA = b.CreateIntToPtr(alignedInt, ptr);
  Value* packedBBlock = floatAt(b, packedA, b.getInt64(roundUp(t.mc, t.mr) * t.kc));
  // Blocks are balanced: K = 768 with kc = 512 runs as 2 x 384, not 512 + 256, and rows and
  // columns likewise (a thin last block wastes most of its packing).
  auto balanced = [&](Value* extent, Value* block, int64_t multiple) {
    Value* count = b.CreateSDiv(b.CreateAdd(extent, b.CreateSub(block, one)), block);
    count = b.CreateSelect(b.CreateICmpSLT(count, one), one, count);
    Value* perBlock = b.CreateSDiv(b.CreateAdd(extent, b.CreateSub(count, one)), count);
    Value* rounded = b.CreateMul(b.CreateSDiv(b.CreateAdd(perBlock, b.getInt64(multiple - 1)), b.getInt64(multiple)),
                                 b.getInt64(multiple));
    rounded = emitMin(b, rounded, block);
    return std::make_pair(count, b.CreateSelect(b.CreateICmpSLT(rounded, one), b.getInt64(multiple), rounded));
  };
  auto [kBlocks, kcStep] = balanced(k, b.getInt64(t.kc), 8);
  // A shallower K block lets the A block take more rows in the same L2 budget (mc * kc fixed):
  // M = 128 with K = 768 (kc 384) then packs A once and streams each B panel once, not twice.
  Value* mcBlock = b.CreateMul(b.CreateSDiv(b.CreateSDiv(b.getInt64(int64_t{t.mc} * t.kc), kcStep), b.getInt64(t.mr)),
                               b.getInt64(t.mr));
  mcBlock = b.CreateSelect(b.CreateICmpSLT(mcBlock, b.getInt64(t.mr)), b.getInt64(t.mr), mcBlock);
  Value* mcStep = balanced(b.CreateSub(rowEnd, rowBegin), mcBlock, t.mr).second;
  Value* ncStep = balanced(b.CreateSub(colEnd, colBegin), b.getInt64(t.nc), t.nr).second;
  Value* betaIsZero = b.CreateFCmpOEQ(beta, llvm::ConstantFP::get(floatTy, 0.0));
  Value* nullBias = llvm::ConstantPointerNull::get(ptr);

  if (!config.transB || config.prepackedB) {
    // Fewer rows than a register tile: packing would cost more than it saves.
    auto* rowPath = llvm::BasicBlock::Create(ctx, "row_kernel", f);
    auto* tiledPath = llvm::BasicBlock::Create(ctx, "tiled", f);
    b.CreateCondBr(b.CreateICmpSLT(b.CreateSub(rowEnd, rowBegin), b.getInt64(t.mr)), rowPath, tiledPath);
    b.SetInsertPoint(rowPath);
    DriverArgs x{k, a, rowStrideA, colStrideA, bMatrix, ldb, rowStrideB, colStrideB, c, ldc,
                 alpha, beta, bias, rowBegin, rowEnd, colBegin, colEnd, workspace};
    emitRowKernelLoops(b, module, config, x);
    b.CreateRetVoid();
    b.SetInsertPoint(tiledPath);
  }
  emitFor(b, colBegin, colEnd, ncStep, "jc", [&](Value* jc) {
    Value* nc = emitMin(b, ncStep, b.CreateSub(colEnd, jc));
    emitFor(b, zero, kBlocks, one, "kb", [&](Value* kb) {
      Value* pc = b.CreateMul(kb, kcStep);
      Value* kc = emitMin(b, kcStep, b.CreateSub(k, pc));
      kc = b.CreateSelect(b.CreateICmpSLT(kc, zero), zero, kc);
      Value* first = b.CreateICmpEQ(kb, zero);
      Value* final = b.CreateICmpEQ(kb, b.CreateSub(kBlocks, one));
      Value* cScale = b.CreateSelect(first, beta, llvm::ConstantFP::get(floatTy, 1.0));
      Value* loadC = b.CreateOr(b.CreateNot(first), b.CreateNot(betaIsZero));
      Value* bBase;
      Value* bPanelStride;
      if (config.prepackedB) {
        // Pre-packed B: ceil(N / nr) panels of K x nr; this block starts at row pc.
        bPanelStride = b.CreateMul(k, b.getInt64(t.nr));
        Value* panel = b.CreateSDiv(jc, b.getInt64(t.nr));
        bBase = floatAt(b, bMatrix, b.CreateAdd(b.CreateMul(panel, bPanelStride),
                                                b.CreateMul(pc, b.getInt64(t.nr))));
      } else {
        bPanelStride = b.CreateMul(kc, b.getInt64(t.nr));
        Value* src = floatAt(b, bMatrix, b.CreateAdd(b.CreateMul(pc, rowStrideB), b.CreateMul(jc, colStrideB)));
        b.CreateCall(packB, {src, rowStrideB, colStrideB, kc, nc, packedBBlock, bPanelStride});
        bBase = packedBBlock;
      }
      emitFor(b, rowBegin, rowEnd, mcStep, "ic", [&](Value* ic) {
        Value* mc = emitMin(b, mcStep, b.CreateSub(rowEnd, ic));
        // Micro-panel of rows [ic + ir, +mr) for this K block, and the distance between panels.
        Value* aBlock = packedA;
        Value* aPanelStride = kc;
        if (config.prepackedA) {
          // Pre-packed A: ceil(M / mr) panels of K x mr; this block starts at row pc of panel ic / mr.
          aPanelStride = k;
          aBlock = floatAt(b, a, b.CreateAdd(b.CreateMul(ic, k), b.CreateMul(pc, b.getInt64(t.mr))));
        } else {
          Value* src = floatAt(b, a, b.CreateAdd(b.CreateMul(ic, rowStrideA), b.CreateMul(pc, colStrideA)));
          b.CreateCall(packA, {src, rowStrideA, colStrideA, mc, kc, packedA});
        }
        emitFor(b, zero, nc, b.getInt64(t.nr), "jr", [&](Value* jr) {
          Value* cols = emitMin(b, b.getInt64(t.nr), b.CreateSub(nc, jr));
          Value* bPanel = floatAt(b, bBase, b.CreateMul(b.CreateSDiv(jr, b.getInt64(t.nr)), bPanelStride));
          emitFor(b, zero, mc, b.getInt64(t.mr), "ir", [&](Value* ir) {
            Value* rows = emitMin(b, b.getInt64(t.mr), b.CreateSub(mc, ir));
            Value* row = b.CreateAdd(ic, ir);
            Value* col = b.CreateAdd(jc, jr);
            Value* cTile = floatAt(b, c, b.CreateAdd(b.CreateMul(row, ldc), col));
            Value* tileBias = nullBias;
            if (config.bias == GemmBias::PerColumn) tileBias = floatAt(b, bias, col);
            if (config.bias == GemmBias::PerRow) tileBias = floatAt(b, bias, row);
            b.CreateCall(micro, {kc, floatAt(b, aBlock, b.CreateMul(ir, aPanelStride)), bPanel, cTile, ldc, rows,
                                 cols, alpha, cScale, loadC, final, tileBias});
          });
        });
      });
    });
  });
  b.CreateRetVoid();
  return f;
}

llvm::Function* emitPackBFunction(llvm::Module& module, const GemmConfig& config, const std::string& name) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto* ptr = b.getPtrTy();
  auto* i64Ty = b.getInt64Ty();
  auto* type = llvm::FunctionType::get(b.getVoidTy(), {i64Ty, i64Ty, ptr, i64Ty, ptr}, false);
  llvm::Function* packB = detail::getPackB(module, config.tiling, !config.transB);
  auto* f = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  Value* n = f->getArg(0);
  Value* k = f->getArg(1);
  Value* src = f->getArg(2);
  Value* ldb = f->getArg(3);
  Value* packed = f->getArg(4);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
  Value* rowStride = config.transB ? b.getInt64(1) : ldb;
  Value* colStride = config.transB ? ldb : b.getInt64(1);
  b.CreateCall(packB, {src, rowStride, colStride, k, n, packed, b.CreateMul(k, b.getInt64(config.tiling.nr))});
  b.CreateRetVoid();
  return f;
}

}  // namespace kiln::llvmgemm
