#pragma once
// Einsum as a chain of batched matrix products, fixed when the kernel is generated (the
// labels' sizes are bound at run time). Operands are contracted left to right; each pairwise
// step gathers A into [batch, m, k] and B into [batch, k, n] (a label missing from one side
// gets stride 0 there, which sums it out), multiplies with the emitted GEMM, and leaves a
// contiguous [batch, m, n] result whose labels the next step reads. A single operand is
// contracted with a scalar one. No LLVM here: the emitter and the launch both use it.

#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/node.h"

namespace kiln::llvmjit {

struct EinsumContraction {
  /// Label ids (indices into EinsumPlan::labels) of each group.
  std::vector<int> batch, m, k, n;
  /// The result's labels, in memory order: batch, m, n.
  std::vector<int> result() const;
};

struct EinsumPlan {
  std::vector<int> labels;                    ///< distinct equation labels (reference ids)
  std::vector<std::vector<int>> operands;     ///< label ids per operand dim
  std::vector<int> output;                    ///< label ids of the output dims
  std::vector<EinsumContraction> steps;       ///< operands.size() - 1 steps, or 1 for one operand

  /// Index in the kernel's dims of operand `i`'s stride for its dim `axis`.
  size_t strideSlot(size_t i, size_t axis) const;
  size_t dimsCount() const;
};

/// The plan for `node`'s equation over operands of `ranks`; an error says why it is not
/// generated (a label repeated within one operand: diagonals).
Expected<EinsumPlan> planEinsum(const Node& node, const std::vector<int64_t>& ranks);

}  // namespace kiln::llvmjit
