// MaxPool and AveragePool over NCHW inputs (2-D windows): one iteration per (n, c) plane, every
// output position reduces its window with bounds checks. The window geometry (pads, auto_pad,
// ceil_mode, dilations) is resolved at launch from the actual input dims by the same
// resolveWindow the reference kernels use, so the kernel takes it all as run-time dims.

#include <limits>

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/launches.h"
#include "backends/reference/window_geometry.h"

namespace kiln::llvmjit {

/// kernelDims: planes, H, W, OH, OW, KH, KW, SH, SW, DH, DW, padTop, padLeft, padBottom, padRight
/// (PoolLaunch).
constexpr size_t kPoolDims = 15;


std::unique_ptr<KernelLaunch> emitPool(CodegenContext& cg, const Node& node, const std::string& name,
                                       std::string* whyNot) {
  const Value* x = node.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked() || x->shape().rank() != 4) {
    *whyNot = "only 2-D pooling of a rank-4 input is generated";
    return nullptr;
  }
  const DType dtype = x->dtype();
  std::vector<int64_t> kernel = node.intsAttr("kernel_shape");
  if ((dtype != DType::Float32 && dtype != DType::Float64) || kernel.size() != 2) {
    *whyNot = "dtype or kernel_shape not generated";
    return nullptr;
  }
  if (node.numOutputs() > 1 && node.output(1) && (node.output(1)->hasUses() || node.output(1)->isGraphOutput())) {
    *whyNot = "MaxPool indices are used";
    return nullptr;
  }
  const bool isMax = node.opType() == "MaxPool";
  const bool includePad = node.intAttr("count_include_pad", 0) != 0;

  auto& b = cg.builder();
  llvm::Type* t = cg.valueType(dtype);
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1, kPoolDims);
  llvm::Value *in = k.buffers[0], *out = k.buffers[node.numInputs()];
  const auto& d = k.dims;
  llvm::Value *H = d[1], *W = d[2], *OH = d[3], *OW = d[4], *KH = d[5], *KW = d[6];
  llvm::Value *SH = d[7], *SW = d[8], *DH = d[9], *DW = d[10], *PT = d[11], *PL = d[12], *PB = d[13], *PR = d[14];
  llvm::Value* identity = isMax ? llvm::ConstantFP::getInfinity(t, true) : llvm::ConstantFP::get(t, 0.0);
  auto inside = [&](llvm::Value* p, llvm::Value* limit) {
    return b.CreateAnd(b.CreateICmpSGE(p, cg.i64(0)), b.CreateICmpSLT(p, limit));
  };
  // How many window taps along one axis satisfy `ok(position)`.
  auto countTaps = [&](llvm::Value* start, llvm::Value* taps, llvm::Value* dilation, auto ok) {
    return cg.reduceLoop(cg.i64(0), taps, cg.i64(0), [&](llvm::Value* i, llvm::Value* c) {
      llvm::Value* p = b.CreateNSWAdd(start, b.CreateNSWMul(i, dilation));
      return b.CreateAdd(c, b.CreateZExt(ok(p), b.getInt64Ty()));
    }, "n");
  };

  cg.forLoop(k.begin, k.end, [&](llvm::Value* plane) {
    llvm::Value* inPlane = b.CreateNSWMul(plane, b.CreateNSWMul(H, W));
    llvm::Value* outPlane = b.CreateNSWMul(plane, b.CreateNSWMul(OH, OW));
    cg.forLoop(cg.i64(0), OH, [&](llvm::Value* oh) {
      llvm::Value* hs = b.CreateNSWSub(b.CreateNSWMul(oh, SH), PT);
      cg.forLoop(cg.i64(0), OW, [&](llvm::Value* ow) {
        llvm::Value* ws = b.CreateNSWSub(b.CreateNSWMul(ow, SW), PL);
        llvm::Value* acc = cg.reduceLoop(cg.i64(0), KH, identity, [&](llvm::Value* i, llvm::Value* accH) {
          llvm::Value* ih = b.CreateNSWAdd(hs, b.CreateNSWMul(i, DH));
          llvm::Value* rowOk = inside(ih, H);
          return cg.reduceLoop(cg.i64(0), KW, accH, [&](llvm::Value* j, llvm::Value* a) {
            llvm::Value* iw = b.CreateNSWAdd(ws, b.CreateNSWMul(j, DW));
            llvm::Value* ok = b.CreateAnd(rowOk, inside(iw, W));
            // Out-of-window taps read element 0 of the plane and are then discarded.
            llvm::Value* at = b.CreateSelect(ok, b.CreateNSWAdd(inPlane, b.CreateNSWAdd(b.CreateNSWMul(ih, W), iw)), inPlane);
            llvm::Value* v = b.CreateSelect(ok, cg.loadElement(in, at, dtype), identity);
            return isMax ? b.CreateMaxNum(a, v) : b.CreateFAdd(a, v);
          }, "kw");
        }, "kh");
        if (!isMax) {
          llvm::Value *countH, *countW;
          if (includePad) {
            llvm::Value* limitH = b.CreateNSWAdd(H, PB);
            llvm::Value* limitW = b.CreateNSWAdd(W, PR);
            countH = countTaps(hs, KH, DH, [&](llvm::Value* p) { return b.CreateICmpSLT(p, limitH); });
            countW = countTaps(ws, KW, DW, [&](llvm::Value* p) { return b.CreateICmpSLT(p, limitW); });
          } else {
            countH = countTaps(hs, KH, DH, [&](llvm::Value* p) { return inside(p, H); });
            countW = countTaps(ws, KW, DW, [&](llvm::Value* p) { return inside(p, W); });
          }
          llvm::Value* count = b.CreateNSWMul(countH, countW);
          llvm::Value* mean = b.CreateFDiv(acc, b.CreateSIToFP(count, t));
          acc = b.CreateSelect(b.CreateICmpEQ(count, cg.i64(0)), llvm::ConstantFP::get(t, 0.0), mean);
        }
        cg.storeElement(acc, out, b.CreateNSWAdd(outPlane, b.CreateNSWAdd(b.CreateNSWMul(oh, OW), ow)), dtype);
      }, "ow");
    }, "oh");
  }, "plane");
  cg.finishKernel();
  return std::make_unique<PoolLaunch>(node, std::move(kernel));
}

}  // namespace kiln::llvmjit
