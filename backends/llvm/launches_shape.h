#pragma once
// Launches of the shape-chain and indexing kernels: Shape, ConstantOfShape, Gather, ScatterND,
// Expand, Cast, Pad, integer Div, and Reshape/Squeeze/Unsqueeze/Slice whose shape operands are
// computed at run time (their contents are read through KernelLaunch::valueOperands).
// Definitions in backends/llvm/runtime/launch_shape.cpp.

#include <memory>
#include <span>
#include <vector>

#include "backends/llvm/broadcast_plan.h"
#include "backends/llvm/launches.h"

namespace kiln::llvmjit {

/// Reads the launches of this file (tags ShapeOf..CheckedDiv) after their tag; null when the
/// record is malformed.
std::unique_ptr<KernelLaunch> decodeShapeFamilyLaunch(LaunchTag tag, std::span<const int64_t>& codes, const Node& node);
/// True for the tags decodeShapeFamilyLaunch reads.
bool isShapeFamilyTag(LaunchTag tag);

/// Shape: kernelDims = the selected dims [start, end) of a rank-`rank` input (the kernel writes
/// them out); one iteration.
class ShapeOfLaunch final : public KernelLaunch {
 public:
  ShapeOfLaunch(size_t rank, size_t start, size_t end) : rank_(rank), start_(start), end_(end) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  size_t rank_, start_, end_;
};

/// Output dims equal to input 0's, one flat loop: kernelDims = {elements} (Cast).
class SameShapeLaunch final : public KernelLaunch {
 public:
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;
};

/// ConstantOfShape: output dims = the contents of operand 0; kernelDims = {elements}.
class ConstantOfShapeLaunch final : public KernelLaunch {
 public:
  bool bind(std::span<const std::vector<int64_t>>, LaunchShape&) const override { return false; }
  std::vector<size_t> valueOperands() const override { return {0}; }
  bool bindValues(std::span<const std::vector<int64_t>> in, std::span<const std::vector<int64_t>> values,
                  LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;
};

/// Gather along `axis` of a rank-`rank` input: kernelDims = {outer, axisDim, indices, inner},
/// one iteration per (outer, index). Indices are checked before each call.
class GatherLaunch final : public KernelLaunch {
 public:
  GatherLaunch(size_t rank, size_t axis) : rank_(rank), axis_(axis) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;
  bool checksOperands() const override { return true; }
  std::string check(std::span<const Tensor* const> operands) const override;

 private:
  size_t rank_, axis_;
};

/// ScatterND (reduction none) with index tuples of length `depth`: kernelDims = {elements,
/// tuples, sliceSize, dim_0..dim_{depth-1}, stride_0..stride_{depth-1}}; one iteration (later
/// tuples overwrite earlier ones, in order). Indices are checked before each call.
class ScatterNDLaunch final : public KernelLaunch {
 public:
  ScatterNDLaunch(size_t rank, size_t depth) : rank_(rank), depth_(depth) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;
  bool checksOperands() const override { return true; }
  std::string check(std::span<const Tensor* const> operands) const override;

 private:
  size_t rank_, depth_;
};

/// A copy of input 0 broadcast to output dims of rank `rank`: kernelDims = output dims, then
/// input 0's stride per output axis (0 where repeated), as rank 1 for a scalar; one iteration
/// per output row.
/// Expand reads its target shape from operand 1.
class ExpandLaunch final : public KernelLaunch {
 public:
  explicit ExpandLaunch(size_t rank) : rank_(rank) {}
  bool bind(std::span<const std::vector<int64_t>>, LaunchShape&) const override { return false; }
  std::vector<size_t> valueOperands() const override { return {1}; }
  bool bindValues(std::span<const std::vector<int64_t>> in, std::span<const std::vector<int64_t>> values,
                  LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  size_t rank_;
};

/// Reshape, Squeeze, Unsqueeze whose shape/axes operand (1) is computed at run time: a flat
/// copy as CopyLaunch, the rule completed with the operand's contents.
class RuntimeCopyLaunch final : public KernelLaunch {
 public:
  RuntimeCopyLaunch(ReshapeRule::Kind kind, bool allowZero) : kind_(kind), allowZero_(allowZero) {}
  bool bind(std::span<const std::vector<int64_t>>, LaunchShape&) const override { return false; }
  std::vector<size_t> valueOperands() const override { return {1}; }
  bool bindValues(std::span<const std::vector<int64_t>> in, std::span<const std::vector<int64_t>> values,
                  LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  ReshapeRule::Kind kind_;
  bool allowZero_;
};

/// Slice whose starts/ends/axes/steps (operands 1-4) are computed at run time: the kernel and
/// kernelDims of SliceLaunch.
class RuntimeSliceLaunch final : public KernelLaunch {
 public:
  RuntimeSliceLaunch(size_t rank, bool hasAxes, bool hasSteps) : rank_(rank), hasAxes_(hasAxes), hasSteps_(hasSteps) {}
  bool bind(std::span<const std::vector<int64_t>>, LaunchShape&) const override { return false; }
  std::vector<size_t> valueOperands() const override { return {1, 2, 3, 4}; }
  bool bindValues(std::span<const std::vector<int64_t>> in, std::span<const std::vector<int64_t>> values,
                  LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  size_t rank_;
  bool hasAxes_, hasSteps_;
};

/// Pad (constant, reflect, edge) of a rank-`rank` input; pads (operand 1) and axes (operand 3)
/// read at run time. kernelDims per axis: outDim, padBefore, kept, cropBefore, inStride (5 *
/// rank); one iteration per output row. `hasFill`: operand 2 (the constant) is given.
class PadLaunch final : public KernelLaunch {
 public:
  enum class Mode : int64_t { Constant, Reflect, Edge };
  PadLaunch(size_t rank, Mode mode, bool hasFill) : rank_(rank), mode_(mode), hasFill_(hasFill) {}
  bool bind(std::span<const std::vector<int64_t>>, LaunchShape&) const override { return false; }
  std::vector<size_t> valueOperands() const override { return {1, 3}; }
  bool bindValues(std::span<const std::vector<int64_t>> in, std::span<const std::vector<int64_t>> values,
                  LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  size_t rank_;
  Mode mode_;
  bool hasFill_;
};

/// Integer Div: the elementwise launch, plus a divisor check before each call (the generated
/// code never traps, but a zero divisor is an error, as on the reference kernel).
class CheckedDivLaunch final : public KernelLaunch {
 public:
  explicit CheckedDivLaunch(BroadcastPlan plan) : inner_(std::move(plan)) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override { return inner_.bind(in, launch); }
  void encode(std::vector<int64_t>& out) const override;
  bool checksOperands() const override { return true; }
  std::string check(std::span<const Tensor* const> operands) const override;

 private:
  ElementwiseLaunch inner_;
};

}  // namespace kiln::llvmjit
