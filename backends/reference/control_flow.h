#pragma once
// The pieces of If/Loop/Scan semantics that the JIT's control steps share with the reference
// kernels (backends/reference/control_flow.cpp), so both read conditions and stack scan
// outputs the same way.

#include <vector>

#include "ir/diagnostic.h"
#include "ir/tensor.h"
#include "ir/value.h"

namespace kiln::reference {

/// The value of an If or Loop condition: one element of any non-string dtype, true when non-zero.
Expected<bool> readCondition(const Tensor& t);

/// Stacks same-shaped slices along a new axis `axis` (normalized for the stacked rank).
/// With no slices, the result is empty along that axis with dims taken from `like` (the IR type
/// of the subgraph output), so a zero-trip Loop still yields a typed empty tensor.
Expected<Tensor> stackSlices(const std::vector<Tensor>& slices, int64_t axis, const Value* like);

}  // namespace kiln::reference
