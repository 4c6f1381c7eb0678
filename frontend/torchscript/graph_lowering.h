#pragma once
// Walks a prepared forward() graph and lowers it into a kiln graph: inputs named and typed
// from the --input-shape specs, every node through its aten converter, outputs flattened.

#include <torch/csrc/jit/ir/ir.h>

#include <string>
#include <vector>

#include "frontend/torchscript/torch_api.h"
#include "frontend/torchscript/unsupported_report.h"

namespace kiln::torchscript {

/// `file.py:42` for where the trace recorded `node`, or empty.
std::string sourceLocation(const torch::jit::Node* node);

/// Every node of `graph` no converter handles, in graph order (inside prim::If branches too).
std::vector<UnsupportedUse> findUnsupportedNodes(const torch::jit::Graph& graph);

class LoweringContext;
/// Lowers the nodes of `block` in order into the context's current graph.
Status lowerBlock(LoweringContext& ctx, const torch::jit::Block& block);

/// Lowers `graph` (input 0 is the module itself) into `out`. `inputs` has one spec per
/// forward() argument, in order.
Status lowerGraph(const torch::jit::Graph& graph, const std::vector<InputSpec>& inputs,
                  const std::vector<std::string>& outputNames, const std::string& file, Graph& out);

}  // namespace kiln::torchscript
