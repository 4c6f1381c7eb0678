#include "backends/llvm/broadcast_plan.h"

namespace kiln::llvmjit {

std::optional<BroadcastPlan> BroadcastPlan::build(const std::vector<const Shape*>& inputShapes, const Shape& outShape) {
  if (!outShape.isRanked()) return std::nullopt;
  BroadcastPlan plan;
  plan.outRank = outShape.rank();
  const size_t n = inputShapes.size();
  plan.full.assign(n, {});
  for (const Shape* s : inputShapes) {
    if (s && (!s->isRanked() || s->rank() > plan.outRank)) return std::nullopt;
    plan.present.push_back(s != nullptr);
    plan.inputRanks.push_back(s ? s->rank() : 0);
  }
  std::vector<bool> previous;
  for (size_t axis = 0; axis < plan.outRank; ++axis) {
    const Dim& od = outShape[axis];
    if (od.isStatic() && od.value() == 1) continue;  // nothing to walk
    std::vector<bool> pattern(n, false);
    for (size_t k = 0; k < n; ++k) {
      if (!inputShapes[k]) continue;
      const size_t offset = plan.outRank - plan.inputRanks[k];
      if (axis < offset) continue;  // missing leading axis: broadcast
      const Dim& d = (*inputShapes[k])[axis - offset];
      pattern[k] = !(d.isStatic() && d.value() == 1);
    }
    if (!plan.groups.empty() && pattern == previous) {
      plan.groups.back().push_back(axis);
      continue;
    }
    plan.groups.push_back({axis});
    for (size_t k = 0; k < n; ++k) plan.full[k].push_back(pattern[k]);
    previous = pattern;
  }
  if (plan.groups.empty()) {  // a single element: one loop axis of size 1, read at offset 0
    plan.groups.push_back({});
    for (size_t k = 0; k < n; ++k) plan.full[k].push_back(plan.present[k]);
  }
  return plan;
}

bool BroadcastPlan::bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const {
  std::vector<int64_t> out(outRank, 1);
  for (size_t k = 0; k < inputRanks.size(); ++k) {
    if (!present[k]) continue;
    const auto& dims = inputDims[k];
    if (dims.size() != inputRanks[k]) return false;
    const size_t offset = outRank - dims.size();
    for (size_t i = 0; i < dims.size(); ++i) {
      int64_t& o = out[offset + i];
      if (dims[i] == 1 || dims[i] == o) continue;
      if (o != 1) return false;  // not broadcastable
      o = dims[i];
    }
  }
  // Every operand must follow the pattern the code was generated for.
  std::vector<bool> walked(outRank, false);
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t axis : groups[g]) {
      walked[axis] = true;
      for (size_t k = 0; k < inputRanks.size(); ++k) {
        if (!present[k]) continue;
        const size_t offset = outRank - inputRanks[k];
        const int64_t d = axis < offset ? 1 : inputDims[k][axis - offset];
        if (full[k][g] ? d != out[axis] : d != 1) return false;
      }
    }
  }
  for (size_t axis = 0; axis < outRank; ++axis)
    if (!walked[axis] && out[axis] != 1) return false;

  launch.outputDims = {out};
  launch.kernelDims.clear();
  for (const auto& group : groups) {
    int64_t size = 1;
    for (size_t axis : group) size *= out[axis];
    launch.kernelDims.push_back(size);
  }
  const size_t g = launch.kernelDims.size();
  if (g == 1) {
    launch.iterations = launch.kernelDims[0];
    launch.workPerIteration = 1;
  } else {
    launch.iterations = 1;
    for (size_t i = 0; i + 1 < g; ++i) launch.iterations *= launch.kernelDims[i];
    launch.workPerIteration = launch.kernelDims.back();
  }
  return true;
}

}  // namespace kiln::llvmjit
