// MatMul, Gemm and Conv through kiln's emitted GEMM (backends/llvm/gemm): each node's kernel
// calls packed GEMM drivers emitted into the same module (one driver per configuration,
// shared by every node that needs it). A constant B (MatMul, Gemm) or constant conv weights
// (the A operand) arrive pre-packed in the buffer after the results (packed once by the
// runtime); when that entry is null the driver packs per call. The workspace is the calling
// thread's (the entry after that), so kernels never allocate. MatMul and Gemm split over
// batch x row chunks; Conv over pixel-column chunks of large images (im2col once per chunk,
// into a chunk-sized buffer that stays in cache) or output-channel chunks of small ones. A
// 1x1, stride-1, unpadded Conv reads its image as B directly (no im2col).

#include <algorithm>

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/gemm_call.h"
#include "backends/llvm/launches.h"
#include "backends/llvm/gemm/gemm_codegen.h"
#include "backends/reference/window_geometry.h"

namespace kiln::llvmjit {
namespace {

using llvmgemm::GemmConfig;

bool isRankedF32(const Value* v) {
  return v && v->type().isTensor() && v->dtype() == DType::Float32 && v->shape().isRanked();
}

GemmLayout layout() {
  return {hostTiling().mr, hostTiling().nr, llvmgemm::gemmWorkspaceFloats(hostTiling())};
}

/// The pre-packed constant and the workspace: the two buffers after a kernel's results.
struct GemmExtras {
  llvm::Value* packed;
  llvm::Value* workspace;
};

GemmExtras extras(const KernelBody& k, size_t results) {
  return {k.buffers[results], k.buffers[results + 1]};
}

/// `packed ? withPacked : plain` as a callee, and the operand pointer to pass with it.
std::pair<llvm::Value*, llvm::Value*> choosePacked(CodegenContext& cg, llvm::Value* packed, llvm::Function* withPacked,
                                                   llvm::Function* plain, llvm::Value* operand) {
  auto& b = cg.builder();
  llvm::Value* isPacked = b.CreateICmpNE(packed, llvm::ConstantPointerNull::get(b.getPtrTy()));
  return {b.CreateSelect(isPacked, withPacked, plain), b.CreateSelect(isPacked, packed, operand)};
}

llvm::Value* floatAt(CodegenContext& cg, llvm::Value* base, llvm::Value* index) {
  return cg.builder().CreateInBoundsGEP(cg.builder().getFloatTy(), base, index);
}

/// Calls `driver` (a function or a selected pointer to one) for rows [rowBegin, rowEnd) and
/// all N columns; C's rows are `ldc` apart.
void callDriver(CodegenContext& cg, llvm::Value* driver, llvm::Value* m, llvm::Value* n, llvm::Value* k,
                llvm::Value* a, llvm::Value* lda, llvm::Value* bMatrix, llvm::Value* ldb, llvm::Value* c,
                llvm::Value* ldc, llvm::Value* alpha, llvm::Value* beta, llvm::Value* bias, llvm::Value* rowBegin,
                llvm::Value* rowEnd, llvm::Value* workspace) {
  auto& b = cg.builder();
  auto* ptr = b.getPtrTy();
  auto* i64 = b.getInt64Ty();
  auto* f32 = b.getFloatTy();
  auto* type = llvm::FunctionType::get(b.getVoidTy(), {i64, i64, i64, ptr, i64, ptr, i64, ptr, i64, f32, f32, ptr,
                                                       i64, i64, i64, i64, ptr}, false);
  b.CreateCall(type, driver, {m, n, k, a, lda, bMatrix, ldb, c, ldc, alpha, beta, bias, rowBegin, rowEnd,
                              cg.i64(0), n, workspace});
}

// ---- MatMul ------------------------------------------------------------------------------

// ---- Gemm --------------------------------------------------------------------------------

/// Emits the row-chunk loop shared by MatMul and Gemm: for each iteration, `body(batch, r0, r1)`.
void forRowChunks(CodegenContext& cg, const KernelBody& k, llvm::Value* chunks, llvm::Value* m, llvm::Value* rows,
                  const std::function<void(llvm::Value*, llvm::Value*, llvm::Value*)>& body) {
  auto& b = cg.builder();
  cg.forLoop(k.begin, k.end, [&](llvm::Value* i) {
    llvm::Value* batch = b.CreateSDiv(i, chunks);
    llvm::Value* r0 = b.CreateNSWMul(b.CreateSRem(i, chunks), rows);
    llvm::Value* r1 = b.CreateNSWAdd(r0, rows);
    r1 = b.CreateSelect(b.CreateICmpSLT(r1, m), r1, m);
    body(batch, r0, r1);
  }, "chunk");
}

std::unique_ptr<KernelLaunch> emitMatMul(CodegenContext& cg, const Node& node, const std::string& name,
                                         std::string* whyNot) {
  if (!isRankedF32(node.input(0)) || !isRankedF32(node.input(1)) || node.input(0)->shape().rank() < 2 ||
      node.input(1)->shape().rank() < 2) {
    *whyNot = "only f32 MatMul of operands of rank >= 2 is generated";
    return nullptr;
  }
  llvm::Function* driver = sharedGemmDriver(cg, GemmConfig{});
  GemmConfig packedConfig;
  packedConfig.prepackedB = true;
  llvm::Function* packedDriver = sharedGemmDriver(cg, packedConfig);
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, 3 + kExtraKernelBuffers, 7);
  llvm::Value *chunks = k.dims[0], *m = k.dims[1], *n = k.dims[2], *kk = k.dims[3];
  llvm::Value *strideA = k.dims[4], *strideB = k.dims[5], *rows = k.dims[6];
  const GemmExtras x = extras(k, 3);
  llvm::Value* ws = x.workspace;
  llvm::Value* one = llvm::ConstantFP::get(b.getFloatTy(), 1.0);
  llvm::Value* zero = llvm::ConstantFP::get(b.getFloatTy(), 0.0);
  llvm::Value* noBias = llvm::ConstantPointerNull::get(b.getPtrTy());
  forRowChunks(cg, k, chunks, m, rows, [&](llvm::Value* batch, llvm::Value* r0, llvm::Value* r1) {
    llvm::Value* a = floatAt(cg, k.buffers[0], b.CreateNSWMul(batch, strideA));
    llvm::Value* bm = floatAt(cg, k.buffers[1], b.CreateNSWMul(batch, strideB));
    llvm::Value* c = floatAt(cg, k.buffers[2], b.CreateNSWMul(batch, b.CreateNSWMul(m, n)));
    auto [callee, bOperand] = choosePacked(cg, x.packed, packedDriver, driver, bm);
    callDriver(cg, callee, m, n, kk, a, kk, bOperand, n, c, n, one, zero, noBias, r0, r1, ws);
  });
  cg.finishKernel();
  return std::make_unique<MatMulLaunch>(layout());
}

std::unique_ptr<KernelLaunch> emitGemm(CodegenContext& cg, const Node& node, const std::string& name,
                                       std::string* whyNot) {
  const Value* cValue = node.numInputs() > 2 ? node.input(2) : nullptr;
  if (!isRankedF32(node.input(0)) || !isRankedF32(node.input(1)) || (cValue && !isRankedF32(cValue))) {
    *whyNot = "only f32 Gemm is generated";
    return nullptr;
  }
  GemmConfig config;
  config.transA = node.intAttr("transA", 0) != 0;
  config.transB = node.intAttr("transB", 0) != 0;
  const float alphaValue = node.floatAttr("alpha", 1.f);
  const float betaValue = cValue ? node.floatAttr("beta", 1.f) : 0.f;
  llvm::Function* driver = sharedGemmDriver(cg, config);
  GemmConfig packedConfig = config;
  packedConfig.transB = false;  // packing applied it
  packedConfig.prepackedB = true;
  llvm::Function* packedDriver = sharedGemmDriver(cg, packedConfig);
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1 + kExtraKernelBuffers, 9);
  llvm::Value *chunks = k.dims[0], *m = k.dims[1], *n = k.dims[2], *kk = k.dims[3], *lda = k.dims[4];
  llvm::Value *ldb = k.dims[5], *cRow = k.dims[6], *cCol = k.dims[7], *rows = k.dims[8];
  llvm::Value* out = k.buffers[node.numInputs()];
  const GemmExtras x = extras(k, node.numInputs() + 1);
  llvm::Value* ws = x.workspace;
  llvm::Value* alpha = llvm::ConstantFP::get(b.getFloatTy(), alphaValue);
  llvm::Value* beta = llvm::ConstantFP::get(b.getFloatTy(), betaValue);
  llvm::Value* noBias = llvm::ConstantPointerNull::get(b.getPtrTy());
  forRowChunks(cg, k, chunks, m, rows, [&](llvm::Value*, llvm::Value* r0, llvm::Value* r1) {
    if (betaValue != 0.f) {
      // C (broadcast to M x N) goes into the result first; the driver then applies beta to it.
      cg.forLoop(r0, r1, [&](llvm::Value* r) {
        cg.forLoop(cg.i64(0), n, [&](llvm::Value* col) {
          llvm::Value* from = b.CreateNSWAdd(b.CreateNSWMul(r, cRow), b.CreateNSWMul(col, cCol));
          llvm::Value* v = cg.loadElement(k.buffers[2], from, DType::Float32);
          cg.storeElement(v, out, b.CreateNSWAdd(b.CreateNSWMul(r, n), col), DType::Float32);
        }, "cn");
      }, "cm");
    }
    auto [callee, bOperand] = choosePacked(cg, x.packed, packedDriver, driver, k.buffers[1]);
    callDriver(cg, callee, m, n, kk, k.buffers[0], lda, bOperand, ldb, out, n, alpha, beta, noBias, r0, r1, ws);
  });
  cg.finishKernel();
  return std::make_unique<GemmLaunch>(config.transA, config.transB, layout());
}

