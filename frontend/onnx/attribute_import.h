#pragma once
// ONNX AttributeProto -> kiln Attribute, and the Constant node's canonical form. Internal to
// frontend/onnx.

#include <functional>
#include <memory>

#include "frontend/onnx/import_context.h"
#include "ir/graph.h"

namespace kiln::onnx_frontend {

/// Lifts a graph-valued attribute (If branch, Loop or Scan body) in the scope of its node.
using SubgraphLifter = std::function<Expected<std::unique_ptr<Graph>>(onnx::GraphProto&)>;

/// Converts one attribute; tensors go through tensorFromProto, graphs through `liftSubgraph`.
/// A reference to a function attribute (ref_attr_name) is only allowed when `inFunction`; it
/// becomes a placeholder of the declared kind carrying Attribute::refAttrName.
Expected<Attribute> attributeFromProto(onnx::AttributeProto& proto, bool inFunction, const SubgraphLifter& liftSubgraph,
                                       ImportContext& ctx);

/// Turns a Constant's value_float(s) / value_int(s) / value_string(s) into the canonical `value`
/// tensor and types its output from it. Exactly one value attribute must be present; a value
/// still referring to a function attribute is left for inlining to resolve.
Status canonicalizeConstant(Node& node);

}  // namespace kiln::onnx_frontend
