#include "passes/rewriter.h"

#include <algorithm>
#include <functional>

namespace kiln {

Graph& Rewriter::rootOf(Graph& graph) {
  Graph* g = &graph;
  while (g->parentNode() && g->parentNode()->graph()) g = g->parentNode()->graph();
  return *g;
}

void Rewriter::resetNames() {
  namesRoot_ = nullptr;
  names_.clear();
}

void Rewriter::collectNames(Graph& root) {
  names_.clear();
  namesRoot_ = &root;
  std::function<void(const Graph&)> visit = [&](const Graph& g) {
    for (size_t i = 0; i < g.numInputs(); ++i) names_.insert(g.input(i)->name());
    for (const Node* n : g.nodes()) {
      for (size_t i = 0; i < n->numOutputs(); ++i)
        if (n->output(i)) names_.insert(n->output(i)->name());
      for (const Graph* sub : n->subgraphs()) visit(*sub);
    }
  };
  visit(root);
}

std::string Rewriter::freshName(Graph& graph, std::string_view hint) {
  Graph& root = rootOf(graph);
  if (namesRoot_ != &root) collectNames(root);
  std::string base(hint.empty() ? "v" : hint);
  std::string name = base;
  for (int k = 1; names_.count(name); ++k) name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

Node* Rewriter::createNode(Graph& graph, Node* insertBefore, std::string domain, std::string opType,
                           std::vector<Value*> inputs, const std::vector<std::string>& outputNames) {
  Node* n = graph.createNode(std::move(domain), std::move(opType), std::move(inputs), insertBefore);
  n->setSchema(registry_->lookup(n->domain(), n->opType()));
  for (const auto& name : outputNames) n->addOutput(name.empty() ? "" : freshName(graph, name));
  ++changes_;
  return n;
}

Value* Rewriter::createConstant(Graph& graph, Node* insertBefore, Tensor value, std::string_view nameHint) {
  Node* n = createNode(graph, insertBefore, "", "Constant", {}, {std::string(nameHint)});
  std::vector<Dim> dims(value.dims().begin(), value.dims().end());
  n->output(0)->setType(Type::tensor(value.dtype(), Shape(std::move(dims))));
  n->setAttr("value", Attribute(std::move(value)));
  return n->output(0);
}

namespace {

/// The graph-output uses of `v`, as (graph, index) pairs.
std::vector<Use> outputUses(const Value* v) {
  std::vector<Use> out;
  for (const Use& u : v->uses())
    if (u.isGraphOutput()) out.push_back(u);
  return out;
}

/// Whether `to` can take over the name of an output of `graph`: it is a node output of that
/// graph that no graph returns yet.
bool canCarryOutputName(const Value* to, const Graph* graph) {
  return to && to->producer() && to->producer()->graph() == graph && !to->isGraphOutput();
}

}  // namespace

bool Rewriter::needsIdentityToReplace(const Value* from, const Value* to) const {
  std::vector<Use> outs = outputUses(from);
  if (outs.empty()) return false;
  for (const Use& u : outs)
    if (u.graph != outs.front().graph || !canCarryOutputName(to, u.graph)) return true;
  return false;
}

void Rewriter::takeName(Value* to, Value* from) {
  if (to == from || to->name() == from->name()) return;
  std::string name = from->name();
  from->setName(name + ".replaced" + std::to_string(++deadCounter_));
  if (namesRoot_) names_.insert(from->name());
  to->setName(std::move(name));
  ++changes_;
}

void Rewriter::replaceAllUsesWith(Value* from, Value* to) {
  KILN_ASSERT(from && to && from != to);
  std::vector<Use> outs = outputUses(from);
  bool identity = needsIdentityToReplace(from, to);
  // Operand uses first: they never need renaming.
  std::vector<Use> uses = from->uses();
  for (const Use& u : uses)
    if (!u.isGraphOutput()) u.user->setInput(u.index, to);
  ++changes_;
  if (outs.empty()) return;

  if (!identity) {
    if (to->type().isUnknown()) to->setType(from->type());
    takeName(to, from);
    for (const Use& u : outs) u.graph->setOutput(u.index, to);
    return;
  }
  // One Identity per graph that returns `from`, named as the output was.
  std::string name = from->name();
  from->setName(name + ".replaced" + std::to_string(++deadCounter_));
  std::vector<std::pair<Graph*, Value*>> made;
  for (const Use& u : outs) {
    Value* carrier = nullptr;
    for (auto& [g, v] : made)
      if (g == u.graph) carrier = v;
    if (!carrier) {
      Node* id = u.graph->createNode("", "Identity", {to});
      id->setSchema(registry_->lookup("", "Identity"));
      carrier = id->addOutput(name, from->type().isUnknown() ? to->type() : from->type());
      made.emplace_back(u.graph, carrier);
    }
    u.graph->setOutput(u.index, carrier);
  }
}

void Rewriter::setInput(Node* node, size_t index, Value* value) {
  if (index < node->numInputs() && node->input(index) == value) return;
  while (node->numInputs() <= index) node->addInput(nullptr);
  node->setInput(index, value);
  ++changes_;
}

void Rewriter::setAttr(Node* node, std::string name, Attribute value) {
  if (const Attribute* old = node->attr(name); old && *old == value) return;
  node->setAttr(std::move(name), std::move(value));
  ++changes_;
}

void Rewriter::removeAttr(Node* node, std::string_view name) {
  if (node->attributes().erase(name)) ++changes_;
}

void Rewriter::setType(Value* value, Type type) {
  if (value->type() == type) return;
  value->setType(std::move(type));
  ++changes_;
}

void Rewriter::moveBefore(Node* node, Node* pos) {
  if (node->next() == pos) return;
  node->graph()->moveBefore(node, pos);
  ++changes_;
}

void Rewriter::eraseNode(Node* node) {
  for (size_t i = 0; i < node->numOutputs(); ++i) {
    const Value* v = node->output(i);
    if (v && v->hasUses()) {
      std::string what = "Rewriter::eraseNode: node '" + node->name() + "' (" + node->qualifiedOp() +
                         ") still has " + std::to_string(v->uses().size()) + " use(s) of output '" +
                         v->name() + "'";
      internalError(__FILE__, __LINE__, what.c_str());
    }
  }
  node->graph()->eraseNode(node);
  ++changes_;
}

}  // namespace kiln
