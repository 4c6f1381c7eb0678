// MatMul, Gemm and Conv through kiln's emitted GEMM (backends/llvm/gemm): each node's kernel
// calls a packed GEMM driver emitted into the same module (one driver per configuration,
// shared by every node that needs it). Each kernel call allocates its own workspace (malloc),
// so the thread pool's slices run independently: MatMul and Gemm split over batch x row
// chunks, Conv over images x output-channel chunks (im2col once per image per slice). Conv
// runs im2col (emitted here) straight into the packed-B layout, so its GEMM is compiled with
// prepackedB and the conv bias as a per-row bias.

#include <algorithm>

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/launches.h"
#include "backends/llvm/gemm/gemm_codegen.h"
#include "backends/reference/window_geometry.h"

namespace kiln::llvmjit {
namespace {

using llvmgemm::GemmConfig;

const llvmgemm::GemmTiling& tiling() {
  static const llvmgemm::GemmTiling t = llvmgemm::hostGemmTiling();
  return t;
}

/// The driver for `config` (its name derived from the options), emitted once per module.
llvm::Function* gemmDriver(CodegenContext& cg, GemmConfig config) {
  config.tiling = tiling();
  config.name = std::string("kiln_gemm") + (config.transA ? "_ta" : "") + (config.transB ? "_tb" : "") +
                (config.prepackedB ? "_pp" : "") +
                (config.bias == llvmgemm::GemmBias::PerRow      ? "_brow"
                 : config.bias == llvmgemm::GemmBias::PerColumn ? "_bcol"
                                                                 : "");
  if (llvm::Function* f = cg.module().getFunction(config.name)) return f;
  return llvmgemm::emitGemmKernel(cg.module(), config);
}

bool isRankedF32(const Value* v) {
  return v && v->type().isTensor() && v->dtype() == DType::Float32 && v->shape().isRanked();
}

/// `ptr malloc(floats * 4)` at the builder; free it with freeWorkspace.
llvm::Value* allocFloats(CodegenContext& cg, llvm::Value* floats) {
  auto& b = cg.builder();
  auto malloc = cg.module().getOrInsertFunction("malloc", b.getPtrTy(), b.getInt64Ty());
  return b.CreateCall(malloc, {b.CreateNSWMul(floats, cg.i64(4))}, "workspace");
}

void freeFloats(CodegenContext& cg, llvm::Value* p) {
  auto& b = cg.builder();
  auto free = cg.module().getOrInsertFunction("free", b.getVoidTy(), b.getPtrTy());
  b.CreateCall(free, {p});
}

llvm::Value* floatAt(CodegenContext& cg, llvm::Value* base, llvm::Value* index) {
  return cg.builder().CreateInBoundsGEP(cg.builder().getFloatTy(), base, index);
}

/// Calls `driver` for rows [rowBegin, rowEnd) and all N columns.
void callDriver(CodegenContext& cg, llvm::Function* driver, llvm::Value* m, llvm::Value* n, llvm::Value* k,
                llvm::Value* a, llvm::Value* lda, llvm::Value* bMatrix, llvm::Value* ldb, llvm::Value* c,
                llvm::Value* alpha, llvm::Value* beta, llvm::Value* bias, llvm::Value* rowBegin,
                llvm::Value* rowEnd, llvm::Value* workspace) {
  cg.builder().CreateCall(driver, {m, n, k, a, lda, bMatrix, ldb, c, n, alpha, beta, bias, rowBegin, rowEnd,
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
  llvm::Function* driver = gemmDriver(cg, GemmConfig{});
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, 3, 7);
  llvm::Value *chunks = k.dims[0], *m = k.dims[1], *n = k.dims[2], *kk = k.dims[3];
  llvm::Value *strideA = k.dims[4], *strideB = k.dims[5], *rows = k.dims[6];
  llvm::Value* ws = allocFloats(cg, cg.i64(llvmgemm::gemmWorkspaceFloats(tiling())));
  llvm::Value* one = llvm::ConstantFP::get(b.getFloatTy(), 1.0);
  llvm::Value* zero = llvm::ConstantFP::get(b.getFloatTy(), 0.0);
  llvm::Value* noBias = llvm::ConstantPointerNull::get(b.getPtrTy());
  forRowChunks(cg, k, chunks, m, rows, [&](llvm::Value* batch, llvm::Value* r0, llvm::Value* r1) {
    llvm::Value* a = floatAt(cg, k.buffers[0], b.CreateNSWMul(batch, strideA));
    llvm::Value* bm = floatAt(cg, k.buffers[1], b.CreateNSWMul(batch, strideB));
    llvm::Value* c = floatAt(cg, k.buffers[2], b.CreateNSWMul(batch, b.CreateNSWMul(m, n)));
    callDriver(cg, driver, m, n, kk, a, kk, bm, n, c, one, zero, noBias, r0, r1, ws);
  });
  freeFloats(cg, ws);
  cg.finishKernel();
  return std::make_unique<MatMulLaunch>(tiling().mr);
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
  llvm::Function* driver = gemmDriver(cg, config);
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1, 9);
  llvm::Value *chunks = k.dims[0], *m = k.dims[1], *n = k.dims[2], *kk = k.dims[3], *lda = k.dims[4];
  llvm::Value *ldb = k.dims[5], *cRow = k.dims[6], *cCol = k.dims[7], *rows = k.dims[8];
  llvm::Value* out = k.buffers[node.numInputs()];
  llvm::Value* ws = allocFloats(cg, cg.i64(llvmgemm::gemmWorkspaceFloats(tiling())));
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
    callDriver(cg, driver, m, n, kk, k.buffers[0], lda, k.buffers[1], ldb, out, alpha, beta, noBias, r0, r1, ws);
  });
  freeFloats(cg, ws);
  cg.finishKernel();
  return std::make_unique<GemmLaunch>(config.transA, config.transB, tiling().mr);
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
  GemmConfig config;
  config.prepackedB = true;
  config.bias = biasValue ? llvmgemm::GemmBias::PerRow : llvmgemm::GemmBias::None;
  llvm::Function* driver = gemmDriver(cg, config);
  const int64_t nr = tiling().nr;

  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1, 16);
  const auto& d = k.dims;
  llvm::Value *C = d[0], *H = d[1], *W = d[2], *cout = d[3], *KH = d[4], *KW = d[5], *SH = d[6], *SW = d[7];
  llvm::Value *DH = d[8], *DW = d[9], *PT = d[10], *PL = d[11], *OH = d[12], *OW = d[13];
  llvm::Value *chunks = d[14], *rows = d[15];
  llvm::Value* x = k.buffers[0];
  llvm::Value* weights = k.buffers[1];
  llvm::Value* bias = biasValue ? k.buffers[2] : llvm::ConstantPointerNull::get(b.getPtrTy());
  llvm::Value* out = k.buffers[node.numInputs()];
  llvm::Value* taps = b.CreateNSWMul(KH, KW);
  llvm::Value* depth = b.CreateNSWMul(C, taps);  // GEMM K
  llvm::Value* pixels = b.CreateNSWMul(OH, OW);  // GEMM N
  llvm::Value* padded = b.CreateNSWMul(b.CreateSDiv(b.CreateNSWAdd(pixels, cg.i64(nr - 1)), cg.i64(nr)), cg.i64(nr));
  const int64_t wsFloats = llvmgemm::gemmWorkspaceFloats(tiling());
  llvm::Value* ws = allocFloats(cg, b.CreateNSWAdd(cg.i64(wsFloats), b.CreateNSWMul(padded, depth)));
  llvm::Value* columns = floatAt(cg, ws, cg.i64(wsFloats));
  llvm::Value* zero = llvm::ConstantFP::get(b.getFloatTy(), 0.0);
  llvm::Value* one = llvm::ConstantFP::get(b.getFloatTy(), 1.0);
  auto inside = [&](llvm::Value* p, llvm::Value* limit) {
    return b.CreateAnd(b.CreateICmpSGE(p, cg.i64(0)), b.CreateICmpSLT(p, limit));
  };
  // Element (row, pixel) of the im2col matrix in the packed-B panel layout.
  auto packedIndex = [&](llvm::Value* row, llvm::Value* pixel) {
    llvm::Value* panel = b.CreateSDiv(pixel, cg.i64(nr));
    llvm::Value* lane = b.CreateSRem(pixel, cg.i64(nr));
    return b.CreateNSWAdd(b.CreateNSWMul(panel, b.CreateNSWMul(depth, cg.i64(nr))),
                          b.CreateNSWAdd(b.CreateNSWMul(row, cg.i64(nr)), lane));
  };
  cg.forLoop(k.begin, k.end, [&](llvm::Value* i) {
    llvm::Value* image = b.CreateSDiv(i, chunks);
    llvm::Value* chunk = b.CreateSRem(i, chunks);
    // im2col once per image in this slice: at its first iteration and at each new image.
    llvm::Function* fn = b.GetInsertBlock()->getParent();
    auto* fill = llvm::BasicBlock::Create(cg.context(), "im2col", fn);
    auto* ready = llvm::BasicBlock::Create(cg.context(), "columns.ready", fn);
    b.CreateCondBr(b.CreateOr(b.CreateICmpEQ(i, k.begin), b.CreateICmpEQ(chunk, cg.i64(0))), fill, ready);
    b.SetInsertPoint(fill);
    llvm::Value* in = floatAt(cg, x, b.CreateNSWMul(image, b.CreateNSWMul(C, b.CreateNSWMul(H, W))));
    cg.forLoop(cg.i64(0), depth, [&](llvm::Value* row) {
      llvm::Value* channel = b.CreateSDiv(row, taps);
      llvm::Value* tap = b.CreateSRem(row, taps);
      llvm::Value* yOffset = b.CreateNSWSub(b.CreateNSWMul(b.CreateSDiv(tap, KW), DH), PT);
      llvm::Value* xOffset = b.CreateNSWSub(b.CreateNSWMul(b.CreateSRem(tap, KW), DW), PL);
      llvm::Value* plane = b.CreateNSWMul(channel, b.CreateNSWMul(H, W));
      cg.forLoop(cg.i64(0), OH, [&](llvm::Value* oy) {
        llvm::Value* y = b.CreateNSWAdd(b.CreateNSWMul(oy, SH), yOffset);
        llvm::Value* rowOk = inside(y, H);
        cg.forLoop(cg.i64(0), OW, [&](llvm::Value* ox) {
          llvm::Value* xx = b.CreateNSWAdd(b.CreateNSWMul(ox, SW), xOffset);
          llvm::Value* ok = b.CreateAnd(rowOk, inside(xx, W));
          // Taps in the padding read element 0 of the image and are then replaced by zero.
          llvm::Value* at = b.CreateSelect(ok, b.CreateNSWAdd(plane, b.CreateNSWAdd(b.CreateNSWMul(y, W), xx)), cg.i64(0));
          llvm::Value* v = b.CreateSelect(ok, cg.loadElement(in, at, DType::Float32), zero);
          cg.storeElement(v, columns, packedIndex(row, b.CreateNSWAdd(b.CreateNSWMul(oy, OW), ox)), DType::Float32);
        }, "ox");
      }, "oy");
      // The last panel's lanes past the last pixel: zero, so the microkernel reads no garbage.
      cg.forLoop(pixels, padded, [&](llvm::Value* p) {
        cg.storeElement(zero, columns, packedIndex(row, p), DType::Float32);
      }, "tail");
    }, "row");
    b.CreateBr(ready);
    b.SetInsertPoint(ready);
    llvm::Value* r0 = b.CreateNSWMul(chunk, rows);
    llvm::Value* r1 = b.CreateNSWAdd(r0, rows);
    r1 = b.CreateSelect(b.CreateICmpSLT(r1, cout), r1, cout);
    llvm::Value* result = floatAt(cg, out, b.CreateNSWMul(image, b.CreateNSWMul(cout, pixels)));
    callDriver(cg, driver, cout, pixels, depth, weights, depth, columns, pixels, result, one, zero, bias, r0, r1, ws);
  }, "image");
  freeFloats(cg, ws);
  cg.finishKernel();
  return std::make_unique<ConvLaunch>(node, tiling().mr);
}

}  // namespace

std::unique_ptr<KernelLaunch> emitGemmFamily(CodegenContext& cg, const Node& node, const std::string& name,
                                             std::string* whyNot) {
  if (node.opType() == "MatMul") return emitMatMul(cg, node, name, whyNot);
  if (node.opType() == "Gemm") return emitGemm(cg, node, name, whyNot);
  return emitConv(cg, node, name, whyNot);
}

}  // namespace kiln::llvmjit
