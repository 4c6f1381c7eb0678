// shape-infer: runs the graph-level symbolic shape inference (ir/shape_inference.h) as a pass.
// Types are rewritten in place by the inference driver, not through the Rewriter, so the pass
// compares every type before and after and reports the change itself.

#include <functional>

#include "ir/shape_inference.h"
#include "passes/pass_context.h"
#include "passes/passes.h"

namespace kiln {
namespace {

/// Every value of the graph and its subgraphs with its type, in a fixed order.
std::vector<std::pair<const Value*, Type>> snapshotTypes(const Graph& graph) {
  std::vector<std::pair<const Value*, Type>> out;
  std::function<void(const Graph&)> visit = [&](const Graph& g) {
    for (size_t i = 0; i < g.numInputs(); ++i) out.emplace_back(g.input(i), g.input(i)->type());
    for (const Node* n : g.nodes()) {
      for (size_t i = 0; i < n->numOutputs(); ++i)
        if (const Value* v = n->output(i)) out.emplace_back(v, v->type());
      for (const Graph* sub : n->subgraphs()) visit(*sub);
    }
  };
  visit(graph);
  return out;
}

class ShapeInferPass final : public Pass {
 public:
  ShapeInferPass() : Pass("shape-infer", "Infers symbolic types of every value, subgraphs included.") {
    addOption("refine-existing", &refineExisting_,
              "keep what existing types know where inference knows less (off: recompute from the inputs)");
  }

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    auto before = snapshotTypes(graph);
    ShapeInferenceOptions o;
    o.refineExisting = refineExisting_;
    KILN_RETURN_IF_ERROR(inferShapes(graph, o));
    auto after = snapshotTypes(graph);
    // Inference adds no values and removes none, so the snapshots line up one to one.
    bool changed = before.size() != after.size();
    for (size_t i = 0; !changed && i < before.size(); ++i) changed = !(before[i].second == after[i].second);
    int64_t refined = 0;
    for (size_t i = 0; i < before.size() && i < after.size(); ++i)
      if (!(before[i].second == after[i].second)) ++refined;
    if (refined) ctx.stat(name(), "types-changed", refined);
    if (changed) ctx.rewriter().noteChange();
    return changed;
  }

 private:
  bool refineExisting_ = true;
};

}  // namespace

std::unique_ptr<Pass> createShapeInferPass() { return std::make_unique<ShapeInferPass>(); }

}  // namespace kiln
