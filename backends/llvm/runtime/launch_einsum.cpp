// The launch of the Einsum kernel (emit_einsum.cpp): the size of every label from the
// operands (a dim of 1 broadcasts against a larger one, with stride 0), then each operand's
// strides.

#include "backends/llvm/einsum_plan.h"
#include "backends/llvm/launches.h"

namespace kiln::llvmjit {

bool EinsumLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  if (in.size() != ranks_.size()) return false;
  for (size_t i = 0; i < in.size(); ++i)
    if (static_cast<int64_t>(in[i].size()) != ranks_[i]) return false;
  auto plan = planEinsum(node_, ranks_);
  if (!plan) return false;
  std::vector<int64_t> sizes(plan->labels.size(), 1);
  for (size_t i = 0; i < in.size(); ++i)
    for (size_t axis = 0; axis < in[i].size(); ++axis) {
      int64_t& s = sizes[static_cast<size_t>(plan->operands[i][axis])];
      const int64_t d = in[i][axis];
      if (d != 1 && s != 1 && d != s) return false;
      if (d != 1) s = d;
    }
  launch.kernelDims = sizes;
  for (size_t i = 0; i < in.size(); ++i) {
    std::vector<int64_t> strides(in[i].size());
    int64_t stride = 1;
    for (size_t axis = in[i].size(); axis-- > 0;) {
      strides[axis] = in[i][axis] == 1 ? 0 : stride;
      stride *= in[i][axis];
    }
    launch.kernelDims.insert(launch.kernelDims.end(), strides.begin(), strides.end());
  }
  std::vector<int64_t> out;
  for (int l : plan->output) out.push_back(sizes[static_cast<size_t>(l)]);
  int64_t work = 1;
  for (int64_t s : sizes) work *= std::max<int64_t>(s, 1);
  launch.outputDims = {out};
  launch.iterations = 1;
  launch.workPerIteration = work;
  return true;
}

void EinsumLaunch::encode(std::vector<int64_t>& out) const {
  out.push_back(static_cast<int64_t>(LaunchTag::Einsum));
  out.push_back(static_cast<int64_t>(ranks_.size()));
  out.insert(out.end(), ranks_.begin(), ranks_.end());
}

}  // namespace kiln::llvmjit
