#include "frontend/onnx/graph_import.h"

#include <onnx/onnx_pb.h>

#include <unordered_set>

#include "frontend/onnx/attribute_import.h"
#include "frontend/onnx/schema_check.h"
#include "frontend/onnx/tensor_import.h"
#include "frontend/onnx/topo_sort.h"
#include "frontend/onnx/type_import.h"

namespace kiln::onnx_frontend {
namespace {

Type tensorTypeOf(const Tensor& t) {
  return Type::tensor(t.dtype(), Shape(std::vector<Dim>(t.dims().begin(), t.dims().end())));
}

/// Checks that the op of `np` exists: a model-local function, or an ONNX-domain op at the
/// opset in force. Ops of other domains are kept opaque.
Status checkOp(const onnx::NodeProto& np, const std::string& domain, const LiftEnv& env) {
  const std::string& op = np.op_type();
  if (auto fn = env.ctx.functions.find({domain, op}); fn != env.ctx.functions.end()) {
    const FunctionSignature& sig = fn->second;
    if (np.input_size() > sig.numInputs)
      return Status::error("function '" + op + "' takes " + std::to_string(sig.numInputs) + " inputs, got " +
                           std::to_string(np.input_size()));
    if (np.output_size() > sig.numOutputs)
      return Status::error("function '" + op + "' has " + std::to_string(sig.numOutputs) + " outputs, got " +
                           std::to_string(np.output_size()));
    return Status::ok();
  }
  if (!isOnnxDomain(domain)) return Status::ok();
  auto version = env.opsets.find(domain);
  if (version == env.opsets.end())
    return Status::error("the model imports no opset for domain '" + displayDomain(domain) + "'");
  if (!env.ctx.options.checkSchemas) return Status::ok();
  return checkOnnxNode(np, domain, version->second, !env.inFunction);
}

Status liftNode(onnx::NodeProto& np, int index, Graph& graph, Scope& scope, const LiftEnv& env, int depth) {
  const std::string label = nodeLabel(np, index);
  const std::string op = np.op_type();
  auto fail = [&](Status s) { return atNode(std::move(s), label, op); };
  if (op.empty()) return fail(Status::error("node has no op_type"));
  const std::string domain = normalizeDomain(np.domain());
  if (Status s = checkOp(np, domain, env); !s) return fail(std::move(s));

  std::vector<Value*> inputs;
  for (const auto& name : np.input()) {
    if (name.empty()) {  // an omitted optional input
      inputs.push_back(nullptr);
      continue;
    }
    Value* v = scope.lookup(name);
    if (!v)
      return fail(Status::error("input '" + name +
                                "' is not defined (no node, graph input or initializer produces it)"));
    inputs.push_back(v);
  }

  // Subgraphs are lifted before the node exists: they see exactly the values defined so far.
  std::string attrName;
  SubgraphLifter liftSubgraph = [&](onnx::GraphProto& g) -> Expected<std::unique_ptr<Graph>> {
    auto sub = std::make_unique<Graph>(g.name().empty() ? attrName : g.name());
    KILN_RETURN_IF_ERROR(liftGraph(g, *sub, &scope, env, depth + 1));
    return sub;
  };
  std::vector<std::pair<std::string, Attribute>> attrs;
  std::unordered_set<std::string> seen;
  for (auto& a : *np.mutable_attribute()) {
    attrName = a.name();
    if (attrName.empty()) return fail(Status::error("an attribute has no name"));
    if (!seen.insert(attrName).second) return fail(Status::error("attribute '" + attrName + "' appears twice"));
    auto attr = attributeFromProto(a, env.inFunction, liftSubgraph, env.ctx);
    if (!attr) return fail(attr.takeStatus());
    attrs.emplace_back(attrName, attr.take());
  }

  Node* node = graph.createNode(domain, op, std::move(inputs));
  node->setName(np.name());
  node->setDocString(np.doc_string());
  node->location() = Location{env.ctx.file, np.name(), {}};
  for (auto& [name, a] : attrs) node->setAttr(std::move(name), std::move(a));
  for (const auto& name : np.output())
    if (Value* v = node->addOutput(name)) scope.define(name, v);
  if (domain.empty() && op == "Constant") return fail(canonicalizeConstant(*node));
  return Status::ok();
}

Status liftNodes(google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes, const std::vector<int>& order,
                 Graph& graph, Scope& scope, const LiftEnv& env, int depth) {
  for (int i : order) KILN_RETURN_IF_ERROR(liftNode(*nodes.Mutable(i), i, graph, scope, env, depth));
  return Status::ok();
}

Expected<Type> declaredType(const onnx::ValueInfoProto& vi, const std::string& what) {
  if (!vi.has_type()) return Type();
  return typeFromProto(vi.type(), what);
}

}  // namespace

Status liftGraph(onnx::GraphProto& proto, Graph& graph, const Scope* parent, const LiftEnv& env, int depth) {
  ImportContext& ctx = env.ctx;
  if (depth > ctx.options.limits.maxSubgraphDepth)
    return Status::error("subgraphs nest deeper than " + std::to_string(ctx.options.limits.maxSubgraphDepth) +
                         " levels " + limitHint("--max-subgraph-depth"));
  if (!proto.name().empty()) graph.setName(proto.name());
  graph.setDocString(proto.doc_string());
  if (proto.sparse_initializer_size() > 0)
    return Status::error("sparse initializer '" + proto.sparse_initializer(0).values().name() + "' is not supported");
  auto order = sortGraphNodes(proto);
  if (!order) return order.takeStatus();

  Scope scope(parent);
  for (int i = 0; i < proto.input_size(); ++i) {
    const auto& vi = proto.input(i);
    if (vi.name().empty()) return Status::error("graph input #" + std::to_string(i) + " has no name");
    auto type = declaredType(vi, "input '" + vi.name() + "'");
    if (!type) return type.takeStatus();
    scope.define(vi.name(), graph.addInput(vi.name(), type.take()));
  }

  for (int i = 0; i < proto.initializer_size(); ++i) {
    onnx::TensorProto& init = *proto.mutable_initializer(i);
    const std::string name = init.name();
    if (name.empty()) return Status::error("initializer #" + std::to_string(i) + " has no name");
    auto tensor = tensorFromProto(init, "initializer '" + name + "'", ctx);
    if (!tensor) return tensor.takeStatus();
    Type type = tensorTypeOf(*tensor);
    if (Value* input = scope.local(name)) {
      // Also a graph input: a default the caller may override (how IR < 4 stored weights).
      if (input->type().isUnknown()) {
        input->setType(type);
      } else if (input->type().isTensor() && input->dtype() != DType::Undefined && input->dtype() != tensor->dtype()) {
        return Status::error("initializer '" + name + "' is " + std::string(dtypeName(tensor->dtype())) +
                             " but graph input '" + name + "' is declared " + std::string(dtypeName(input->dtype())));
      }
      graph.inputDefaults().emplace_back(input, tensor.take());
      continue;
    }
    Node* c = graph.createNode("", "Constant", {});
    // An initializer has no node name of its own; its value's name identifies the node.
    c->setName(name);
    c->location() = Location{ctx.file, name, {}};
    c->setDocString(init.doc_string());
    c->setAttr("value", Attribute(tensor.take()));
    scope.define(name, c->addOutput(name, std::move(type)));
  }

  KILN_RETURN_IF_ERROR(liftNodes(*proto.mutable_node(), *order, graph, scope, env, depth));

  // value_info types what the file knew about intermediate values; it never overrides a type
  // already known (inputs, constants).
  for (const auto& vi : proto.value_info()) {
    auto type = declaredType(vi, "value_info '" + vi.name() + "'");
    if (!type) return type.takeStatus();
    Value* v = scope.local(vi.name());
    if (v && v->type().isUnknown()) v->setType(type.take());
  }

  for (int i = 0; i < proto.output_size(); ++i) {
    const auto& vi = proto.output(i);
    if (vi.name().empty()) return Status::error("graph output #" + std::to_string(i) + " has no name");
    Value* v = scope.lookup(vi.name());
    if (!v)
      return Status::error("graph output '" + vi.name() + "' is not produced by any node, graph input or initializer");
    auto type = declaredType(vi, "output '" + vi.name() + "'");
    if (!type) return type.takeStatus();
    if (v->type().isUnknown()) v->setType(type.take());
    graph.addOutput(v);
  }
  return Status::ok();
}

Status liftFunctionBody(onnx::FunctionProto& proto, Graph& body, const LiftEnv& env) {
  body.setName(proto.name());
  body.setDocString(proto.doc_string());
  auto order = sortFunctionNodes(proto);
  if (!order) return order.takeStatus();
  Scope scope(nullptr);  // a function sees only its inputs
  for (const auto& name : proto.input()) scope.define(name, body.addInput(name, Type()));
  KILN_RETURN_IF_ERROR(liftNodes(*proto.mutable_node(), *order, body, scope, env, 0));
  for (const auto& name : proto.output()) {
    Value* v = scope.local(name);
    if (!v) return Status::error("function output '" + name + "' is not produced by any node or input");
    body.addOutput(v);
  }
  return Status::ok();
}

}  // namespace kiln::onnx_frontend
