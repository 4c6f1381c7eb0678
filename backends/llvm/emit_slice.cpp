// Slice with constant starts, ends, axes and steps: a strided copy, one iteration per output
// row (all axes but the last). The ONNX clamping rules are applied at launch to the actual dims.

#include "backends/llvm/axis_split.h"
#include "backends/llvm/codegen_table.h"
#include "backends/llvm/launches.h"
#include "backends/llvm/launches_shape.h"

namespace kiln::llvmjit {

std::unique_ptr<KernelLaunch> emitSlice(CodegenContext& cg, const Node& node, const std::string& name,
                                        std::string* whyNot) {
  const Value* x = node.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked() || x->shape().rank() == 0 ||
      !CodegenContext::isSupportedDType(x->dtype())) {
    *whyNot = "input rank or dtype unknown";
    return nullptr;
  }
  auto starts = constantInts(node.input(1)), ends = constantInts(node.input(2));
  std::optional<std::vector<int64_t>> axes = std::vector<int64_t>{}, steps = std::vector<int64_t>{};
  if (node.input(3)) axes = constantInts(node.input(3));
  if (node.input(4)) steps = constantInts(node.input(4));
  // Parameters computed at run time are read by the launch (RuntimeSliceLaunch).
  const bool constant = starts && ends && axes && steps;
  if (!node.input(1) || !node.input(2)) {
    *whyNot = "starts and ends are attributes (opset < 10)";
    return nullptr;
  }
  for (size_t i = 1; i < std::min<size_t>(node.numInputs(), 5); ++i)
    if (!constant && node.input(i) && !isInteger(node.input(i)->dtype())) {
      *whyNot = "starts, ends, axes or steps are not integers";
      return nullptr;
    }
  if (constant && (starts->size() != ends->size() || (!axes->empty() && axes->size() != starts->size()) ||
                   (!steps->empty() && steps->size() != starts->size()))) {
    *whyNot = "starts, ends, axes and steps differ in length";
    return nullptr;
  }
  const size_t rank = x->shape().rank();
  const DType dtype = x->dtype();
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1, 4 * rank);
  auto inDim = [&](size_t a) { return k.dims[a]; };
  auto outDim = [&](size_t a) { return k.dims[rank + a]; };
  auto first = [&](size_t a) { return k.dims[2 * rank + a]; };
  auto step = [&](size_t a) { return k.dims[3 * rank + a]; };
  std::vector<llvm::Value*> stride(rank);
  llvm::Value* s = cg.i64(1);
  for (size_t a = rank; a-- > 0;) {
    stride[a] = s;
    s = b.CreateNSWMul(s, inDim(a));
  }
  // Where each axis starts, and how far one output step moves, in input elements.
  llvm::Value* origin = cg.i64(0);
  std::vector<llvm::Value*> move(rank);
  for (size_t a = 0; a < rank; ++a) {
    origin = b.CreateNSWAdd(origin, b.CreateNSWMul(first(a), stride[a]));
    move[a] = b.CreateNSWMul(step(a), stride[a]);
  }
  cg.forLoop(k.begin, k.end, [&](llvm::Value* row) {
    llvm::Value* base = origin;
    llvm::Value* rest = row;
    for (size_t a = rank - 1; a-- > 0;) {
      llvm::Value* coord = a == 0 ? rest : b.CreateURem(rest, outDim(a));
      if (a > 0) rest = b.CreateUDiv(rest, outDim(a));
      base = b.CreateNSWAdd(base, b.CreateNSWMul(coord, move[a]));
    }
    llvm::Value* outBase = b.CreateNSWMul(row, outDim(rank - 1));
    cg.forLoop(cg.i64(0), outDim(rank - 1), [&](llvm::Value* j) {
      llvm::Value* from = b.CreateNSWAdd(base, b.CreateNSWMul(j, move[rank - 1]));
      cg.storeElement(cg.loadElement(k.buffers[0], from, dtype), k.buffers[node.numInputs()],
                      b.CreateNSWAdd(outBase, j), dtype);
    }, "j");
  }, "row");
  cg.finishKernel();
  if (!constant) return std::make_unique<RuntimeSliceLaunch>(rank, node.input(3) != nullptr, node.input(4) != nullptr);
  return std::make_unique<SliceLaunch>(rank, *starts, *ends, *axes, *steps);
}

}  // namespace kiln::llvmjit
