#include "passes/pass_utils.h"

namespace kiln {

bool isOnnxOp(const Node& node, std::string_view op) {
  return (node.domain().empty() || node.domain() == "ai.onnx") && node.opType() == op;
}

const Tensor* constantTensor(const Value* v) {
  if (!v || !v->producer() || !isOnnxOp(*v->producer(), "Constant")) return nullptr;
  const Attribute* a = v->producer()->attr("value");
  if (!a || a->kind() != AttrKind::Tensor || !a->t().hasData() || a->t().isElided()) return nullptr;
  return &a->t();
}

std::optional<std::vector<int64_t>> constantInts(const Value* v) {
  const Tensor* t = constantTensor(v);
  if (!t || !isInteger(t->dtype())) return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(t->numElements()));
  for (int64_t i = 0; i < t->numElements(); ++i) out.push_back(t->scalarAsInt(i));
  return out;
}

std::string nodeLabel(const Node& node) {
  if (!node.name().empty()) return node.name();
  for (size_t i = 0; i < node.numOutputs(); ++i)
    if (node.output(i)) return "%" + node.output(i)->name();
  return "";
}

Status nodeError(const Node& node, std::string message) {
  return Status::nodeError(nodeLabel(node), node.qualifiedOp(), std::move(message));
}

Status forEachGraph(Graph& graph, const std::function<Status(Graph&)>& fn) {
  KILN_RETURN_IF_ERROR(fn(graph));
  for (Node* n : graph.nodes())
    for (Graph* sub : n->subgraphs()) KILN_RETURN_IF_ERROR(forEachGraph(*sub, fn));
  return Status::ok();
}

}  // namespace kiln
