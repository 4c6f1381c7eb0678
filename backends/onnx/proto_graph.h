#pragma once
// Internal to the ONNX emitter: graphs, nodes, attributes and types -> protobuf. Works on IR
// that is already in the target opset's form; it never reasons about versions.

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace ONNX_NAMESPACE {
class FunctionProto;
class GraphProto;
class TypeProto;
}  // namespace ONNX_NAMESPACE

namespace kiln::onnx_backend {

class DeferredRawData;
class ExternalDataLayout;

/// Writes the main graph and, recursively, its subgraphs: inputs, initializers, nodes, outputs
/// and a value_info entry for every other value whose type is known. Names are kept where they
/// are unique across the graph and its subgraphs (the main graph's inputs and outputs claim
/// theirs first); a clashing or missing name gets a numbered suffix. Top-level Constant nodes
/// become initializers (rule in the .cpp). `external` (may be null) receives large tensors;
/// else `deferred` (may be null) takes the bytes of large initializers.
Status writeMainGraphProto(const Graph& graph, ONNX_NAMESPACE::GraphProto& proto,
                           ExternalDataLayout* external, DeferredRawData* deferred = nullptr);

/// Writes a model-local function. Its body is its own naming scope; Constants stay nodes
/// (FunctionProto has no initializers).
Status writeFunctionProto(const Function& function, ONNX_NAMESPACE::FunctionProto& proto,
                          ExternalDataLayout* external);

/// Tensor, sequence and optional types. Static dims become dim_value, symbolic dims dim_param
/// (the symbol, or the expression text such as `2*batch`), unknown dims an empty dim; an
/// unranked tensor has no shape field. An unknown type writes nothing.
void writeTypeProto(const Type& type, ONNX_NAMESPACE::TypeProto& proto);

}  // namespace kiln::onnx_backend
