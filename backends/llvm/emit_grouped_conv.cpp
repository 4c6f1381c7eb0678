// Grouped and depthwise Conv (group > 1) and kiln.FusedConv with group > 1, as a direct
// kernel: one iteration per (image, output channel), which the thread pool splits.
//
// Each input channel of the group is copied into a zero-padded plane P (pitch Wp, padding
// zeroed once per call), so no tap needs a bounds check. Outputs are computed on a flat grid
// j = oh * Q + ow with row pitch Q = SH * Wp / SW (Wp is a multiple of SW, so Q >= OW): output
// j reads P[SW * j + kh * DH * Wp + kw * DW] for every output row at once, so the whole plane
// is one long loop of 32-float LLVM vectors (4 AVX2 registers: independent FMA chains)
// instead of short rows. Every tap accumulates in registers; a block is stored once per input
// channel. Grid columns ow >= OW (and the tail past the last output) are computed and dropped:
// for stride 1 that is the padding width, for stride 2 about half of the grid. SW > 1 loads
// SW * 32 contiguous floats and keeps every SW-th (shufflevector). The rows are then copied
// out with FusedConv's residual and activation. The window geometry (pads, auto_pad) is
// resolved at launch (GroupedConvLaunch) as for the dense Conv; strides are compile-time
// constants read from the node, kernel sizes and dilations run-time dims. A 1-D Conv is one
// row.
//
// Why not per-group im2col + GEMM: a depthwise group reduces over one channel's window only
// (K = KH * KW, 9 to 49), too short for the packed GEMM's panels to pay for their packing; the
// direct kernel reads each padded plane from L1 (docs/jit.md has the measurements).

#include <llvm/IR/Intrinsics.h>

#include <cmath>

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/launches.h"

