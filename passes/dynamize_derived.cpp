#include "passes/dynamize_derived.h"

#include <functional>
#include <queue>
#include <set>

#include "passes/dynamize_rules.h"

namespace kiln {
namespace {

/// Every top-level value's dims with the symbols bound to their traced sizes: the graph is
/// inferred once with static inputs, then the inputs get their symbolic types back.
std::unordered_map<const Value*, std::vector<Dim>> tracedShapes(Graph& graph, const DynamizeState& st) {
  std::unordered_map<const Value*, std::vector<Dim>> out;
  std::vector<Type> symbolic;
  for (size_t i = 0; i < graph.numInputs(); ++i) {
    Value* in = graph.input(i);
    symbolic.push_back(in->type());
    const auto* dims = dimsOf(in);
    if (!dims) continue;
    std::vector<Dim> fixed = *dims;
    for (Dim& d : fixed)
      if (auto t = st.traced(d); t && !d.isStatic()) d = Dim(*t);
    in->setType(Type::tensor(in->dtype(), Shape(std::move(fixed))));
  }
  ShapeInferenceSession session(ShapeInferenceOptions{.refineExisting = false});
  if (session.inferGraph(graph)) {
    for (Node* n : graph.nodes())
      for (size_t i = 0; i < n->numOutputs(); ++i)
        if (const auto* dims = dimsOf(n->output(i))) out.emplace(n->output(i), *dims);
  }
  for (size_t i = 0; i < graph.numInputs(); ++i) graph.input(i)->setType(symbolic[i]);
  return out;
}

std::string sanitized(const std::string& name) {
  std::string s;
  for (char c : name) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (word) s += c;
    else if (!s.empty() && s.back() != '_') s += '_';
  }
  while (!s.empty() && s.back() == '_') s.pop_back();
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) s = "v" + s;
  return s;
}

/// Producers in `graph` of what `n` reads: its operands, and the outer values its subgraphs use.
void collectDeps(const Node& n, const Graph& graph, std::vector<const Node*>& deps) {
  for (const Value* v : n.inputs())
    if (v && v->producer() && v->producer()->graph() == &graph) deps.push_back(v->producer());
  for (const Graph* body : n.subgraphs())
    for (const Node* inner : body->nodes()) collectDeps(*inner, graph, deps);
}

}  // namespace

std::string DerivedSizes::nameFor(const Value* v, size_t axis) {
  std::string key = v->name() + "#" + std::to_string(axis);
  auto it = names_.find(key);
  if (it != names_.end()) return it->second;
  std::string base = sanitized(v->name()) + "_" + std::to_string(axis);
  int n = taken_[base]++;
  return names_[key] = n ? base + "_" + std::to_string(n) : base;
}

Status DerivedSizes::infer(Graph& graph, DynamizeState& st, ShapeInferenceSession& session) {
  auto traced = tracedShapes(graph, st);
  for (Node* n : graph.nodes()) {
    KILN_RETURN_IF_ERROR(session.inferNode(*n));
    for (size_t i = 0; i < n->numOutputs(); ++i) {
      Value* v = n->output(i);
      const auto* dims = dimsOf(v);
      auto t = traced.find(v);
      if (!dims || t == traced.end() || t->second.size() != dims->size()) continue;
      std::vector<Dim> next = *dims;
      bool changed = false;
      for (size_t k = 0; k < next.size(); ++k) {
        if (!next[k].isUnknown() || !t->second[k].isStatic()) continue;
        std::string symbol = nameFor(v, k);
        st.addSymbol(symbol, t->second[k].value());
        st.builder().addSource(symbol, SymbolSource{v, static_cast<int64_t>(k)});
        next[k] = Dim::symbol(symbol);
        changed = true;
      }
      if (changed) v->setType(Type::tensor(v->dtype(), Shape(std::move(next))));
    }
  }
  return Status::ok();
}

void orderTopologically(Graph& graph, Rewriter& rw) {
  std::vector<Node*> nodes(graph.nodes().begin(), graph.nodes().end());
  std::unordered_map<const Node*, size_t> index;
  for (size_t i = 0; i < nodes.size(); ++i) index[nodes[i]] = i;
  std::vector<std::vector<size_t>> users(nodes.size());
  std::vector<size_t> pending(nodes.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::vector<const Node*> deps;
    collectDeps(*nodes[i], graph, deps);
    std::set<size_t> unique;
    for (const Node* d : deps)
      if (d != nodes[i]) unique.insert(index.at(d));
    for (size_t d : unique) users[d].push_back(i);
    pending[i] = unique.size();
  }
  // Kahn's algorithm, taking the earliest ready node: the current order survives where valid.
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (!pending[i]) ready.push(i);
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t u : users[i])
      if (--pending[u] == 0) ready.push(u);
  }
  if (order.size() != nodes.size()) return;  // a cycle: leave it for the verifier to report
  bool sorted = true;
  for (size_t i = 0; i < order.size(); ++i) sorted = sorted && order[i] == i;
  if (sorted) return;
  for (size_t i : order) rw.moveBefore(nodes[i], nullptr);
}

}  // namespace kiln
