#pragma once
// Estimated arithmetic and compulsory memory traffic of one node, from its operand shapes: what
// `kiln bench --profile` divides by a step's time to place it on a roofline (bench/run.sh).

#include <cstdint>
#include <span>
#include <vector>

#include "ir/graph.h"

namespace kiln::llvmjit {

/// One operand of a step as the runtime saw it: its dims and element size.
struct OperandShape {
  std::vector<int64_t> dims;
  size_t elementBytes = 0;
};

/// FLOPs (a multiply-add counts 2) and bytes of one call.
struct WorkEstimate {
  double flops = 0;
  double bytes = 0;  ///< every input read once plus every output written once: a lower bound
};

/// Estimates by op kind: GEMM-like ops (MatMul, Gemm, Conv, FusedConv, Attention) exactly,
/// elementwise and normalization ops as a few FLOPs per element, data movement as 0 FLOPs.
WorkEstimate estimateWork(const Node& node, std::span<const OperandShape> inputs, std::span<const OperandShape> outputs);

}  // namespace kiln::llvmjit
