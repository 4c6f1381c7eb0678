// What pattern builders and preconditions share: creating nodes before the root, reading
// constants and static shapes.

#include "ir/op_registry.h"
#include "passes/fusion/pattern.h"
#include "passes/pass_utils.h"

namespace kiln::fusion {

Node* createBefore(const Match& m, Rewriter& rw, std::string domain, std::string opType, std::vector<Value*> inputs,
                   std::vector<std::pair<std::string, Attribute>> attrs, std::string nameHint) {
  Node* root = m.root();
  std::string hint = nameHint.empty() ? root->output(0)->name() + "_fused" : nameHint;
  Node* n = rw.createNode(*root->graph(), root, std::move(domain), std::move(opType), std::move(inputs), {hint});
  for (auto& [name, a] : attrs) n->setAttr(name, std::move(a));
  n->location() = root->location();
  if (!inferNodeShapes(*n)) n->output(0)->setType(Type());
  if (n->output(0)->type().isUnknown()) n->output(0)->setType(root->output(0)->type());
  return n;
}

Value* constantBefore(const Match& m, Rewriter& rw, Tensor value, std::string_view hint) {
  return rw.createConstant(*m.root()->graph(), m.root(), std::move(value), hint);
}

std::optional<double> scalarValue(const Value* v) {
  const Tensor* t = constantTensor(v);
  if (!t || t->numElements() != 1) return std::nullopt;
  return t->scalarAsDouble(0);
}

std::optional<std::vector<int64_t>> staticDims(const Value* v) {
  if (!v || !v->type().isTensor() || !v->shape().isRanked()) return std::nullopt;
  return v->shape().staticDims();
}

std::optional<size_t> rankOf(const Value* v) {
  if (!v || !v->type().isTensor() || !v->shape().isRanked()) return std::nullopt;
  return v->shape().rank();
}

}  // namespace kiln::fusion
