#include "backends/onnx/proto_graph.h"

#include <onnx/onnx_pb.h>

#include <unordered_map>
#include <unordered_set>

#include "backends/onnx/proto_tensor.h"

namespace kiln::onnx_backend {

namespace onnx = ::ONNX_NAMESPACE;

void writeTypeProto(const Type& type, onnx::TypeProto& proto) {
  switch (type.kind()) {
    case Type::Kind::Unknown:
      return;
    case Type::Kind::Tensor: {
      auto* tensor = proto.mutable_tensor_type();
      if (type.dtype() != DType::Undefined) tensor->set_elem_type(dtypeToOnnx(type.dtype()));
      if (!type.shape().isRanked()) return;
      auto* shape = tensor->mutable_shape();  // present even for a scalar: rank 0 is known
      for (const Dim& d : type.shape().dims()) {
        auto* dim = shape->add_dim();
        if (d.isStatic()) {
          dim->set_dim_value(d.value());
        } else if (d.isSymbolic()) {
          // A lone symbol is written raw (no textual-IR quoting) so `dim_param` round-trips.
          auto symbol = d.asSymbol();
          dim->set_dim_param(symbol ? std::string(*symbol) : d.expr()->str());
        }
      }
      return;
    }
    case Type::Kind::Sequence:
      proto.mutable_sequence_type();
      if (!type.element().isUnknown())
        writeTypeProto(type.element(), *proto.mutable_sequence_type()->mutable_elem_type());
      return;
    case Type::Kind::Optional:
      proto.mutable_optional_type();
      if (!type.element().isUnknown())
        writeTypeProto(type.element(), *proto.mutable_optional_type()->mutable_elem_type());
      return;
  }
}

namespace {

/// Whether a value_info entry would say anything.
bool typeIsInformative(const Type& t) {
  if (t.isUnknown()) return false;
  return !(t.isTensor() && t.dtype() == DType::Undefined && !t.shape().isRanked());
}

onnx::AttributeProto::AttributeType attributeType(AttrKind kind) {
  using A = onnx::AttributeProto;
  switch (kind) {
    case AttrKind::Float: return A::FLOAT;
    case AttrKind::Int: return A::INT;
    case AttrKind::String: return A::STRING;
    case AttrKind::Tensor: return A::TENSOR;
    case AttrKind::Graph: return A::GRAPH;
    case AttrKind::Type: return A::TYPE_PROTO;
    case AttrKind::Floats: return A::FLOATS;
    case AttrKind::Ints: return A::INTS;
    case AttrKind::Strings: return A::STRINGS;
    case AttrKind::Tensors: return A::TENSORS;
    case AttrKind::Graphs: return A::GRAPHS;
    case AttrKind::Types: return A::TYPE_PROTOS;
  }
  return A::UNDEFINED;
}

/// Which Constant nodes become initializers: every Constant of the main graph (not of a
/// subgraph or function body) that holds a plain `value` tensor, whatever its size, unless
/// its value is itself a main-graph output (an output must be produced by a node or be an
/// input). The initializer takes the value's name, so names survive a round trip; initializers
/// are where tools (ORT, Netron, onnx-simplifier) expect weights and where external data
/// applies. Constants inside subgraphs stay nodes: a subgraph initializer would be a second
/// home for the same kind of data, and subgraph constants are small in practice.
bool becomesInitializer(const Node& n, const std::unordered_set<const Value*>& graphOutputs) {
  if (!n.domain().empty() || n.opType() != "Constant") return false;
  if (n.numOutputs() != 1 || !n.output(0) || graphOutputs.count(n.output(0))) return false;
  if (n.attributes().size() != 1) return false;
  const Attribute* value = n.attr("value");
  return value && value->kind() == AttrKind::Tensor && value->refAttrName().empty();
}

/// One naming scope (the main graph with its subgraphs, or one function body) being written.
class ScopeWriter {
 public:
  ScopeWriter(ExternalDataLayout* external, DeferredRawData* deferred) : external_(external), deferred_(deferred) {}

