#include "ir/op_registry.h"

#include "ir/graph.h"

namespace kiln {

const AttrSpec* OpSchema::findAttr(std::string_view attrName) const {
  for (const auto& a : attributes)
    if (a.name == attrName) return &a;
  return nullptr;
}

const OpRegistry& OpRegistry::builtin() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerBuiltinOps(r);
    return r;
  }();
  return registry;
}

OpSchema& OpRegistry::add(OpSchema schema) {
  auto key = std::make_pair(schema.domain, schema.name);
  KILN_ASSERT(!ops_.count(key));
  auto& slot = ops_[key];
  slot = std::make_unique<OpSchema>(std::move(schema));
  return *slot;
}

const OpSchema* OpRegistry::lookup(std::string_view domain, std::string_view name) const {
  auto it = ops_.find(std::make_pair(std::string(domain), std::string(name)));
  return it == ops_.end() ? nullptr : it->second.get();
}

std::vector<const OpSchema*> OpRegistry::all() const {
  std::vector<const OpSchema*> out;
  for (const auto& [key, s] : ops_) out.push_back(s.get());
  return out;
}

const Type& InferenceContext::inputType(size_t i) const {
  static const Type kUnknown;
  Value* v = node_.input(i);
  return v ? v->type() : kUnknown;
}

const Tensor* InferenceContext::constantInput(size_t i) const {
  Value* v = node_.input(i);
  if (!v || !v->producer()) return nullptr;
  Node* p = v->producer();
  if (p->domain().empty() && p->opType() == "Constant")
    if (const Attribute* a = p->attr("value"); a && a->kind() == AttrKind::Tensor && a->t().hasData())
      return &a->t();
  return nullptr;
}

std::optional<std::vector<int64_t>> InferenceContext::constantInts(size_t i) const {
  const Tensor* t = constantInput(i);
  if (!t || !(isInteger(t->dtype()))) return std::nullopt;
  std::vector<int64_t> out;
  for (int64_t k = 0; k < t->numElements(); ++k) out.push_back(t->scalarAsInt(k));
  return out;
}

void InferenceContext::setOutputType(size_t i, Type t) {
  if (Value* v = node_.output(i)) v->setType(std::move(t));
}

Status InferenceContext::error(std::string message) const {
  return Status::nodeError(node_.name(), node_.qualifiedOp(), std::move(message));
}

Status inferNodeShapes(Node& node) {
  const OpSchema* s = node.schema();
  if (!s || !s->inferShapes) return Status::ok();
  InferenceContext ctx(node);
  return s->inferShapes(ctx);
}

}  // namespace kiln
