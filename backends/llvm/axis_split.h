#pragma once
// Kernels that work along a contiguous run of axes (reductions, softmax, normalizations) see
// their input as [outer, reduced, inner]: these helpers compute that split and the launch.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "backends/llvm/kernel_abi.h"
#include "ir/node.h"

namespace kiln::llvmjit {

/// Products of dims before `first`, over [first, last), and from `last` on.
struct AxisSplit {
  int64_t outer = 1, reduced = 1, inner = 1;
  static AxisSplit of(std::span<const int64_t> dims, size_t first, size_t last);
};

/// The integers of a Constant-produced value (axes inputs), or nullopt.
std::optional<std::vector<int64_t>> constantInts(const Value* v);

/// Launch for kernels over [outer, reduced, inner] of input 0: kernelDims = {outer, reduced,
/// inner}, one iteration per outer index. `outputDims` says what each output's dims are.
class AxisSplitLaunch final : public KernelLaunch {
 public:
  enum class Output { SameAsInput, Reduced, ReducedKeepDims };
  AxisSplitLaunch(size_t rank, size_t first, size_t last, Output output)
      : rank_(rank), first_(first), last_(last), output_(output) {}
  /// Operands (other than input 0) that must hold exactly `reduced` elements (scale, bias).
  void requireReducedSize(size_t operand) { reducedSized_.push_back(operand); }
  /// Operands that must hold exactly dims[axis] elements (per-channel BatchNorm parameters).
  void requireAxisSize(size_t operand, size_t axis) { axisSized_.push_back({operand, axis}); }
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  size_t rank_, first_, last_;
  Output output_;
  std::vector<size_t> reducedSized_;
  std::vector<std::pair<size_t, size_t>> axisSized_;
};

/// Launch of per-channel kernels over [N, C, spatial...] (BatchNormalization): kernelDims =
/// {N * C, C, spatial}, one iteration per (n, c) row; operands 1.. hold C elements each.
class BatchNormLaunch final : public KernelLaunch {
 public:
  explicit BatchNormLaunch(size_t rank) : rank_(rank) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  size_t rank_;
};

}  // namespace kiln::llvmjit
