#include "passes/dynamize_rules.h"
#include "passes/pass_utils.h"

#include <set>

namespace kiln {

std::string scopedNodeLabel(const Node& node) {
  const Graph* g = node.graph();
  const Node* parent = g ? g->parentNode() : nullptr;
  if (!parent) return nodeLabel(node);
  std::string attr = g->name();
  for (const auto& [name, a] : parent->attributes()) {
    if (a.kind() == AttrKind::Graph && &a.g() == g) attr = name;
    if (a.kind() == AttrKind::Graphs)
      for (size_t i = 0; i < a.graphs().size(); ++i)
        if (a.graphs()[i].get() == g) attr = name + "[" + std::to_string(i) + "]";
  }
  std::string label = nodeLabel(node);
  // Exported names are scope paths already (`/If`, `/Reshape`): one slash between the parts.
  return scopedNodeLabel(*parent) + "/" + attr + (label.starts_with("/") ? "" : "/") + label;
}

std::optional<int64_t> DynamizeState::traced(const Dim& d) const {
  if (d.isStatic()) return d.value();
  if (d.isUnknown()) return std::nullopt;
  int64_t sum = 0;
  for (const auto& term : d.expr()->terms()) {
    int64_t p = term.coeff;
    for (const auto& s : term.symbols) {
      auto it = traced_.find(s);
      if (it == traced_.end()) return std::nullopt;
      p *= it->second;
    }
    sum += p;
  }
  return sum;
}

std::optional<std::vector<Dim>> DynamizeState::contents(const Value* v) const {
  if (!v) return std::nullopt;
  if (session_)
    if (const auto* dims = session_->shapeValue(v)) return *dims;
  auto ints = constantInts(v);
  if (!ints) return std::nullopt;
  return std::vector<Dim>(ints->begin(), ints->end());
}

void DynamizeState::replaceOperand(Node* node, size_t index, Value* value) {
  Value* old = node->input(index);
  rw_.setInput(node, index, value);
  if (builder_.isBuilt(node)) builder_.moveToEnd(node);
  if (old) eraseIfDead(old->producer());
}

void DynamizeState::replaceValue(Value* from, Value* to) {
  rw_.replaceAllUsesWith(from, to);
  if (!to->isGraphOutput()) rw_.takeName(to, from);  // the replacement reads best under the old name
  eraseIfDead(from->producer());
}

void DynamizeState::eraseIfDead(Node* first) {
  // A worklist with an erased set: a producer may be reached twice (shared by two operands).
  std::vector<Node*> work{first};
  std::set<const Node*> erased;
  while (!work.empty()) {
    Node* node = work.back();
    work.pop_back();
    if (!node || erased.count(node) || builder_.isBuilt(node)) continue;  // body nodes too
    bool used = false;
    for (size_t i = 0; i < node->numOutputs(); ++i) used = used || (node->output(i) && node->output(i)->hasUses());
    const OpSchema* schema = node->schema();
    if (used || !schema || !schema->has(OpTrait::Pure) || !node->subgraphs().empty()) continue;
    for (Value* v : node->inputs())
      if (v && v->producer()) work.push_back(v->producer());
    erased.insert(node);
    rw_.eraseNode(node);
  }
}

}  // namespace kiln
