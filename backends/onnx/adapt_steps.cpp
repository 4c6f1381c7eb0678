#include "backends/onnx/adapt_steps.h"

#include <algorithm>

#include "ir/op_versions.h"

namespace kiln::onnx_backend {

PendingBuilder::~PendingBuilder() {
  for (Node* n : created()) ctx_.pending.push_back({n, canonicalVersion(n->opType()), ctx_.originName, ctx_.originOp});
}

const AdaptTables& adaptTables() {
  static const AdaptTables tables = [] {
    AdaptTables t;
    for (auto add : {addElementwiseAdapters, addActivationAdapters, addNormalizationAdapters, addShapeAdapters,
                     addReduceAdapters, addNnAdapters, addResizeAdapters})
      add(t);
    return t;
  }();
  return tables;
}

void setInputAt(Node* node, size_t index, Value* v) {
  while (node->numInputs() <= index) node->addInput(nullptr);
  node->setInput(index, v);
}

void trimTrailingNulls(Node* node) {
  size_t n = node->numInputs();
  while (n > 0 && !node->input(n - 1)) --n;
  node->truncateInputs(n);
}

Outcome inputToIntsAttr(AdaptContext& ctx, Node* node, size_t index, std::string_view name, int version) {
  Value* v = node->input(index);
  if (!v) return Outcome::kept();
  auto values = opset::constantInts(v);
  if (!values)
    return Outcome::blocked(version, "input '" + std::string(name) + "' is computed, and before opset " +
                                         std::to_string(version) + " it must be a constant attribute");
  node->setAttr(std::string(name), Attribute(*values));
  node->setInput(index, nullptr);
  trimTrailingNulls(node);
  ctx.detached.push_back(v);
  return Outcome::changed();
}

AdaptFn dropAttrIfDefault(std::string name, Attribute defaultValue, int version) {
  return [name, defaultValue, version](AdaptContext&, Node*& node) {
    const Attribute* a = opset::rawAttr(*node, name);
    if (!a) return Outcome::kept();
    if (!(*a == defaultValue))
      return Outcome::blocked(version, "attribute '" + name + "' has a non-default value, which needs opset " +
                                           std::to_string(version));
    node->attributes().erase(name);
    return Outcome::changed();
  };
}

AdaptFn normalizeNegativeAxes(std::string name, int version, bool addAxesCount) {
  return [name, version, addAxesCount](AdaptContext&, Node*& node) {
    const Attribute* a = opset::rawAttr(*node, name);
    if (!a || !(a->kind() == AttrKind::Int || a->kind() == AttrKind::Ints)) return Outcome::kept();
    std::vector<int64_t> axes = a->kind() == AttrKind::Int ? std::vector<int64_t>{a->i()} : a->ints();
    if (std::none_of(axes.begin(), axes.end(), [](int64_t x) { return x < 0; })) return Outcome::kept();
    auto rank = opset::knownRank(node->input(0));
    if (!rank)
      return Outcome::blocked(version, "negative '" + name + "' needs the input rank before opset " + std::to_string(version));
    int64_t r = *rank + (addAxesCount ? static_cast<int64_t>(axes.size()) : 0);
    for (int64_t& x : axes)
      if (x < 0) x += r;
    // Axes lists are sets; ONNX's opset-1 Squeeze/Unsqueeze shape inference expects them sorted.
    std::sort(axes.begin(), axes.end());
    if (a->kind() == AttrKind::Int) node->setAttr(name, Attribute(axes[0]));
    else node->setAttr(name, Attribute(axes));
    return Outcome::changed();
  };
}

}  // namespace kiln::onnx_backend
