// The launches of the shape-chain and indexing kernels (launches_shape.h): output dims by the
// ONNX rule of each op from the actual dims and, for runtime shape operands, their contents;
// index and divisor checks before each call; the integer encoding of each launch.

#include <algorithm>
#include <functional>

#include "backends/llvm/launch_reader.h"
#include "backends/llvm/launches_shape.h"
#include "backends/reference/tensor_util.h"

namespace kiln::llvmjit {
namespace {

using reference::product;

/// Visits every element of an integer tensor as int64 until `f` returns false.
template <typename F>
bool forEachInt(const Tensor& t, F&& f) {
  const int64_t n = t.numElements();
  switch (t.dtype()) {
    case DType::Int64: {
      const auto* p = reinterpret_cast<const int64_t*>(t.rawData());
      for (int64_t i = 0; i < n; ++i)
        if (!f(i, p[i])) return false;
      return true;
    }
    case DType::Int32: {
      const auto* p = reinterpret_cast<const int32_t*>(t.rawData());
      for (int64_t i = 0; i < n; ++i)
        if (!f(i, int64_t{p[i]})) return false;
      return true;
    }
    default: {
      auto values = reference::readInt64List(t);
      if (!values) return false;
      for (int64_t i = 0; i < n; ++i)
        if (!f(i, (*values)[static_cast<size_t>(i)])) return false;
      return true;
    }
  }
}

/// The reference kernels' message for an index outside [-dim, dim).
std::string outOfBounds(int64_t index, int64_t dim) {
  return "index " + std::to_string(index) + " is out of bounds for an axis of size " + std::to_string(dim);
}

void put(std::vector<int64_t>& out, LaunchTag tag, std::initializer_list<int64_t> fields = {}) {
  out.push_back(static_cast<int64_t>(tag));
  out.insert(out.end(), fields);
}

}  // namespace

bool ShapeOfLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  if (in[0].size() != rank_) return false;
  const int64_t n = static_cast<int64_t>(end_ - start_);
  launch.outputDims = {{n}};
  launch.kernelDims.assign(in[0].begin() + static_cast<ptrdiff_t>(start_), in[0].begin() + static_cast<ptrdiff_t>(end_));
  launch.iterations = n > 0 ? 1 : 0;
  launch.workPerIteration = n;
  return true;
}

bool SameShapeLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  launch.outputDims = {in[0]};
  launch.kernelDims = {product(in[0])};
  launch.iterations = launch.kernelDims[0];
  launch.workPerIteration = 1;
  return true;
}

bool ConstantOfShapeLaunch::bindValues(std::span<const std::vector<int64_t>>, std::span<const std::vector<int64_t>> values,
                                       LaunchShape& launch) const {
  for (int64_t d : values[0])
    if (d < 0) return false;
  launch.outputDims = {values[0]};
  launch.kernelDims = {product(values[0])};
  launch.iterations = launch.kernelDims[0];
  launch.workPerIteration = 1;
  return true;
}

bool GatherLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  const auto& data = in[0];
  if (data.size() != rank_) return false;
  std::vector<int64_t> out(data.begin(), data.begin() + static_cast<ptrdiff_t>(axis_));
  out.insert(out.end(), in[1].begin(), in[1].end());
  out.insert(out.end(), data.begin() + static_cast<ptrdiff_t>(axis_) + 1, data.end());
  const int64_t outer = product(data, 0, axis_), inner = product(data, axis_ + 1), n = product(in[1]);
  launch.outputDims = {out};
  launch.kernelDims = {outer, data[axis_], n, inner};
  launch.iterations = outer * n;
  launch.workPerIteration = inner;
  return true;
}

std::string GatherLaunch::check(std::span<const Tensor* const> operands) const {
  const int64_t dim = operands[0]->dims()[axis_];
  std::string error;
  forEachInt(*operands[1], [&](int64_t, int64_t i) {
    if (i >= -dim && i < dim) return true;
    error = outOfBounds(i, dim);
    return false;
  });
  return error;
}

bool ScatterNDLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  const auto &data = in[0], &indices = in[1], &updates = in[2];
  if (data.size() != rank_ || indices.empty() || indices.back() != static_cast<int64_t>(depth_) || depth_ > rank_)
    return false;
  // updates = indices[:-1] + data[depth:]
  std::vector<int64_t> expected(indices.begin(), indices.end() - 1);
  expected.insert(expected.end(), data.begin() + static_cast<ptrdiff_t>(depth_), data.end());
  if (updates != expected) return false;
  launch.outputDims = {data};
  launch.kernelDims = {product(data), product(indices, 0, indices.size() - 1), product(data, depth_)};
  for (size_t j = 0; j < depth_; ++j) launch.kernelDims.push_back(data[j]);
  for (size_t j = 0; j < depth_; ++j) launch.kernelDims.push_back(product(data, j + 1));
  launch.iterations = 1;
  launch.workPerIteration = launch.kernelDims[0];
  return true;
}

