// Pad in constant, reflect and edge modes, pads and axes read at launch (so computed pads
// work too). One iteration per output row: each row axis maps its output coordinate to an
// input one (or to the fill); along the last axis a constant row is fill, copy, fill (no
// per-element test), a reflect/edge row maps each element.

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/launches_shape.h"

namespace kiln::llvmjit {
namespace {

struct AxisDims {
  llvm::Value *out, *before, *kept, *crop, *stride;
};

/// Input coordinate (within the kept range) that output coordinate `o` reads in reflect or
/// edge mode, and whether `o` lies inside the kept range.
llvm::Value* sourceOf(CodegenContext& cg, llvm::Value* o, const AxisDims& a, PadLaunch::Mode mode, llvm::Value** inside) {
  auto& b = cg.builder();
  llvm::Value* i = b.CreateNSWSub(o, a.before);
  *inside = b.CreateICmpULT(i, a.kept);  // 0 <= i < kept
  if (mode == PadLaunch::Mode::Constant) return i;
  llvm::Value* mapped;
  if (mode == PadLaunch::Mode::Edge) {
    llvm::Value* last = b.CreateNSWSub(a.kept, cg.i64(1));
    llvm::Value* low = b.CreateSelect(b.CreateICmpSLT(i, cg.i64(0)), cg.i64(0), i);
    mapped = b.CreateSelect(b.CreateICmpSGT(low, last), last, low);
  } else {  // reflect without repeating the edge (numpy): period 2 * (kept - 1)
    llvm::Value* period = b.CreateNSWMul(cg.i64(2), b.CreateNSWSub(a.kept, cg.i64(1)));
    period = b.CreateSelect(b.CreateICmpSLT(period, cg.i64(1)), cg.i64(1), period);
    llvm::Value* m = b.CreateSRem(i, period);
    m = b.CreateSelect(b.CreateICmpSLT(m, cg.i64(0)), b.CreateNSWAdd(m, period), m);
    mapped = b.CreateSelect(b.CreateICmpSLT(m, a.kept), m, b.CreateNSWSub(period, m));
  }
  return b.CreateSelect(*inside, i, mapped);
}

}  // namespace

std::unique_ptr<KernelLaunch> emitPad(CodegenContext& cg, const Node& node, const std::string& name,
                                      std::string* whyNot) {
  const Value* x = node.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked() || x->shape().rank() == 0 ||
      !CodegenContext::isSupportedDType(x->dtype())) {
    *whyNot = "input rank or dtype unknown";
    return nullptr;
  }
  if (!node.input(1) || !isInteger(node.input(1)->dtype()) || (node.input(3) && !isInteger(node.input(3)->dtype()))) {
    *whyNot = "pads are not an integer operand";
    return nullptr;
  }
  const std::string modeName = node.stringAttr("mode", "constant");
  PadLaunch::Mode mode;
  if (modeName == "constant") mode = PadLaunch::Mode::Constant;
  else if (modeName == "reflect") mode = PadLaunch::Mode::Reflect;
  else if (modeName == "edge") mode = PadLaunch::Mode::Edge;
  else {
    *whyNot = "no generated code for pad mode '" + modeName + "'";
    return nullptr;
  }
  const DType dtype = x->dtype();
  const bool hasFill = mode == PadLaunch::Mode::Constant && node.input(2) != nullptr;
  if (hasFill && node.input(2)->dtype() != dtype) {
    *whyNot = "constant_value has another dtype than data";
    return nullptr;
  }
  const size_t rank = x->shape().rank();
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1, 5 * rank);
  std::vector<AxisDims> axes(rank);
  for (size_t d = 0; d < rank; ++d)
    axes[d] = {k.dims[5 * d], k.dims[5 * d + 1], k.dims[5 * d + 2], k.dims[5 * d + 3], k.dims[5 * d + 4]};
  llvm::Value* out = k.buffers[node.numInputs()];
  llvm::Value* fill = hasFill ? cg.loadElement(k.buffers[2], cg.i64(0), dtype)
                              : llvm::Constant::getNullValue(cg.valueType(dtype));
  const AxisDims& lastAxis = axes[rank - 1];
  cg.forLoop(k.begin, k.end, [&](llvm::Value* row) {
    llvm::Value* base = cg.i64(0);
    llvm::Value* rowInside = b.getTrue();
    llvm::Value* rest = row;
    for (size_t d = rank - 1; d-- > 0;) {
      llvm::Value* coord = d == 0 ? rest : b.CreateURem(rest, axes[d].out);
      if (d > 0) rest = b.CreateUDiv(rest, axes[d].out);
      llvm::Value* inside;
      llvm::Value* s = sourceOf(cg, coord, axes[d], mode, &inside);
      rowInside = b.CreateAnd(rowInside, inside);
      base = b.CreateNSWAdd(base, b.CreateNSWMul(b.CreateNSWAdd(s, axes[d].crop), axes[d].stride));
    }
    llvm::Value* outBase = b.CreateNSWMul(row, lastAxis.out);
    llvm::Value* inBase = b.CreateNSWAdd(base, lastAxis.crop);  // the last axis has stride 1
    if (mode == PadLaunch::Mode::Constant) {
      llvm::Value* copied = b.CreateSelect(rowInside, lastAxis.kept, cg.i64(0));
      llvm::Value* copyEnd = b.CreateNSWAdd(lastAxis.before, copied);
      auto fillRange = [&](llvm::Value* from, llvm::Value* to) {
        cg.forLoop(from, to, [&](llvm::Value* j) { cg.storeElement(fill, out, b.CreateNSWAdd(outBase, j), dtype); }, "f");
      };
      fillRange(cg.i64(0), lastAxis.before);
      cg.forLoop(lastAxis.before, copyEnd, [&](llvm::Value* j) {
        llvm::Value* from = b.CreateNSWAdd(inBase, b.CreateNSWSub(j, lastAxis.before));
        cg.storeElement(cg.loadElement(k.buffers[0], from, dtype), out, b.CreateNSWAdd(outBase, j), dtype);
      }, "j");
      fillRange(copyEnd, lastAxis.out);
    } else {
      cg.forLoop(cg.i64(0), lastAxis.out, [&](llvm::Value* j) {
        llvm::Value* inside;
        llvm::Value* s = sourceOf(cg, j, lastAxis, mode, &inside);
        cg.storeElement(cg.loadElement(k.buffers[0], b.CreateNSWAdd(inBase, s), dtype), out,
                        b.CreateNSWAdd(outBase, j), dtype);
      }, "j");
    }
  }, "row");
  cg.finishKernel();
  return std::make_unique<PadLaunch>(rank, mode, hasFill);
}

}  // namespace kiln::llvmjit
