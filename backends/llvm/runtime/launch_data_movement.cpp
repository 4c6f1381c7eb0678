// The launches of the data-movement kernels (emit_data_movement.cpp, emit_slice.cpp): output
// dims from the actual input dims by the ONNX rules of each op.

#include <algorithm>

#include "backends/llvm/launches.h"
#include "backends/reference/tensor_util.h"


namespace kiln::llvmjit {
namespace {

using reference::product;

/// ONNX Reshape of `in` to `spec` (0 copies a dim unless allowzero, -1 is inferred).
bool reshapeDims(const std::vector<int64_t>& in, const std::vector<int64_t>& spec, bool allowZero,
                 std::vector<int64_t>& out) {
  out.clear();
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0 && !allowZero) {
      if (i >= in.size()) return false;
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0) return false;
      inferred = static_cast<int64_t>(i);
      out.push_back(1);
      continue;
    }
    if (d < 0) return false;
    known *= d;
    out.push_back(d);
  }
  if (inferred >= 0) {
    if (known == 0 || product(in) % known != 0) return false;
    out[inferred] = product(in) / known;
  }
  return true;
}

bool squeezeDims(const std::vector<int64_t>& in, const std::vector<int64_t>& axes, std::vector<int64_t>& out) {
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<bool> drop(in.size(), false);
  for (int64_t a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank || in[a] != 1) return false;
    drop[a] = true;
  }
  out.clear();
  for (size_t i = 0; i < in.size(); ++i)
    if (axes.empty() ? in[i] != 1 : !drop[i]) out.push_back(in[i]);
  return true;
}

bool unsqueezeDims(const std::vector<int64_t>& in, const std::vector<int64_t>& axes, std::vector<int64_t>& out) {
  const auto rank = static_cast<int64_t>(in.size() + axes.size());
  std::vector<bool> inserted(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank || inserted[a]) return false;
    inserted[a] = true;
  }
  out.clear();
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? 1 : in[next++]);
  return true;
}

}  // namespace

bool ReshapeRule::apply(const std::vector<int64_t>& in, std::vector<int64_t>& out) const {
  switch (kind) {
    case Kind::Flatten: {
      const auto rank = static_cast<int64_t>(in.size());
      const int64_t a = axis < 0 ? axis + rank : axis;
      if (a < 0 || a > rank) return false;
      out = {product(in, 0, static_cast<size_t>(a)), product(in, static_cast<size_t>(a))};
      return true;
    }
    case Kind::Reshape: return reshapeDims(in, values, allowZero, out);
    case Kind::Squeeze: return squeezeDims(in, values, out);
    case Kind::Unsqueeze: return unsqueezeDims(in, values, out);
  }
  return false;
}

bool CopyLaunch::bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const {
  std::vector<int64_t> out;
  if (!rule_.apply(inputDims[0], out) || product(out) != product(inputDims[0])) return false;
  launch.outputDims = {out};
  launch.kernelDims = {product(out)};
  launch.iterations = launch.kernelDims[0];
  launch.workPerIteration = 1;
  return true;
}

bool TransposeLaunch::bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const {
  const auto& in = inputDims[0];
  if (in.size() != perm_.size() || in.empty()) return false;
  std::vector<int64_t> out;
  for (int64_t p : perm_) out.push_back(in[p]);
  launch.outputDims = {out};
  launch.kernelDims = in;
  launch.iterations = product(out, 0, out.size() - 1);
  launch.workPerIteration = out.back();
  return true;
}

bool ConcatLaunch::bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const {
  std::vector<int64_t> out = inputDims[0];
  if (out.size() != rank_) return false;
  out[axis_] = 0;
  launch.kernelDims = {product(inputDims[0], 0, axis_)};
  int64_t total = 0;
  for (const auto& d : inputDims) {
    if (d.size() != rank_) return false;
    for (size_t a = 0; a < rank_; ++a)
      if (a != axis_ && d[a] != inputDims[0][a]) return false;
    out[axis_] += d[axis_];
    launch.kernelDims.push_back(product(d, axis_));
    total += launch.kernelDims.back();
  }
  launch.outputDims = {out};
  launch.iterations = launch.kernelDims[0];
  launch.workPerIteration = total;
  return true;
}

bool SliceLaunch::bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const {
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

}  // namespace kiln::llvmjit