std::string ScatterNDLaunch::check(std::span<const Tensor* const> operands) const {
  const auto& dims = operands[0]->dims();
  std::string error;
  forEachInt(*operands[1], [&](int64_t k, int64_t i) {
    const int64_t dim = dims[static_cast<size_t>(k % static_cast<int64_t>(depth_))];
    if (i >= -dim && i < dim) return true;
    error = outOfBounds(i, dim);
    return false;
  });
  return error;
}

bool ExpandLaunch::bindValues(std::span<const std::vector<int64_t>> in, std::span<const std::vector<int64_t>> values,
                              LaunchShape& launch) const {
  const auto &x = in[0], &shape = values[0];
  const size_t rank = std::max(x.size(), shape.size());
  if (rank != rank_) return false;
  std::vector<int64_t> out(rank), stride(rank);
  int64_t s = 1;
  for (size_t k = 0; k < rank; ++k) {  // from the last axis
    const size_t a = rank - 1 - k;
    const int64_t dx = k < x.size() ? x[x.size() - 1 - k] : 1;
    const int64_t ds = k < shape.size() ? shape[shape.size() - 1 - k] : 1;
    if (dx != ds && dx != 1 && ds != 1) return false;
    out[a] = dx == 1 ? ds : dx;
    stride[a] = dx == 1 ? 0 : s;
    s *= dx;
  }
  launch.outputDims = {out};
  if (rank == 0) out = {1}, stride = {0};
  launch.kernelDims = out;
  launch.kernelDims.insert(launch.kernelDims.end(), stride.begin(), stride.end());
  launch.iterations = product(out, 0, out.size() - 1);
  launch.workPerIteration = out.back();
  return true;
}

bool RuntimeCopyLaunch::bindValues(std::span<const std::vector<int64_t>> in, std::span<const std::vector<int64_t>> values,
                                   LaunchShape& launch) const {
  ReshapeRule rule;
  rule.kind = kind_;
  rule.allowZero = allowZero_;
  rule.values = values[0];
  return CopyLaunch(std::move(rule)).bind(in, launch);
}

bool RuntimeSliceLaunch::bindValues(std::span<const std::vector<int64_t>> in, std::span<const std::vector<int64_t>> values,
                                    LaunchShape& launch) const {
  const auto &starts = values[0], &ends = values[1], &axes = values[2], &steps = values[3];
  if (ends.size() != starts.size() || (hasAxes_ && axes.size() != starts.size()) ||
      (hasSteps_ && steps.size() != starts.size()))
    return false;
  return SliceLaunch(rank_, starts, ends, axes, steps).bind(in, launch);
}

bool PadLaunch::bindValues(std::span<const std::vector<int64_t>> in, std::span<const std::vector<int64_t>> values,
                           LaunchShape& launch) const {
  const auto& x = in[0];
  const auto rank = static_cast<int64_t>(rank_);
  if (x.size() != rank_ || rank_ == 0) return false;
  if (hasFill_ && product(in[2]) != 1) return false;  // an empty or non-scalar fill: the reference decides
  std::vector<int64_t> axes = values[1];
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  const auto& pads = values[0];
  if (pads.size() != 2 * axes.size()) return false;
  std::vector<int64_t> before(rank_, 0), after(rank_, 0);
  std::vector<bool> seen(rank_, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank || seen[a]) return false;
    seen[a] = true;
    before[a] = pads[i];
    after[a] = pads[i + axes.size()];
  }
  // Negative pads crop first; positive ones pad the cropped data (as the reference kernel).
  std::vector<int64_t> out(rank_), fields;
  for (size_t d = 0; d < rank_; ++d) {
    const int64_t cropBefore = std::max<int64_t>(-before[d], 0), cropAfter = std::max<int64_t>(-after[d], 0);
    const int64_t kept = x[d] - cropBefore - cropAfter;
    if (kept < 0) return false;
    const int64_t padBefore = std::max<int64_t>(before[d], 0);
    out[d] = kept + padBefore + std::max<int64_t>(after[d], 0);
    if (mode_ != Mode::Constant && kept == 0 && out[d] > 0) return false;
    fields.insert(fields.end(), {out[d], padBefore, kept, cropBefore, product(x, d + 1)});
  }
  launch.outputDims = {out};
  launch.kernelDims = std::move(fields);
  launch.iterations = product(out, 0, rank_ - 1);
  launch.workPerIteration = out.back();
  return true;
}

