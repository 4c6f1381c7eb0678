#pragma once
// Small queries the passes share: is this value a constant, is this node that op, and how to
// name a node in a diagnostic.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/graph.h"

namespace kiln {

/// Whether `node` is the ONNX op `op` (default domain, spelled "" or "ai.onnx").
bool isOnnxOp(const Node& node, std::string_view op);
/// The tensor of the Constant node producing `v`, when its bytes are loaded; else null.
const Tensor* constantTensor(const Value* v);
/// Integer constant contents of `v` (any integer dtype); nullopt when not a loaded constant.
std::optional<std::vector<int64_t>> constantInts(const Value* v);

/// The node's name, or `%out` (its first output) when it has none: what diagnostics show.
std::string nodeLabel(const Node& node);
/// An error about `node`.
Status nodeError(const Node& node, std::string message);

/// Calls `fn` on `graph` and then on each nested subgraph, depth first; stops at the first error.
Status forEachGraph(Graph& graph, const std::function<Status(Graph&)>& fn);

}  // namespace kiln
