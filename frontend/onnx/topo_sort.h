#pragma once
// Orders the nodes of an ONNX graph or function body so that every value is produced before it
// is used, subgraph captures included. ONNX requires that order, but exporters do not always
// write it. Internal to frontend/onnx.

#include <string>
#include <unordered_set>
#include <vector>

#include "frontend/onnx/import_context.h"

namespace kiln::onnx_frontend {

/// Node indices of `graph` in a topological order that keeps the file's order wherever it is
/// already valid. Errors: a value name defined twice ("duplicate value name 'x' (produced by
/// node 'A' and node 'B')"), a duplicate graph input or initializer, and a cycle ("graph has a
/// cycle through node 'X' (Op)").
Expected<std::vector<int>> sortGraphNodes(const onnx::GraphProto& graph);
/// The same for a function body, whose only predefined names are its inputs.
Expected<std::vector<int>> sortFunctionNodes(const onnx::FunctionProto& function);

/// Names a graph uses (node inputs, nested subgraphs, outputs) without defining them: the
/// values it captures from enclosing graphs.
std::unordered_set<std::string> freeNames(const onnx::GraphProto& graph);

}  // namespace kiln::onnx_frontend