  /// Claims a name for `v`: its own when free, else its own (or `value`) with a suffix.
  void claim(const Value* v) {
    if (!v || names_.count(v)) return;
    if (!v->name().empty() && used_.insert(v->name()).second) {
      names_[v] = v->name();
      return;
    }
    names_[v] = freshName(v->name().empty() ? "value" : v->name());
  }

  /// Claims names for every value defined in `g` and its subgraphs, in program order.
  void claimAll(const Graph& g) {
    for (const Value* v : g.inputs()) claim(v);
    for (const Node* n : g.nodes()) {
      for (size_t i = 0; i < n->numOutputs(); ++i) claim(n->output(i));
      for (const Graph* sub : n->subgraphs()) claimAll(*sub);
    }
  }

  Status writeGraph(const Graph& g, onnx::GraphProto& proto, bool isMain);
  Status writeFunction(const Function& f, onnx::FunctionProto& proto);

 private:
  std::string freshName(const std::string& base) {
    for (uint64_t k = 1;; ++k) {
      std::string candidate = base + "_" + std::to_string(k);
      if (used_.insert(candidate).second) return candidate;
    }
  }

  const std::string* nameOf(const Value* v) const {
    auto it = names_.find(v);
    return it == names_.end() ? nullptr : &it->second;
  }

  Status nodeError(const Node& n, const std::string& message) const {
    // Nodes need not be named; the first output's name is the next best handle.
    std::string label = !n.name().empty()          ? n.name()
                        : !n.location().name.empty() ? n.location().name
                        : n.output(0)                ? n.output(0)->name()
                                                     : std::string();
    return Status::nodeError(label, n.qualifiedOp(), message);
  }

  void writeValueInfo(const Value* v, const std::string& name, onnx::ValueInfoProto& info) {
    info.set_name(name);
    if (typeIsInformative(v->type())) writeTypeProto(v->type(), *info.mutable_type());
  }

  Status writeNode(const Node& n, onnx::NodeProto& proto);
  Status writeAttribute(const Node& n, const std::string& name, const Attribute& a,
                        onnx::AttributeProto& proto);
  Status writeTensor(const Node& n, const std::string& attrName, const Tensor& t,
                     onnx::TensorProto& proto, DeferredRawData* deferred = nullptr) {
    Status st = writeTensorProto(t, proto, external_, deferred);
    if (!st) return nodeError(n, "attribute '" + attrName + "': " + st.diagnostic().message);
    return st;
  }
  /// Writes graph outputs; a slot that repeats a value, or (in a subgraph) names a value of an
  /// enclosing graph, gets an Identity copy, since ONNX wants each output produced locally.
  void writeOutputs(const Graph& g, const std::vector<const Value*>& outputs, bool isMain,
                    onnx::GraphProto* graph, std::vector<std::string>* names);

