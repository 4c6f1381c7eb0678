// group-elementwise: maximal groups of elementwise ops become one kiln.FusedElementwise node
// whose `body` attribute holds the group as a small graph: the unit a native backend compiles
// into one loop over the output (no intermediate tensors).
//
// A group grows backwards from a root (the last node of the group): an elementwise producer
// joins when every use of its output is inside the group. So only the root's value leaves the
// group, which also makes the group convex: no path leaves it and comes back. Groups of one
// node are left alone. For ONNX output the group is expanded back into the same nodes, so the
// pass pays only for native code (docs/fusion.md).

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "ir/op_registry.h"
#include "passes/pass_context.h"
#include "passes/pass_utils.h"
#include "passes/passes.h"

namespace kiln {
namespace {

bool groupable(const Node& n, const PassContext& ctx) {
  const OpSchema* s = ctx.schemaOf(n);
  if (!s || !s->has(OpTrait::Elementwise) || !s->has(OpTrait::Pure)) return false;
  if (n.numOutputs() != 1 || !n.output(0) || !n.subgraphs().empty()) return false;
  const Value* out = n.output(0);
  if (!out->type().isTensor() || !isFloat(out->dtype())) return false;
  for (const Value* in : n.inputs())
    if (!in || !in->type().isTensor()) return false;
  return true;
}

class GroupElementwisePass final : public Pass {
 public:
  GroupElementwisePass()
      : Pass("group-elementwise", "Groups connected elementwise ops into kiln.FusedElementwise nodes (one loop each).") {
    addOption("min-size", &minSize_, "smallest group worth a fused node");
  }

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    int64_t groups = 0, nodes = 0;
    // Only the top-level graph: bodies of If/Loop are left for now, and fused bodies must not nest.
    std::vector<Node*> order(graph.nodes().begin(), graph.nodes().end());
    std::unordered_set<Node*> taken;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      Node* root = *it;
      if (taken.count(root) || !groupable(*root, ctx)) continue;
      std::vector<Node*> group = collect(root, ctx, taken);
      if (static_cast<int64_t>(group.size()) < minSize_) continue;
      for (Node* n : group) taken.insert(n);
      build(graph, root, group, ctx);
      ++groups;
      nodes += static_cast<int64_t>(group.size());
    }
    if (groups) {
      ctx.stat(name(), "groups", groups);
      ctx.stat(name(), "grouped-nodes", nodes);
    }
    return groups > 0;
  }

 private:
  /// The group rooted at `root`, in graph order.
  std::vector<Node*> collect(Node* root, const PassContext& ctx, const std::unordered_set<Node*>& taken) {
    std::unordered_set<Node*> in = {root};
    std::vector<Node*> work = {root};
    while (!work.empty()) {
      Node* n = work.back();
      work.pop_back();
      for (Value* v : n->inputs()) {
        Node* p = v->producer();
        if (!p || in.count(p) || taken.count(p) || p->graph() != root->graph() || !groupable(*p, ctx)) continue;
        if (v->isGraphOutput()) continue;
        bool inside = std::all_of(v->uses().begin(), v->uses().end(),
                                  [&](const Use& u) { return u.user && in.count(u.user); });
        if (!inside) continue;
        in.insert(p);
        work.push_back(p);
      }
    }
    std::vector<Node*> group;
    for (Node* n : root->graph()->nodes())
      if (in.count(n)) group.push_back(n);
    return group;
  }

  void build(Graph& graph, Node* root, const std::vector<Node*>& group, PassContext& ctx) {
    Rewriter& rw = ctx.rewriter();
    std::unordered_set<const Node*> members(group.begin(), group.end());
    auto body = std::make_unique<Graph>("fused");
    std::unordered_map<const Value*, Value*> map;
    std::vector<Value*> outerInputs;
    Location loc = root->location();
    loc.fusedFrom.clear();
    for (Node* n : group) {
      std::vector<Value*> ins;
      for (Value* v : n->inputs()) {
        auto found = map.find(v);
        if (found == map.end()) {
          Value* bodyIn = body->addInput(rw.freshName(graph, v->name() + "_in"), v->type());
          outerInputs.push_back(v);
          found = map.emplace(v, bodyIn).first;
        }
        ins.push_back(found->second);
      }
      Node* c = body->createNode(n->domain(), n->opType(), ins);
      c->setSchema(n->schema());
      c->setName(n->name());
      for (const auto& [name, a] : n->attributes()) c->setAttr(name, a);
      // Value names are unique across the model, bodies included.
      map[n->output(0)] = c->addOutput(rw.freshName(graph, n->output(0)->name()), n->output(0)->type());
      std::string from = n->location().name.empty() ? n->name() : n->location().name;
      if (!from.empty()) loc.fusedFrom.push_back(std::move(from));
    }
    body->addOutput(map[root->output(0)]);
    Node* fused = rw.createNode(graph, root, "kiln", "FusedElementwise", outerInputs, {root->output(0)->name() + "_group"});
    rw.setAttr(fused, "body", Attribute(std::move(body)));
    fused->output(0)->setType(root->output(0)->type());
    fused->setName(root->name());
    fused->location() = std::move(loc);
    Value* old = root->output(0);
    bool wasOutput = old->isGraphOutput();
    rw.replaceAllUsesWith(old, fused->output(0));
    if (!wasOutput) rw.takeName(fused->output(0), old);
    for (auto it = group.rbegin(); it != group.rend(); ++it) rw.eraseNode(*it);
  }

  int64_t minSize_ = 2;
};

}  // namespace

std::unique_ptr<Pass> createGroupElementwisePass() { return std::make_unique<GroupElementwisePass>(); }

}  // namespace kiln
