#include "frontend/onnx/limits_check.h"

#include <onnx/onnx_pb.h>

#include "ir/tensor.h"

namespace kiln::onnx_frontend {
namespace {

class LimitWalker {
 public:
  explicit LimitWalker(const Limits& limits) : limits_(limits) {}

  Status model(const onnx::ModelProto& m) {
    for (const auto& kv : m.metadata_props()) {
      KILN_RETURN_IF_ERROR(text(kv.key(), "a metadata key"));
      KILN_RETURN_IF_ERROR(text(kv.value(), "metadata '" + shortened(kv.key()) + "'"));
    }
    KILN_RETURN_IF_ERROR(graph(m.graph(), 0));
    for (const auto& f : m.functions()) {
      KILN_RETURN_IF_ERROR(text(f.name(), "a function name"));
      KILN_RETURN_IF_ERROR(text(f.domain(), "the domain of function '" + shortened(f.name()) + "'"));
      for (const auto& n : f.node()) KILN_RETURN_IF_ERROR(node(n, 0));
    }
    return Status::ok();
  }

 private:
  Status graph(const onnx::GraphProto& g, int depth) {
    if (depth > limits_.maxSubgraphDepth)
      return Status::error("subgraphs nest deeper than " + std::to_string(limits_.maxSubgraphDepth) + " levels " +
                           limitHint("--max-subgraph-depth"));
    KILN_RETURN_IF_ERROR(text(g.name(), "a graph name"));
    for (const auto* list : {&g.input(), &g.output(), &g.value_info()})
      for (const auto& v : *list) KILN_RETURN_IF_ERROR(valueInfo(v));
    for (const auto& t : g.initializer()) KILN_RETURN_IF_ERROR(text(t.name(), "an initializer name"));
    for (const auto& n : g.node()) KILN_RETURN_IF_ERROR(node(n, depth));
    return Status::ok();
  }

  Status valueInfo(const onnx::ValueInfoProto& v) {
    KILN_RETURN_IF_ERROR(text(v.name(), "a value name"));
    if (v.type().has_tensor_type())
      for (const auto& d : v.type().tensor_type().shape().dim())
        KILN_RETURN_IF_ERROR(text(d.dim_param(), "a dim name of '" + shortened(v.name()) + "'"));
    return Status::ok();
  }

  Status node(const onnx::NodeProto& n, int depth) {
    if (++nodes_ > limits_.maxNodes)
      return Status::error("the model has more than " + std::to_string(limits_.maxNodes) + " nodes " +
                           limitHint("--max-nodes"));
    KILN_RETURN_IF_ERROR(text(n.name(), "a node name"));
    KILN_RETURN_IF_ERROR(text(n.op_type(), "an op type"));
    KILN_RETURN_IF_ERROR(text(n.domain(), "a domain"));
    const std::string where = "node '" + shortened(n.name()) + "' (" + shortened(n.op_type()) + ")";
    for (const auto* list : {&n.input(), &n.output()})
      for (const auto& name : *list) KILN_RETURN_IF_ERROR(text(name, "a value name of " + where));
    for (const auto& a : n.attribute()) {
      KILN_RETURN_IF_ERROR(text(a.name(), "an attribute name of " + where));
      KILN_RETURN_IF_ERROR(text(a.s(), "attribute '" + shortened(a.name()) + "' of " + where));
      KILN_RETURN_IF_ERROR(text(a.ref_attr_name(), "attribute '" + shortened(a.name()) + "' of " + where));
      for (const auto& s : a.strings())
        KILN_RETURN_IF_ERROR(text(s, "attribute '" + shortened(a.name()) + "' of " + where));
      if (a.has_g()) KILN_RETURN_IF_ERROR(graph(a.g(), depth + 1));
      for (const auto& g : a.graphs()) KILN_RETURN_IF_ERROR(graph(g, depth + 1));
    }
    return Status::ok();
  }

  Status text(const std::string& s, const std::string& what) const {
    if (s.size() <= limits_.maxStringBytes) return Status::ok();
    return Status::error(what + " is " + formatBytes(s.size()) + " long, over the string length limit of " +
                         formatBytes(limits_.maxStringBytes) + " " + limitHint("--max-string-bytes"));
  }

  /// A name quoted in a message: never more than 64 characters of it, whatever its length.
  static std::string shortened(const std::string& s) { return s.size() <= 64 ? s : s.substr(0, 61) + "..."; }

  const Limits& limits_;
  int64_t nodes_ = 0;
};

}  // namespace

Status checkProtoLimits(const onnx::ModelProto& model, const Limits& limits) {
  return LimitWalker(limits).model(model);
}

}  // namespace kiln::onnx_frontend