  ExternalDataLayout* external_;
  DeferredRawData* deferred_;  ///< for the main graph's initializers only
  std::unordered_map<const Value*, std::string> names_;
  std::unordered_set<std::string> used_;
};

Status ScopeWriter::writeAttribute(const Node& n, const std::string& name, const Attribute& a,
                                   onnx::AttributeProto& proto) {
  proto.set_name(name);
  proto.set_type(attributeType(a.kind()));
  // Inside a function body the value comes from the caller's attribute of that name.
  if (!a.refAttrName().empty()) {
    proto.set_ref_attr_name(a.refAttrName());
    return Status::ok();
  }
  switch (a.kind()) {
    case AttrKind::Float: proto.set_f(a.f()); break;
    case AttrKind::Int: proto.set_i(a.i()); break;
    case AttrKind::String: proto.set_s(a.s()); break;
    case AttrKind::Tensor: return writeTensor(n, name, a.t(), *proto.mutable_t());
    case AttrKind::Graph: return writeGraph(a.g(), *proto.mutable_g(), false);
    case AttrKind::Type: writeTypeProto(a.type(), *proto.mutable_tp()); break;
    case AttrKind::Floats:
      for (float f : a.floats()) proto.add_floats(f);
      break;
    case AttrKind::Ints:
      for (int64_t i : a.ints()) proto.add_ints(i);
      break;
    case AttrKind::Strings:
      for (const std::string& s : a.strings()) proto.add_strings(s);
      break;
    case AttrKind::Tensors:
      for (const Tensor& t : a.tensors()) KILN_RETURN_IF_ERROR(writeTensor(n, name, t, *proto.add_tensors()));
      break;
    case AttrKind::Graphs:
      for (const auto& g : a.graphs()) KILN_RETURN_IF_ERROR(writeGraph(*g, *proto.add_graphs(), false));
      break;
    case AttrKind::Types:
      for (const Type& t : a.types()) writeTypeProto(t, *proto.add_type_protos());
      break;
  }
  return Status::ok();
}

Status ScopeWriter::writeNode(const Node& n, onnx::NodeProto& proto) {
  proto.set_op_type(n.opType());
  if (!n.domain().empty()) proto.set_domain(n.domain());
  if (!n.name().empty()) proto.set_name(n.name());
  if (!n.docString().empty()) proto.set_doc_string(n.docString());
  for (size_t i = 0; i < n.numInputs(); ++i) {
    const Value* v = n.input(i);
    if (!v) {
      proto.add_input("");  // omitted optional input
      continue;
    }
    const std::string* name = nameOf(v);
    if (!name)
      return nodeError(n, "input " + std::to_string(i) + " ('" + v->name() +
                              "') is not defined in this model");
    proto.add_input(*name);
  }
  for (size_t i = 0; i < n.numOutputs(); ++i) {
    const std::string* name = nameOf(n.output(i));
    proto.add_output(name ? *name : std::string());  // omitted optional output
  }
  for (const auto& [name, a] : n.attributes())
    KILN_RETURN_IF_ERROR(writeAttribute(n, name, a, *proto.add_attribute()));
  return Status::ok();
}

void ScopeWriter::writeOutputs(const Graph& g, const std::vector<const Value*>& outputs,
                               bool isMain, onnx::GraphProto* graph,
                               std::vector<std::string>* names) {
  std::unordered_set<const Value*> seen;
  for (const Value* v : outputs) {
    std::string name = *nameOf(v);
    bool local = v->inputOf() == &g || (v->producer() && v->producer()->graph() == &g);
    if (!seen.insert(v).second || (!isMain && !local)) {
      std::string copy = freshName(name);
      auto* identity = graph->add_node();
      identity->set_op_type("Identity");
      identity->add_input(name);
      identity->add_output(copy);
      name = copy;
    }
    names->push_back(name);
  }
}

Status ScopeWriter::writeGraph(const Graph& g, onnx::GraphProto& proto, bool isMain) {
  proto.set_name(g.name().empty() ? (isMain ? "main" : "subgraph") : g.name());
  if (!g.docString().empty()) proto.set_doc_string(g.docString());

  std::vector<const Value*> outputs;
  for (size_t i = 0; i < g.numOutputs(); ++i) {
    if (!g.output(i))
      return Status::error("graph '" + g.name() + "': output " + std::to_string(i) + " has no value");
    if (!nameOf(g.output(i)))
      return Status::error("graph '" + g.name() + "': output " + std::to_string(i) + " ('" +
                           g.output(i)->name() + "') is not defined in this model");
    outputs.push_back(g.output(i));
  }
  std::unordered_set<const Value*> outputSet(outputs.begin(), outputs.end());

  for (const Value* v : g.inputs()) writeValueInfo(v, *nameOf(v), *proto.add_input());
  for (const auto& [v, t] : g.inputDefaults()) {
    auto* init = proto.add_initializer();
    init->set_name(*nameOf(v));
    Status st = writeTensorProto(t, *init, external_, isMain ? deferred_ : nullptr);
    if (!st) return Status::error("initializer '" + init->name() + "': " + st.diagnostic().message);
  }

  std::unordered_set<const Value*> initializers;
  for (const Node* n : g.nodes()) {
    if (isMain && becomesInitializer(*n, outputSet)) {
      auto* init = proto.add_initializer();
      init->set_name(*nameOf(n->output(0)));
      if (!n->docString().empty()) init->set_doc_string(n->docString());
      KILN_RETURN_IF_ERROR(writeTensor(*n, "value", n->attr("value")->t(), *init, deferred_));
      initializers.insert(n->output(0));
      continue;
    }
    KILN_RETURN_IF_ERROR(writeNode(*n, *proto.add_node()));
  }

  std::vector<std::string> outputNames;
  writeOutputs(g, outputs, isMain, &proto, &outputNames);
  for (size_t i = 0; i < outputs.size(); ++i)
    writeValueInfo(outputs[i], outputNames[i], *proto.add_output());

  // Intermediate types, symbolic dims included, so that shapes survive a round trip without
  // re-running inference.
  for (const Node* n : g.nodes())
    for (size_t i = 0; i < n->numOutputs(); ++i) {
      const Value* v = n->output(i);
      if (v && !outputSet.count(v) && !initializers.count(v) && typeIsInformative(v->type()))
        writeValueInfo(v, *nameOf(v), *proto.add_value_info());
    }
  return Status::ok();
}

Status ScopeWriter::writeFunction(const Function& f, onnx::FunctionProto& proto) {
  proto.set_name(f.name);
  if (!f.domain.empty()) proto.set_domain(f.domain);
  if (!f.docString.empty()) proto.set_doc_string(f.docString);
  for (const std::string& a : f.attributes) proto.add_attribute(a);
  for (const OpsetImport& o : f.opsets) {
    auto* op = proto.add_opset_import();
    op->set_domain(o.domain);
    op->set_version(o.version);
  }
  if (!f.body) return Status::error("function '" + f.name + "' has no body");
  const Graph& body = *f.body;
  for (const Value* v : body.inputs()) claim(v);
  for (const Value* v : body.outputs()) claim(v);
  claimAll(body);

  for (const Value* v : body.inputs()) proto.add_input(*nameOf(v));
  for (const Node* n : body.nodes()) KILN_RETURN_IF_ERROR(writeNode(*n, *proto.add_node()));
  std::vector<const Value*> outputs;
  for (size_t i = 0; i < body.numOutputs(); ++i) {
    const Value* v = body.output(i);
    if (!v || !nameOf(v))
      return Status::error("function '" + f.name + "': output " + std::to_string(i) +
                           " is not defined in its body");
    outputs.push_back(v);
  }
  // FunctionProto has the same node list as a graph; borrow a GraphProto for any Identity
  // copies writeOutputs adds, then move them over.
  onnx::GraphProto extra;
  std::vector<std::string> names;
  writeOutputs(body, outputs, /*isMain=*/true, &extra, &names);
  for (auto& n : *extra.mutable_node()) *proto.add_node() = std::move(n);
  for (const std::string& name : names) proto.add_output(name);
  return Status::ok();
}

}  // namespace

Status writeMainGraphProto(const Graph& graph, onnx::GraphProto& proto,
                           ExternalDataLayout* external, DeferredRawData* deferred) {
  ScopeWriter writer(external, deferred);
  // The model's interface keeps its names: claim them before any inner value can.
  for (const Value* v : graph.inputs()) writer.claim(v);
  for (const Value* v : graph.outputs()) writer.claim(v);
  writer.claimAll(graph);
  return writer.writeGraph(graph, proto, /*isMain=*/true);
}

Status writeFunctionProto(const Function& function, onnx::FunctionProto& proto,
                          ExternalDataLayout* external) {
  ScopeWriter writer(external, nullptr);
  return writer.writeFunction(function, proto);
}

}  // namespace kiln::onnx_backend
