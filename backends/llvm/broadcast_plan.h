#pragma once
// How an elementwise kernel walks numpy-broadcast operands. Decided when the code is generated,
// from the IR shapes: per output axis, whether each operand runs along it ("full") or is
// repeated ("broadcast", its dim is 1 or missing). Adjacent axes on which every operand
// behaves alike are merged, so `x[N,C,H,W] + b[C,1,1]` loops over [N, C, H*W] and a plain
// same-shape op is one flat loop; output axes of static size 1 are dropped.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "backends/llvm/kernel_abi.h"
#include "ir/type.h"

namespace kiln::llvmjit {

struct BroadcastPlan {
  size_t outRank = 0;
  std::vector<size_t> inputRanks;           ///< 0 for an omitted operand too
  std::vector<bool> present;                ///< false: omitted optional operand
  std::vector<std::vector<size_t>> groups;  ///< output axes merged into each loop axis (>= 1 group)
  std::vector<std::vector<bool>> full;      ///< [operand][group]: runs along that loop axis

  /// The plan for operands of `inputShapes` (null: omitted) producing `outShape`; nullopt when
  /// a rank is unknown.
  static std::optional<BroadcastPlan> build(const std::vector<const Shape*>& inputShapes, const Shape& outShape);

  /// Loop dims of the kernel (one per group) and the output dims, from actual operand dims;
  /// false when those dims do not follow the plan (e.g. a symbolic dim that turned out to be 1).
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const;
};

/// The launch of an elementwise kernel: a BroadcastPlan.
class ElementwiseLaunch final : public KernelLaunch {
 public:
  explicit ElementwiseLaunch(BroadcastPlan plan) : plan_(std::move(plan)) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override {
    return plan_.bind(inputDims, launch);
  }
  void encode(std::vector<int64_t>& out) const override;
  const BroadcastPlan& plan() const { return plan_; }

 private:
  BroadcastPlan plan_;
};

}  // namespace kiln::llvmjit
