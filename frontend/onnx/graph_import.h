#pragma once
// ONNX GraphProto / FunctionProto body -> kiln Graph. Internal to frontend/onnx.

#include "frontend/onnx/import_context.h"
#include "ir/graph.h"

namespace kiln::onnx_frontend {

/// What lifting a graph needs beyond the graph itself.
struct LiftEnv {
  ImportContext& ctx;
  const OpsetMap& opsets;  ///< the model's, or the function's for a function body
  bool inFunction = false;
};

/// Lifts `proto` into the empty `graph`: inputs, initializers (as Constant nodes at the top, or
/// as input defaults when they are also inputs), nodes in topological order, value_info types
/// and outputs. Names resolve through `parent` for subgraphs (implicit capture). `depth` is the
/// subgraph nesting level (0 for the main graph).
Status liftGraph(onnx::GraphProto& proto, Graph& graph, const Scope* parent, const LiftEnv& env, int depth);

/// Lifts a model-local function's body: untyped inputs, nodes, outputs.
Status liftFunctionBody(onnx::FunctionProto& proto, Graph& body, const LiftEnv& env);

}  // namespace kiln::onnx_frontend
