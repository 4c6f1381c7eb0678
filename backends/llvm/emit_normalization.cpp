// LayerNormalization (two passes per row: mean, then variance; then the affine write) and
// BatchNormalization in inference mode (per channel: y = x * a + c with a = scale / sqrt(var +
// eps), c = bias - mean * a, folded once per row).

#include "backends/llvm/axis_split.h"
#include "backends/llvm/codegen_table.h"

namespace kiln::llvmjit {
namespace {

bool extraOutputsUsed(const Node& node) {
  for (size_t i = 1; i < node.numOutputs(); ++i)
    if (node.output(i) && (node.output(i)->hasUses() || node.output(i)->isGraphOutput())) return true;
  return false;
}

std::unique_ptr<KernelLaunch> emitLayerNorm(CodegenContext& cg, const Node& node, const std::string& name,
                                            size_t rank, DType dtype) {
  int64_t axis = node.intAttr("axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(rank);
  auto& b = cg.builder();
  llvm::Type* t = cg.valueType(dtype);
  const size_t outIndex = node.numInputs();
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1, 3);
  llvm::Value *in = k.buffers[0], *scale = k.buffers[1], *out = k.buffers[outIndex];
  llvm::Value* bias = node.input(2) ? k.buffers[2] : nullptr;
  llvm::Value* n = k.dims[1];
  llvm::Value* count = b.CreateSIToFP(n, t);
  llvm::Value* eps = llvm::ConstantFP::get(t, node.floatAttr("epsilon", 1e-5f));
  llvm::FastMathFlags reassoc;
  reassoc.setAllowReassoc();

  cg.forLoop(k.begin, k.end, [&](llvm::Value* o) {
    llvm::Value* base = b.CreateNSWMul(o, n);
    auto x = [&](llvm::Value* r) { return cg.loadElement(in, b.CreateNSWAdd(base, r), dtype); };
    b.setFastMathFlags(reassoc);
    llvm::Value* sum = cg.reduceLoop(cg.i64(0), n, llvm::ConstantFP::get(t, 0.0),
                                     [&](llvm::Value* r, llvm::Value* s) { return b.CreateFAdd(s, x(r)); }, "sum");
    llvm::Value* mean = b.CreateFDiv(sum, count);
    llvm::Value* sq = cg.reduceLoop(cg.i64(0), n, llvm::ConstantFP::get(t, 0.0), [&](llvm::Value* r, llvm::Value* s) {
      llvm::Value* d = b.CreateFSub(x(r), mean);
      return b.CreateFAdd(s, b.CreateFMul(d, d));
    }, "var");
    b.clearFastMathFlags();
    llvm::Value* inv = b.CreateFDiv(llvm::ConstantFP::get(t, 1.0),
                                    b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, b.CreateFAdd(b.CreateFDiv(sq, count), eps)));
    cg.forLoop(cg.i64(0), n, [&](llvm::Value* r) {
      llvm::Value* y = b.CreateFMul(b.CreateFMul(b.CreateFSub(x(r), mean), inv), cg.loadElement(scale, r, dtype));
      if (bias) y = b.CreateFAdd(y, cg.loadElement(bias, r, dtype));
      cg.storeElement(y, out, b.CreateNSWAdd(base, r), dtype);
    }, "w");
  }, "o");
  cg.finishKernel();
  auto launch = std::make_unique<AxisSplitLaunch>(rank, static_cast<size_t>(axis), rank,
                                                  AxisSplitLaunch::Output::SameAsInput);
  launch->requireReducedSize(1);
  if (node.input(2)) launch->requireReducedSize(2);
  return launch;
}

std::unique_ptr<KernelLaunch> emitBatchNorm(CodegenContext& cg, const Node& node, const std::string& name,
                                            size_t rank, DType dtype) {
  auto& b = cg.builder();
  llvm::Type* t = cg.valueType(dtype);
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1, 3);
  llvm::Value *in = k.buffers[0], *scale = k.buffers[1], *bias = k.buffers[2], *mean = k.buffers[3],
              *var = k.buffers[4], *out = k.buffers[node.numInputs()];
  llvm::Value *channels = k.dims[1], *spatial = k.dims[2];
  llvm::Value* eps = llvm::ConstantFP::get(t, node.floatAttr("epsilon", 1e-5f));
  // Iterations are (n, c) rows: the launch's outer dim is N * C.
  cg.forLoop(k.begin, k.end, [&](llvm::Value* row) {
    llvm::Value* c = b.CreateURem(row, channels);
    llvm::Value* a = b.CreateFDiv(cg.loadElement(scale, c, dtype),
                                  b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, b.CreateFAdd(cg.loadElement(var, c, dtype), eps)));
    llvm::Value* shift = b.CreateFSub(cg.loadElement(bias, c, dtype), b.CreateFMul(cg.loadElement(mean, c, dtype), a));
    llvm::Value* base = b.CreateNSWMul(row, spatial);
    cg.forLoop(cg.i64(0), spatial, [&](llvm::Value* s) {
      llvm::Value* at = b.CreateNSWAdd(base, s);
      cg.storeElement(b.CreateFAdd(b.CreateFMul(cg.loadElement(in, at, dtype), a), shift), out, at, dtype);
    }, "s");
  }, "row");
  cg.finishKernel();
  (void)t;
  return std::make_unique<BatchNormLaunch>(rank);
}

}  // namespace

std::unique_ptr<KernelLaunch> emitNormalization(CodegenContext& cg, const Node& node, const std::string& name,
                                                std::string* whyNot) {
  const Value* x = node.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked()) {
    *whyNot = "input rank unknown";
    return nullptr;
  }
  const DType dtype = x->dtype();
  if (dtype != DType::Float32 && dtype != DType::Float64) {
    *whyNot = "no generated code for " + node.opType() + " on " + std::string(dtypeName(dtype));
    return nullptr;
  }
  for (size_t i = 1; i < node.numInputs(); ++i)
    if (node.input(i) && node.input(i)->dtype() != dtype) {
      *whyNot = "parameters of another dtype than the input";
      return nullptr;
    }
  if (extraOutputsUsed(node)) {
    *whyNot = "statistics outputs are used";
    return nullptr;
  }
  const size_t rank = x->shape().rank();
  if (node.opType() == "LayerNormalization") {
    if (!node.input(1)) {
      *whyNot = "no scale";
      return nullptr;
    }
    return emitLayerNorm(cg, node, name, rank, dtype);
  }
  if (node.intAttr("training_mode", 0) != 0 || node.numInputs() < 5 || rank < 2) {
    *whyNot = "training mode or missing statistics";
    return nullptr;
  }
  return emitBatchNorm(cg, node, name, rank, dtype);
}

}  // namespace kiln::llvmjit