namespace kiln::llvmjit {
namespace {

/// kernelDims of GroupedConvLaunch.
enum Dim : size_t {
  kC, kH, kW, kM, kCg, kMg, kKH, kKW, kSH, kSW, kDH, kDW, kPadTop, kPadLeft, kOH, kOW, kHp, kWp, kQ, kNumDims
};

/// Floats per vector block: 4 AVX2 registers (2 AVX-512), enough independent FMA chains.
constexpr unsigned kBlock = 32;

bool isRankedF32(const Value* v) {
  return v && v->type().isTensor() && v->shape().isRanked() && v->dtype() == DType::Float32;
}

/// FusedConv's activation on one f32 value or vector (ir/kiln_expand.cpp gives their meaning).
using Activation = std::function<llvm::Value*(llvm::IRBuilder<>&, llvm::Value*)>;

std::optional<Activation> activationFor(const Node& node) {
  const std::string name = node.stringAttr("activation", "");
  std::vector<float> params;
  if (const Attribute* a = node.attr("activation_params")) params = a->floats();
  auto c = [](llvm::IRBuilder<>& b, double v) { return llvm::ConstantFP::get(b.getFloatTy(), v); };
  auto sigmoid = [c](llvm::IRBuilder<>& b, llvm::Value* x) {
    llvm::Value* e = b.CreateIntrinsic(llvm::Intrinsic::exp, {b.getFloatTy()}, {b.CreateFNeg(x)});
    return b.CreateFDiv(c(b, 1), b.CreateFAdd(c(b, 1), e));
  };
  if (name.empty()) return Activation([](llvm::IRBuilder<>&, llvm::Value* x) { return x; });
  if (name == "Relu") return Activation([c](llvm::IRBuilder<>& b, llvm::Value* x) { return b.CreateMaxNum(x, c(b, 0)); });
  if (name == "Sigmoid") return Activation(sigmoid);
  if (name == "Silu")
    return Activation([sigmoid](llvm::IRBuilder<>& b, llvm::Value* x) { return b.CreateFMul(x, sigmoid(b, x)); });
  if (name == "HardSwish")  // x * clamp(x / 6 + 1/2, 0, 1)
    return Activation([c](llvm::IRBuilder<>& b, llvm::Value* x) {
      llvm::Value* gate = b.CreateFAdd(b.CreateFMul(x, c(b, 1.0 / 6.0)), c(b, 0.5));
      return b.CreateFMul(x, b.CreateMinNum(b.CreateMaxNum(gate, c(b, 0)), c(b, 1)));
    });
  if (name == "LeakyRelu") {
    const double alpha = params.empty() ? 0.01 : params[0];
    return Activation([c, alpha](llvm::IRBuilder<>& b, llvm::Value* x) {
      return b.CreateSelect(b.CreateFCmpOLT(x, c(b, 0)), b.CreateFMul(x, c(b, alpha)), x);
    });
  }
  if (name == "Clip" && params.size() == 2) {
    const float lo = params[0], hi = params[1];
    return Activation([c, lo, hi](llvm::IRBuilder<>& b, llvm::Value* x) {
      if (!std::isinf(lo)) x = b.CreateMaxNum(x, c(b, lo));
      if (!std::isinf(hi)) x = b.CreateMinNum(x, c(b, hi));
      return x;
    });
  }
  return std::nullopt;
}

/// Why the node cannot run on the direct kernel, or empty.
std::string unsupported(const Node& node, bool fused) {
  const Value* x = node.input(0);
  const Value* bias = node.numInputs() > 2 ? node.input(2) : nullptr;
  const Value* residual = fused && node.numInputs() > 3 ? node.input(3) : nullptr;
  if (!isRankedF32(x) || !isRankedF32(node.input(1)) || (x->shape().rank() != 3 && x->shape().rank() != 4))
    return "only f32 1-D and 2-D Conv is generated";
  if ((bias && !isRankedF32(bias)) || (residual && !isRankedF32(residual))) return "bias or residual is not f32";
  const std::vector<int64_t> strides = node.intsAttr("strides");
  for (int64_t s : strides)
    if (s < 1 || s > 8) return "strides above 8 are not generated";
  return {};
}

}  // namespace

std::unique_ptr<KernelLaunch> emitGroupedConv(CodegenContext& cg, const Node& node, const std::string& name,
                                              std::string* whyNot) {
  const bool fused = node.domain() == "kiln";
  if (std::string why = unsupported(node, fused); !why.empty()) {
    *whyNot = why;
    return nullptr;
  }
  const int64_t group = node.intAttr("group", 1);
  const std::vector<int64_t> strides = node.intsAttr("strides");
  const unsigned strideW = strides.empty() ? 1 : static_cast<unsigned>(strides.back());
  auto identity = [](llvm::IRBuilder<>&, llvm::Value* v) { return v; };
  auto activation = fused ? activationFor(node) : std::optional<Activation>(identity);
  if (!activation) {
    *whyNot = "FusedConv activation '" + node.stringAttr("activation", "") + "' is not generated";
    return nullptr;
  }
  const bool hasBias = node.numInputs() > 2 && node.input(2);
  const bool hasResidual = fused && node.numInputs() > 3 && node.input(3);

  auto& b = cg.builder();
  llvm::Type* f32 = b.getFloatTy();
  auto* vec = llvm::FixedVectorType::get(f32, kBlock);
  auto* wide = llvm::FixedVectorType::get(f32, kBlock * strideW);
  std::vector<int> every;  // lanes 0, SW, 2 SW, ... of a wide load
  for (unsigned i = 0; i < kBlock; ++i) every.push_back(static_cast<int>(i * strideW));
  const llvm::Align unaligned(4);

  KernelBody k = cg.beginKernel(name, node.numInputs() + 1, kNumDims);
  const auto& d = k.dims;
  llvm::Value *x = k.buffers[0], *w = k.buffers[1], *out = k.buffers[node.numInputs()];
  llvm::Value *H = d[kH], *W = d[kW], *M = d[kM], *Cg = d[kCg], *Mg = d[kMg], *KH = d[kKH], *KW = d[kKW];
  llvm::Value *DH = d[kDH], *DW = d[kDW], *OH = d[kOH], *OW = d[kOW], *Wp = d[kWp], *Q = d[kQ];
  llvm::Value* planeIn = b.CreateNSWMul(H, W);
  llvm::Value* taps = b.CreateNSWMul(KH, KW);
  // Scratch: the padded plane (+ one wide load of slack past it), then the flat accumulator.
  llvm::Value* planeFloats = b.CreateNSWAdd(b.CreateNSWMul(d[kHp], Wp), cg.i64(kBlock * strideW));
  llvm::Value* grid = b.CreateNSWAdd(b.CreateNSWMul(b.CreateNSWSub(OH, cg.i64(1)), Q), OW);
  llvm::Value* blocks = b.CreateSDiv(b.CreateNSWAdd(grid, cg.i64(kBlock - 1)), cg.i64(kBlock));
  llvm::Value* bytes = b.CreateNSWMul(b.CreateNSWAdd(planeFloats, b.CreateNSWMul(blocks, cg.i64(kBlock))), cg.i64(4));
  auto malloc = cg.module().getOrInsertFunction("malloc", b.getPtrTy(), b.getInt64Ty());
  llvm::Value* plane = b.CreateCall(malloc, {bytes}, "scratch");
  llvm::Value* acc = b.CreateInBoundsGEP(f32, plane, planeFloats);
  // Padding stays zero: every channel overwrites the same interior.
  b.CreateMemSet(plane, b.getInt8(0), b.CreateNSWMul(planeFloats, cg.i64(4)), llvm::MaybeAlign(4));
  llvm::Value* interior = b.CreateInBoundsGEP(f32, plane, b.CreateNSWAdd(b.CreateNSWMul(d[kPadTop], Wp), d[kPadLeft]));

  cg.forLoop(k.begin, k.end, [&](llvm::Value* it) {
    llvm::Value* image = b.CreateSDiv(it, M);
    llvm::Value* oc = b.CreateSRem(it, M);
    llvm::Value* firstChannel = b.CreateNSWMul(b.CreateSDiv(oc, Mg), Cg);
    llvm::Value* input = b.CreateInBoundsGEP(
        f32, x, b.CreateNSWMul(b.CreateNSWAdd(b.CreateNSWMul(image, d[kC]), firstChannel), planeIn));
    llvm::Value* weights = b.CreateInBoundsGEP(f32, w, b.CreateNSWMul(oc, b.CreateNSWMul(Cg, taps)));
    llvm::Value* start = hasBias ? cg.loadElement(k.buffers[2], oc, DType::Float32) : llvm::ConstantFP::get(f32, 0.0);
    llvm::Value* startVec = b.CreateVectorSplat(kBlock, start);
    cg.forLoop(cg.i64(0), blocks, [&](llvm::Value* blk) {
      b.CreateAlignedStore(startVec, b.CreateInBoundsGEP(f32, acc, b.CreateNSWMul(blk, cg.i64(kBlock))), unaligned);
    }, "init");
    cg.forLoop(cg.i64(0), Cg, [&](llvm::Value* ic) {
      llvm::Value* src = b.CreateInBoundsGEP(f32, input, b.CreateNSWMul(ic, planeIn));
      cg.forLoop(cg.i64(0), H, [&](llvm::Value* r) {
        llvm::Value* from = b.CreateInBoundsGEP(f32, src, b.CreateNSWMul(r, W));
        llvm::Value* to = b.CreateInBoundsGEP(f32, interior, b.CreateNSWMul(r, Wp));
        b.CreateMemCpy(to, llvm::MaybeAlign(4), from, llvm::MaybeAlign(4), b.CreateNSWMul(W, cg.i64(4)));
      }, "copy");
      llvm::Value* tapWeights = b.CreateInBoundsGEP(f32, weights, b.CreateNSWMul(ic, taps));
      cg.forLoop(cg.i64(0), blocks, [&](llvm::Value* blk) {
        llvm::Value* j = b.CreateNSWMul(blk, cg.i64(kBlock));
        llvm::Value* at = b.CreateInBoundsGEP(f32, acc, j);
        llvm::Value* first = b.CreateInBoundsGEP(f32, plane, b.CreateNSWMul(j, cg.i64(strideW)));
        llvm::Value* sum = cg.reduceLoop(cg.i64(0), KH, b.CreateAlignedLoad(vec, at, unaligned), [&](llvm::Value* kh, llvm::Value* s) {
          llvm::Value* rowStart = b.CreateInBoundsGEP(f32, first, b.CreateNSWMul(b.CreateNSWMul(kh, DH), Wp));
          llvm::Value* rowWeights = b.CreateInBoundsGEP(f32, tapWeights, b.CreateNSWMul(kh, KW));
          return cg.reduceLoop(cg.i64(0), KW, s, [&](llvm::Value* kw, llvm::Value* s2) {
            llvm::Value* wv = b.CreateVectorSplat(kBlock, cg.loadElement(rowWeights, kw, DType::Float32));
            llvm::Value* p = b.CreateAlignedLoad(wide, b.CreateInBoundsGEP(f32, rowStart, b.CreateNSWMul(kw, DW)), unaligned);
            if (strideW > 1) p = b.CreateShuffleVector(p, every);
            return b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {vec}, {wv, p, s2});
          }, "kw");
        }, "kh");
        b.CreateAlignedStore(sum, at, unaligned);
      }, "block");
    }, "ic");
    // Copy the grid's valid columns out, with the residual and activation.
    llvm::Value* result = b.CreateInBoundsGEP(f32, out, b.CreateNSWMul(it, b.CreateNSWMul(OH, OW)));
    llvm::Value* residual =
        hasResidual ? b.CreateInBoundsGEP(f32, k.buffers[3], b.CreateNSWMul(it, b.CreateNSWMul(OH, OW))) : nullptr;
    cg.forLoop(cg.i64(0), OH, [&](llvm::Value* oh) {
      llvm::Value* row = b.CreateInBoundsGEP(f32, acc, b.CreateNSWMul(oh, Q));
      llvm::Value* outAt = b.CreateNSWMul(oh, OW);
      cg.forLoop(cg.i64(0), OW, [&](llvm::Value* ow) {
        llvm::Value* v = cg.loadElement(row, ow, DType::Float32);
        llvm::Value* index = b.CreateNSWAdd(outAt, ow);
        if (residual) v = b.CreateFAdd(v, cg.loadElement(residual, index, DType::Float32));
        cg.storeElement((*activation)(b, v), result, index, DType::Float32);
      }, "ow");
    }, "oh");
  }, "channel");
  auto free = cg.module().getOrInsertFunction("free", b.getVoidTy(), b.getPtrTy());
  b.CreateCall(free, {plane});
  cg.finishKernel();
  return std::make_unique<GroupedConvLaunch>(node, group, hasResidual);
}

std::unique_ptr<KernelLaunch> emitConvFamily(CodegenContext& cg, const Node& node, const std::string& name,
                                             std::string* whyNot) {
  if (node.intAttr("group", 1) != 1) return emitGroupedConv(cg, node, name, whyNot);
  if (node.domain() == "kiln") {
    *whyNot = "FusedConv with group 1 is not generated";
    return nullptr;
  }
  return emitGemmFamily(cg, node, name, whyNot);
}

}  // namespace kiln::llvmjit
