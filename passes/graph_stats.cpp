#include "passes/graph_stats.h"

namespace kiln {
namespace {

uint64_t nodeConstantBytes(const Node& n) {
  if (!n.domain().empty() || n.opType() != "Constant") return 0;
  const Attribute* a = n.attr("value");
  return a && a->kind() == AttrKind::Tensor ? a->t().byteSize() : 0;
}

uint64_t defaultBytes(const Graph& g) {
  uint64_t total = 0;
  for (const auto& [v, t] : g.inputDefaults()) total += t.byteSize();
  return total;
}

}  // namespace

uint64_t constantBytes(const Graph& graph) {
  uint64_t total = defaultBytes(graph);
  graph.walk([&](Node* n) {
    total += nodeConstantBytes(*n);
    for (const Graph* sub : n->subgraphs()) total += defaultBytes(*sub);
  });
  return total;
}

GraphSummary summarizeGraph(const Graph& graph) {
  GraphSummary s;
  s.constantBytes = defaultBytes(graph);
  graph.walk([&](Node* n) {
    ++s.nodes;
    ++s.opCounts[n->qualifiedOp()];
    s.constantBytes += nodeConstantBytes(*n);
    for (const Graph* sub : n->subgraphs()) s.constantBytes += defaultBytes(*sub);
  });
  return s;
}

}  // namespace kiln
