#include "frontend/onnx/topo_sort.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <queue>
#include <unordered_map>

namespace kiln::onnx_frontend {
namespace {

using Nodes = google::protobuf::RepeatedPtrField<onnx::NodeProto>;

/// Names node `n` reads: its inputs and whatever its subgraphs capture.
std::vector<std::string> nodeUses(const onnx::NodeProto& n) {
  std::vector<std::string> uses;
  for (const auto& in : n.input())
    if (!in.empty()) uses.push_back(in);
  for (const auto& a : n.attribute()) {
    if (a.has_g())
      for (const auto& name : freeNames(a.g())) uses.push_back(name);
    for (const auto& g : a.graphs())
      for (const auto& name : freeNames(g)) uses.push_back(name);
  }
  return uses;
}

std::string quotedNode(const onnx::NodeProto& n, int i) { return "node '" + nodeLabel(n, i) + "'"; }

/// A predefined name (graph input, initializer, function input) and what defines it.
struct Predefined {
  std::string name;
  const char* kind;
};

Expected<std::vector<int>> sortNodes(const Nodes& nodes, const std::vector<Predefined>& predefined) {
  std::unordered_map<std::string, const char*> predefinedKind;
  for (const auto& p : predefined) {
    auto [it, fresh] = predefinedKind.emplace(p.name, p.kind);
    // An initializer that is also a graph input is that input's default value, not a duplicate.
    if (!fresh && it->second == p.kind) return Status::error("duplicate " + std::string(p.kind) + " '" + p.name + "'");
  }

  const int n = nodes.size();
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < n; ++i) {
    for (const auto& out : nodes.Get(i).output()) {
      if (out.empty()) continue;
      if (auto p = predefinedKind.find(out); p != predefinedKind.end())
        return Status::error("duplicate value name '" + out + "' (" + p->second + ", also produced by " +
                             quotedNode(nodes.Get(i), i) + ")");
      auto [it, fresh] = producer.emplace(out, i);
      if (!fresh)
        return Status::error("duplicate value name '" + out + "' (produced by " +
                             quotedNode(nodes.Get(it->second), it->second) + " and " + quotedNode(nodes.Get(i), i) +
                             ")");
    }
  }

  // Kahn's algorithm, always taking the lowest-numbered ready node: the file's order survives
  // wherever it is already topological.
  std::vector<std::vector<int>> deps(static_cast<size_t>(n));
  std::vector<std::vector<int>> users(static_cast<size_t>(n));
  std::vector<int> pending(static_cast<size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    for (const auto& name : nodeUses(nodes.Get(i))) {
      auto it = producer.find(name);
      // Names not produced here are graph inputs, initializers or captures of outer values.
      if (it == producer.end()) continue;
      deps[static_cast<size_t>(i)].push_back(it->second);
      users[static_cast<size_t>(it->second)].push_back(i);
      ++pending[static_cast<size_t>(i)];
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int i = 0; i < n; ++i)
    if (pending[static_cast<size_t>(i)] == 0) ready.push(i);
  std::vector<int> order;
  order.reserve(static_cast<size_t>(n));
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int u : users[static_cast<size_t>(i)])
      if (--pending[static_cast<size_t>(u)] == 0) ready.push(u);
  }
  if (static_cast<int>(order.size()) == n) return order;

  // Every node left waits on another node left. Walking waits from any of them must revisit a
  // node, and the first node revisited lies on a cycle.
  int start = 0;
  while (pending[static_cast<size_t>(start)] == 0) ++start;
  std::vector<bool> seen(static_cast<size_t>(n), false);
  int cur = start;
  while (!seen[static_cast<size_t>(cur)]) {
    seen[static_cast<size_t>(cur)] = true;
    for (int d : deps[static_cast<size_t>(cur)])
      if (pending[static_cast<size_t>(d)] > 0) {
        cur = d;
        break;
      }
  }
  const onnx::NodeProto& c = nodes.Get(cur);
  return Status::error("graph has a cycle through node '" + nodeLabel(c, cur) + "' (" + c.op_type() + ")");
}

}  // namespace

std::unordered_set<std::string> freeNames(const onnx::GraphProto& g) {
  std::unordered_set<std::string> defined, used;
  for (const auto& v : g.input()) defined.insert(v.name());
  for (const auto& t : g.initializer()) defined.insert(t.name());
  for (const auto& s : g.sparse_initializer()) defined.insert(s.values().name());
  for (const auto& node : g.node()) {
    for (const auto& out : node.output()) defined.insert(out);
    for (auto& name : nodeUses(node)) used.insert(std::move(name));
  }
  for (const auto& v : g.output()) used.insert(v.name());
  std::unordered_set<std::string> out;
  for (const auto& name : used)
    if (!defined.count(name)) out.insert(name);
  return out;
}

Expected<std::vector<int>> sortGraphNodes(const onnx::GraphProto& graph) {
  std::vector<Predefined> predefined;
  for (const auto& v : graph.input()) predefined.push_back({v.name(), "graph input"});
  for (const auto& t : graph.initializer()) predefined.push_back({t.name(), "initializer"});
  return sortNodes(graph.node(), predefined);
}

Expected<std::vector<int>> sortFunctionNodes(const onnx::FunctionProto& function) {
  std::vector<Predefined> predefined;
  for (const auto& name : function.input()) predefined.push_back({name, "function input"});
  return sortNodes(function.node(), predefined);
}

}  // namespace kiln::onnx_frontend
