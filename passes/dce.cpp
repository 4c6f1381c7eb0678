// dce: removes nodes none of whose outputs is used, subgraphs included.
//
// Which nodes may go: every ONNX-domain and kiln-domain op (known to kiln or not) computes its
// outputs and nothing else, so an unused one is dead. Nodes of other domains without a kiln
// schema are opaque custom ops that may have effects kiln cannot see (a runtime's logging or
// stateful op), so they stay. Graph outputs are uses, so what a graph returns is never removed.

#include "passes/pass_context.h"
#include "passes/pass_utils.h"
#include "passes/passes.h"

namespace kiln {
namespace {

bool mayRemove(const Node& node, const PassContext& ctx) {
  const std::string& d = node.domain();
  return d.empty() || d == "ai.onnx" || d == "kiln" || ctx.schemaOf(node) != nullptr;
}

bool isDead(const Node& node) {
  for (size_t i = 0; i < node.numOutputs(); ++i)
    if (node.output(i) && node.output(i)->hasUses()) return false;
  return true;
}

class DcePass final : public Pass {
 public:
  DcePass() : Pass("dce", "Removes nodes whose outputs are unused (opaque custom-domain ops are kept).") {}

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    int64_t removed = sweep(graph, ctx);
    if (removed) ctx.stat(name(), "removed", removed);
    return removed > 0;
  }

 private:
  /// Back to front, so a chain of dead nodes goes in one sweep: erasing a user frees its
  /// producer, which comes earlier. A live node's subgraphs are swept when it is reached,
  /// which is before the nodes of this graph that their captures use.
  int64_t sweep(Graph& graph, PassContext& ctx) {
    int64_t removed = 0;
    for (Node* n = graph.nodes().back(); n;) {
      Node* prev = n->prev();
      if (isDead(*n) && mayRemove(*n, ctx)) {
        ctx.rewriter().eraseNode(n);
        ++removed;
      } else {
        for (Graph* sub : n->subgraphs()) removed += sweep(*sub, ctx);
      }
      n = prev;
    }
    return removed;
  }
};

}  // namespace

std::unique_ptr<Pass> createDcePass() { return std::make_unique<DcePass>(); }

}  // namespace kiln