// ---- Conv --------------------------------------------------------------------------------

std::unique_ptr<KernelLaunch> emitConv(CodegenContext& cg, const Node& node, const std::string& name,
                                       std::string* whyNot) {
  const Value* biasValue = node.numInputs() > 2 ? node.input(2) : nullptr;
  if (!isRankedF32(node.input(0)) || !isRankedF32(node.input(1)) || node.input(0)->shape().rank() != 4 ||
      (biasValue && !isRankedF32(biasValue))) {
    *whyNot = "only f32 2-D Conv on NCHW is generated";
    return nullptr;
  }
  if (node.intAttr("group", 1) != 1) {
    *whyNot = "grouped/depthwise Conv is not generated";
    return nullptr;
  }
  // Four drivers: B from im2col (pre-packed) or the image itself (direct), weights pre-packed or not.
  GemmConfig config;
  config.bias = biasValue ? llvmgemm::GemmBias::PerRow : llvmgemm::GemmBias::None;
  auto driverFor = [&](bool packedA, bool packedB) {
    GemmConfig c = config;
    c.prepackedA = packedA;
    c.prepackedB = packedB;
    return sharedGemmDriver(cg, c);
  };
  llvm::Function* im2colDriver = driverFor(false, true);
  llvm::Function* im2colPackedDriver = driverFor(true, true);
  llvm::Function* directDriver = driverFor(false, false);
  llvm::Function* directPackedDriver = driverFor(true, false);
  const int64_t nr = hostTiling().nr;

  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1 + kExtraKernelBuffers, 19);
  const auto& d = k.dims;
  llvm::Value *C = d[0], *H = d[1], *W = d[2], *cout = d[3], *KH = d[4], *KW = d[5], *SH = d[6], *SW = d[7];
  llvm::Value *DH = d[8], *DW = d[9], *PT = d[10], *PL = d[11], *OH = d[12], *OW = d[13];
  llvm::Value *rowChunks = d[14], *rows = d[15], *colChunks = d[16], *perChunk = d[17], *direct = d[18];
  llvm::Value* x = k.buffers[0];
  llvm::Value* weights = k.buffers[1];
  llvm::Value* bias = biasValue ? k.buffers[2] : llvm::ConstantPointerNull::get(b.getPtrTy());
  llvm::Value* out = k.buffers[node.numInputs()];
  const GemmExtras extra = extras(k, node.numInputs() + 1);
  llvm::Value* ws = extra.workspace;
  llvm::Value* taps = b.CreateNSWMul(KH, KW);
  llvm::Value* depth = b.CreateNSWMul(C, taps);  // GEMM K
  llvm::Value* pixels = b.CreateNSWMul(OH, OW);  // GEMM N of the whole image
  // The chunk's im2col panels follow the driver's workspace (both 64-byte aligned).
  llvm::Value* columns = floatAt(cg, ws, cg.i64(llvmgemm::gemmWorkspaceFloats(hostTiling())));
  llvm::Value* zero = llvm::ConstantFP::get(b.getFloatTy(), 0.0);
  llvm::Value* one = llvm::ConstantFP::get(b.getFloatTy(), 1.0);
  auto inside = [&](llvm::Value* p, llvm::Value* limit) {
    return b.CreateAnd(b.CreateICmpSGE(p, cg.i64(0)), b.CreateICmpSLT(p, limit));
  };
  // Element (row, local pixel q) of the chunk's im2col matrix in the packed-B panel layout.
  auto packedIndex = [&](llvm::Value* row, llvm::Value* q) {
    llvm::Value* panel = b.CreateSDiv(q, cg.i64(nr));
    llvm::Value* lane = b.CreateSRem(q, cg.i64(nr));
    return b.CreateNSWAdd(b.CreateNSWMul(panel, b.CreateNSWMul(depth, cg.i64(nr))),
                          b.CreateNSWAdd(b.CreateNSWMul(row, cg.i64(nr)), lane));
  };
  llvm::Value* isDirect = b.CreateICmpNE(direct, cg.i64(0));
  cg.forLoop(k.begin, k.end, [&](llvm::Value* i) {
    llvm::Value* rowChunk = b.CreateSRem(i, rowChunks);
    llvm::Value* tile = b.CreateSDiv(i, rowChunks);
    llvm::Value* colChunk = b.CreateSRem(tile, colChunks);
    llvm::Value* image = b.CreateSDiv(tile, colChunks);
    llvm::Value* p0 = b.CreateNSWMul(colChunk, perChunk);
    llvm::Value* p1 = b.CreateNSWAdd(p0, perChunk);
    p1 = b.CreateSelect(b.CreateICmpSLT(p1, pixels), p1, pixels);
    llvm::Value* width = b.CreateNSWSub(p1, p0);
    llvm::Value* r0 = b.CreateNSWMul(rowChunk, rows);
    llvm::Value* r1 = b.CreateNSWAdd(r0, rows);
    r1 = b.CreateSelect(b.CreateICmpSLT(r1, cout), r1, cout);
    llvm::Value* in = floatAt(cg, x, b.CreateNSWMul(image, b.CreateNSWMul(C, b.CreateNSWMul(H, W))));
    llvm::Value* result = floatAt(cg, out, b.CreateNSWAdd(b.CreateNSWMul(image, b.CreateNSWMul(cout, pixels)), p0));

    llvm::Function* fn = b.GetInsertBlock()->getParent();
    auto* directBlock = llvm::BasicBlock::Create(cg.context(), "direct", fn);
    auto* im2colBlock = llvm::BasicBlock::Create(cg.context(), "im2col.check", fn);
    auto* done = llvm::BasicBlock::Create(cg.context(), "pixels.done", fn);
    b.CreateCondBr(isDirect, directBlock, im2colBlock);

    // 1x1, stride 1, no padding: the image's [C, pixels] rows are B; the driver packs them.
    b.SetInsertPoint(directBlock);
    {
      auto [callee, a] = choosePacked(cg, extra.packed, directPackedDriver, directDriver, weights);
      callDriver(cg, callee, cout, width, depth, a, depth, floatAt(cg, in, p0), pixels, result, pixels, one, zero,
                 bias, r0, r1, ws);
      b.CreateBr(done);
    }

    // im2col once per pixel chunk in this slice: at its first iteration and at each new chunk.
    b.SetInsertPoint(im2colBlock);
    auto* fill = llvm::BasicBlock::Create(cg.context(), "im2col", fn);
    auto* ready = llvm::BasicBlock::Create(cg.context(), "columns.ready", fn);
    b.CreateCondBr(b.CreateOr(b.CreateICmpEQ(i, k.begin), b.CreateICmpEQ(rowChunk, cg.i64(0))), fill, ready);
    b.SetInsertPoint(fill);
    llvm::Value* firstRow = b.CreateSDiv(p0, OW);
    llvm::Value* lastRow = b.CreateSDiv(b.CreateNSWAdd(p1, b.CreateNSWSub(OW, cg.i64(1))), OW);
    cg.forLoop(cg.i64(0), depth, [&](llvm::Value* row) {
      llvm::Value* channel = b.CreateSDiv(row, taps);
      llvm::Value* tap = b.CreateSRem(row, taps);
      llvm::Value* yOffset = b.CreateNSWSub(b.CreateNSWMul(b.CreateSDiv(tap, KW), DH), PT);
      llvm::Value* xOffset = b.CreateNSWSub(b.CreateNSWMul(b.CreateSRem(tap, KW), DW), PL);
      llvm::Value* plane = b.CreateNSWMul(channel, b.CreateNSWMul(H, W));
      cg.forLoop(firstRow, lastRow, [&](llvm::Value* oy) {
        llvm::Value* y = b.CreateNSWAdd(b.CreateNSWMul(oy, SH), yOffset);
        llvm::Value* rowOk = inside(y, H);
        llvm::Value* rowStart = b.CreateNSWMul(oy, OW);
        llvm::Value* from = b.CreateNSWSub(p0, rowStart);
        from = b.CreateSelect(b.CreateICmpSGT(from, cg.i64(0)), from, cg.i64(0));
        llvm::Value* to = b.CreateNSWSub(p1, rowStart);
        to = b.CreateSelect(b.CreateICmpSLT(to, OW), to, OW);
        cg.forLoop(from, to, [&](llvm::Value* ox) {
          llvm::Value* xx = b.CreateNSWAdd(b.CreateNSWMul(ox, SW), xOffset);
          llvm::Value* ok = b.CreateAnd(rowOk, inside(xx, W));
          // Taps in the padding read element 0 of the image and are then replaced by zero.
          llvm::Value* at = b.CreateSelect(ok, b.CreateNSWAdd(plane, b.CreateNSWAdd(b.CreateNSWMul(y, W), xx)), cg.i64(0));
          llvm::Value* v = b.CreateSelect(ok, cg.loadElement(in, at, DType::Float32), zero);
          llvm::Value* q = b.CreateNSWSub(b.CreateNSWAdd(rowStart, ox), p0);
          cg.storeElement(v, columns, packedIndex(row, q), DType::Float32);
        }, "ox");
      }, "oy");
      // The last panel's lanes past the chunk's last pixel: zero, so the microkernel reads no garbage.
      llvm::Value* padded = b.CreateNSWMul(b.CreateSDiv(b.CreateNSWAdd(width, cg.i64(nr - 1)), cg.i64(nr)), cg.i64(nr));
      cg.forLoop(width, padded, [&](llvm::Value* q) {
        cg.storeElement(zero, columns, packedIndex(row, q), DType::Float32);
      }, "tail");
    }, "row");
    b.CreateBr(ready);
    b.SetInsertPoint(ready);
    {
      auto [callee, a] = choosePacked(cg, extra.packed, im2colPackedDriver, im2colDriver, weights);
      callDriver(cg, callee, cout, width, depth, a, depth, columns, width, result, pixels, one, zero, bias, r0, r1,
                 ws);
      b.CreateBr(done);
    }
    b.SetInsertPoint(done);
  }, "tile");
  cg.finishKernel();
  return std::make_unique<ConvLaunch>(node, layout());
}

}  // namespace

std::unique_ptr<KernelLaunch> emitGemmFamily(CodegenContext& cg, const Node& node, const std::string& name,
                                             std::string* whyNot) {
  if (node.opType() == "MatMul") return emitMatMul(cg, node, name, whyNot);
  if (node.opType() == "Gemm") return emitGemm(cg, node, name, whyNot);
  return emitConv(cg, node, name, whyNot);
}

}  // namespace kiln::llvmjit
