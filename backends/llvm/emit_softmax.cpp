// Softmax and LogSoftmax along one axis, three passes over each row (max, sum of exp, write),
// numerically as ONNX Runtime does it: exp(x - max) / sum, and x - max - log(sum).

#include <limits>

#include "backends/llvm/axis_split.h"
#include "backends/llvm/codegen_table.h"

namespace kiln::llvmjit {

std::unique_ptr<KernelLaunch> emitSoftmax(CodegenContext& cg, const Node& node, const std::string& name,
                                          std::string* whyNot) {
  const Value* x = node.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked() || x->shape().rank() == 0) {
    *whyNot = "input rank unknown";
    return nullptr;
  }
  const DType dtype = x->dtype();
  if (dtype != DType::Float32 && dtype != DType::Float64) {
    *whyNot = "no generated code for " + node.opType() + " on " + std::string(dtypeName(dtype));
    return nullptr;
  }
  const auto rank = static_cast<int64_t>(x->shape().rank());
  int64_t axis = node.intAttr("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    *whyNot = "axis out of range";
    return nullptr;
  }
  const bool log = node.opType() == "LogSoftmax";

  auto& b = cg.builder();
  llvm::Type* t = cg.valueType(dtype);
  KernelBody k = cg.beginKernel(name, 2, 3);
  llvm::Value *in = k.buffers[0], *out = k.buffers[1];
  llvm::Value *reduced = k.dims[1], *inner = k.dims[2];
  auto exp = [&](llvm::Value* v) { return b.CreateUnaryIntrinsic(llvm::Intrinsic::exp, v); };
  llvm::FastMathFlags reassoc;
  reassoc.setAllowReassoc();

  cg.forLoop(k.begin, k.end, [&](llvm::Value* o) {
    llvm::Value* rowBase = b.CreateNSWMul(b.CreateNSWMul(o, reduced), inner);
    cg.forLoop(cg.i64(0), inner, [&](llvm::Value* i) {
      llvm::Value* base = b.CreateNSWAdd(rowBase, i);
      auto at = [&](llvm::Value* r) { return b.CreateNSWAdd(base, b.CreateNSWMul(r, inner)); };
      llvm::Value* minusInf = llvm::ConstantFP::getInfinity(t, true);
      llvm::Value* max = cg.reduceLoop(cg.i64(0), reduced, minusInf, [&](llvm::Value* r, llvm::Value* m) {
        return b.CreateMaxNum(m, cg.loadElement(in, at(r), dtype));
      }, "max");
      b.setFastMathFlags(reassoc);
      llvm::Value* sum = cg.reduceLoop(cg.i64(0), reduced, llvm::ConstantFP::get(t, 0.0), [&](llvm::Value* r, llvm::Value* s) {
        return b.CreateFAdd(s, exp(b.CreateFSub(cg.loadElement(in, at(r), dtype), max)));
      }, "sum");
      b.clearFastMathFlags();
      llvm::Value* logSum = log ? b.CreateUnaryIntrinsic(llvm::Intrinsic::log, sum) : nullptr;
      cg.forLoop(cg.i64(0), reduced, [&](llvm::Value* r) {
        llvm::Value* shifted = b.CreateFSub(cg.loadElement(in, at(r), dtype), max);
        llvm::Value* y = log ? b.CreateFSub(shifted, logSum) : b.CreateFDiv(exp(shifted), sum);
        cg.storeElement(y, out, at(r), dtype);
      }, "w");
    }, "i");
  }, "o");
  cg.finishKernel();
  return std::make_unique<AxisSplitLaunch>(static_cast<size_t>(rank), static_cast<size_t>(axis),
                                           static_cast<size_t>(axis) + 1, AxisSplitLaunch::Output::SameAsInput);
}

}  // namespace kiln::llvmjit
