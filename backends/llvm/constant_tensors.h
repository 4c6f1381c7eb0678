#pragma once
// Every constant tensor a graph holds, in one fixed order: node by node, attributes in order,
// subgraphs depth first where they appear, then the graph's input defaults. A model library
// stores the tensors the printer elides in this order and puts them back when it loads.

#include <functional>
#include <optional>

#include "ir/graph.h"
#include "ir/tensor.h"

namespace kiln::llvmjit {

/// Called for each tensor; returns a replacement to store in its place, or nullopt to keep it.
using TensorVisitor = std::function<std::optional<Tensor>(const Tensor&)>;

void visitConstantTensors(Graph& graph, const TensorVisitor& visit);

}  // namespace kiln::llvmjit