std::string CheckedDivLaunch::check(std::span<const Tensor* const> operands) const {
  bool zero = false;
  forEachInt(*operands[1], [&](int64_t, int64_t d) { return !(zero = d == 0); });
  return zero ? "integer division by zero" : std::string{};
}

// ---- encoding ------------------------------------------------------------------------------

void ShapeOfLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::ShapeOf, {static_cast<int64_t>(rank_), static_cast<int64_t>(start_), static_cast<int64_t>(end_)});
}
void SameShapeLaunch::encode(std::vector<int64_t>& out) const { put(out, LaunchTag::SameShape); }
void ConstantOfShapeLaunch::encode(std::vector<int64_t>& out) const { put(out, LaunchTag::ConstantOfShape); }
void GatherLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Gather, {static_cast<int64_t>(rank_), static_cast<int64_t>(axis_)});
}
void ScatterNDLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::ScatterND, {static_cast<int64_t>(rank_), static_cast<int64_t>(depth_)});
}
void ExpandLaunch::encode(std::vector<int64_t>& out) const { put(out, LaunchTag::Expand, {static_cast<int64_t>(rank_)}); }
void RuntimeCopyLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::RuntimeCopy, {static_cast<int64_t>(kind_), allowZero_ ? 1 : 0});
}
void RuntimeSliceLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::RuntimeSlice, {static_cast<int64_t>(rank_), hasAxes_ ? 1 : 0, hasSteps_ ? 1 : 0});
}
void PadLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Pad, {static_cast<int64_t>(rank_), static_cast<int64_t>(mode_), hasFill_ ? 1 : 0});
}
void CheckedDivLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::CheckedDiv);
  inner_.encode(out);
}

bool isShapeFamilyTag(LaunchTag tag) {
  const auto t = static_cast<int64_t>(tag);
  return t >= static_cast<int64_t>(LaunchTag::ShapeOf) && t <= static_cast<int64_t>(LaunchTag::CheckedDiv);
}

std::unique_ptr<KernelLaunch> decodeShapeFamilyLaunch(LaunchTag tag, std::span<const int64_t>& codes, const Node& node) {
  LaunchReader r{codes};
  std::unique_ptr<KernelLaunch> launch;
  switch (tag) {
    case LaunchTag::ShapeOf: {
      const size_t rank = r.size(), start = r.size(), end = r.size();
      if (start > end || end > rank) r.bad = true;
      launch = std::make_unique<ShapeOfLaunch>(rank, start, end);
      break;
    }
    case LaunchTag::SameShape: launch = std::make_unique<SameShapeLaunch>(); break;
    case LaunchTag::ConstantOfShape: launch = std::make_unique<ConstantOfShapeLaunch>(); break;
    case LaunchTag::Gather: {
      const size_t rank = r.size(), axis = r.size();
      if (axis >= rank) r.bad = true;
      launch = std::make_unique<GatherLaunch>(rank, axis);
      break;
    }
    case LaunchTag::ScatterND: {
      const size_t rank = r.size(), depth = r.size();
      if (depth > rank || depth == 0) r.bad = true;
      launch = std::make_unique<ScatterNDLaunch>(rank, depth);
      break;
    }
    case LaunchTag::Expand: {
      launch = std::make_unique<ExpandLaunch>(r.size());
      break;
    }
    case LaunchTag::RuntimeCopy: {
      const int64_t kind = r.next();
      if (kind < 0 || kind > static_cast<int64_t>(ReshapeRule::Kind::Unsqueeze)) r.bad = true;
      launch = std::make_unique<RuntimeCopyLaunch>(static_cast<ReshapeRule::Kind>(kind), r.next() != 0);
      break;
    }
    case LaunchTag::RuntimeSlice: {
      const size_t rank = r.size();
      const bool hasAxes = r.next() != 0;
      launch = std::make_unique<RuntimeSliceLaunch>(rank, hasAxes, r.next() != 0);
      break;
    }
    case LaunchTag::Pad: {
      const size_t rank = r.size();
      const int64_t mode = r.next();
      if (mode < 0 || mode > static_cast<int64_t>(PadLaunch::Mode::Edge)) r.bad = true;
      launch = std::make_unique<PadLaunch>(rank, static_cast<PadLaunch::Mode>(mode), r.next() != 0);
      break;
    }
    case LaunchTag::CheckedDiv: {
      auto inner = decodeLaunch(codes, node);
      auto* elementwise = inner ? dynamic_cast<ElementwiseLaunch*>(inner->get()) : nullptr;
      if (!elementwise) return nullptr;
      launch = std::make_unique<CheckedDivLaunch>(elementwise->plan());
      break;
    }
    default: return nullptr;
  }
  return r.bad ? nullptr : std::move(launch);
}

}  // namespace kiln::llvmjit
