#pragma once
// Node-count, string-length and nesting limits, checked on the parsed ModelProto before any of
// it is lifted into IR: a hostile file is refused before kiln builds millions of nodes or
// copies megabyte names into every diagnostic. Internal to frontend/onnx.

#include "ir/diagnostic.h"
#include "ir/limits.h"

namespace onnx {
class ModelProto;
}

namespace kiln::onnx_frontend {

/// Counts the nodes of the main graph, its subgraphs and the model-local functions against
/// limits.maxNodes, measures every name, op type, domain, attribute string and dim_param
/// against limits.maxStringBytes, and refuses subgraphs nested beyond limits.maxSubgraphDepth.
Status checkProtoLimits(const onnx::ModelProto& model, const Limits& limits);

}  // namespace kiln::onnx_frontend
