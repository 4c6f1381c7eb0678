#include "backends/llvm/axis_split.h"

#include "backends/reference/tensor_util.h"
#include "ir/graph.h"

namespace kiln::llvmjit {
namespace {

using reference::product;

}  // namespace

AxisSplit AxisSplit::of(std::span<const int64_t> dims, size_t first, size_t last) {
  return {product(dims.subspan(0, first)), product(dims.subspan(first, last - first)), product(dims.subspan(last))};
}

std::optional<std::vector<int64_t>> constantInts(const Value* v) {
  if (!v || !v->producer()) return std::nullopt;
  const Node* p = v->producer();
  if (!p->domain().empty() || p->opType() != "Constant") return std::nullopt;
  const Attribute* a = p->attr("value");
  if (!a || a->kind() != AttrKind::Tensor || !a->t().hasData() || !isInteger(a->t().dtype())) return std::nullopt;
  std::vector<int64_t> out;
  for (int64_t i = 0; i < a->t().numElements(); ++i) out.push_back(a->t().scalarAsInt(i));
  return out;
}

bool AxisSplitLaunch::bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const {
  const auto& dims = inputDims[0];
  if (dims.size() != rank_) return false;
  AxisSplit s = AxisSplit::of(dims, first_, last_);
  for (size_t operand : reducedSized_) {
    if (operand >= inputDims.size()) continue;
    if (product(inputDims[operand]) != s.reduced) return false;
  }
  for (auto [operand, axis] : axisSized_) {
    if (operand >= inputDims.size()) continue;
    if (product(inputDims[operand]) != dims[axis]) return false;
  }
  std::vector<int64_t> out;
  switch (output_) {
    case Output::SameAsInput: out = dims; break;
    case Output::ReducedKeepDims:
      out = dims;
      for (size_t a = first_; a < last_; ++a) out[a] = 1;
      break;
    case Output::Reduced:
      for (size_t a = 0; a < rank_; ++a)
        if (a < first_ || a >= last_) out.push_back(dims[a]);
      break;
  }
  launch.outputDims = {out};
  launch.kernelDims = {s.outer, s.reduced, s.inner};
  launch.iterations = s.outer;
  launch.workPerIteration = s.reduced * s.inner;
  return true;
}

bool BatchNormLaunch::bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const {
  const auto& dims = inputDims[0];
  if (dims.size() != rank_ || rank_ < 2) return false;
  for (size_t operand = 1; operand < inputDims.size(); ++operand)
    if (product(inputDims[operand]) != dims[1]) return false;
  AxisSplit s = AxisSplit::of(dims, 1, 2);
  launch.outputDims = {dims};
  launch.kernelDims = {s.outer * s.reduced, s.reduced, s.inner};
  launch.iterations = s.outer * s.reduced;
  launch.workPerIteration = s.inner;
  return true;
}

}  // namespace kiln::llvmjit
