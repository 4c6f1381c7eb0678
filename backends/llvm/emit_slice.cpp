// Slice with constant starts, ends, axes and steps: a strided copy, one iteration per output
// row (all axes but the last). The ONNX clamping rules are applied at launch to the actual dims.

#include "backends/llvm/axis_split.h"
#include "backends/llvm/codegen_table.h"

namespace kiln::llvmjit {
namespace {

/// kernelDims: input dims (rank), output dims (rank), first index per axis (rank), step per axis (rank).
class SliceLaunch final : public KernelLaunch {
 public:
  SliceLaunch(size_t rank, std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes,
              std::vector<int64_t> steps)
      : rank_(rank), starts_(std::move(starts)), ends_(std::move(ends)), axes_(std::move(axes)), steps_(std::move(steps)) {}

  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override {
    const auto& in = inputDims[0];
    if (in.size() != rank_ || rank_ == 0) return false;
    std::vector<int64_t> out = in, first(rank_, 0), step(rank_, 1);
    std::vector<bool> seen(rank_, false);
    for (size_t i = 0; i < starts_.size(); ++i) {
      int64_t axis = axes_.empty() ? static_cast<int64_t>(i) : axes_[i];
      if (axis < 0) axis += static_cast<int64_t>(rank_);
      if (axis < 0 || axis >= static_cast<int64_t>(rank_) || seen[axis]) return false;
      seen[axis] = true;
      const int64_t dim = in[axis], s = steps_.empty() ? 1 : steps_[i];
      if (s == 0) return false;
      int64_t b = starts_[i], e = ends_[i];
      if (b < 0) b += dim;
      if (e < 0) e += dim;
      if (s > 0) {
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
      } else {
        b = std::clamp<int64_t>(b, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
      }
      const int64_t size = s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s);
      out[axis] = std::max<int64_t>(size, 0);
      first[axis] = b;
      step[axis] = s;
    }
    launch.outputDims = {out};
    launch.kernelDims = in;
    launch.kernelDims.insert(launch.kernelDims.end(), out.begin(), out.end());
    launch.kernelDims.insert(launch.kernelDims.end(), first.begin(), first.end());
    launch.kernelDims.insert(launch.kernelDims.end(), step.begin(), step.end());
    launch.iterations = 1;
    for (size_t a = 0; a + 1 < rank_; ++a) launch.iterations *= out[a];
    launch.workPerIteration = out.back();
    return true;
  }

 private:
  size_t rank_;
  std::vector<int64_t> starts_, ends_, axes_, steps_;
};

}  // namespace

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
  if (!starts || !ends || !axes || !steps || starts->size() != ends->size() ||
      (!axes->empty() && axes->size() != starts->size()) || (!steps->empty() && steps->size() != starts->size())) {
    *whyNot = "starts, ends, axes or steps are not constants";
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
  return std::make_unique<SliceLaunch>(rank, *starts, *ends, *axes, *steps);
}

}  // namespace kiln::llvmjit
