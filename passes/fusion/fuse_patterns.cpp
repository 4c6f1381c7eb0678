// fuse-patterns: the greedy rewrite driver. It sweeps every graph from the last node to the
// first (so the largest pattern, whose root comes last, gets the first pick), tries the
// patterns whose root op matches in benefit order, applies the first that matches, and repeats
// sweeps until one changes nothing. Near misses of that final sweep become remarks
// (--explain-fusion): which condition failed at which node.

#include <algorithm>
#include <set>
#include <sstream>
#include <unordered_set>

#include "ir/op_registry.h"
#include "passes/fusion/pattern.h"
#include "passes/pass_context.h"
#include "passes/pass_utils.h"
#include "passes/passes.h"

namespace kiln {
namespace {

using fusion::FusionPattern;
using fusion::Match;
using fusion::NearMiss;

/// Qualified op names a pattern's root can have.
void rootOps(const fusion::PatNode& p, std::set<std::string>& out) {
  if (p.kind == fusion::PatNode::Kind::Op) out.insert(p.domain.empty() ? p.opType : p.domain + "." + p.opType);
  if (p.kind == fusion::PatNode::Kind::OneOf)
    for (const auto& alt : p.operands) rootOps(*alt, out);
}

std::string describe(const Node* n) { return n ? "node '" + nodeLabel(*n) + "' (" + n->qualifiedOp() + ")" : "?"; }

class FusePatternsPass final : public Pass {
 public:
  FusePatternsPass() : Pass("fuse-patterns", "Fuses op patterns (GELU, LayerNorm, attention, Conv+activation, ...) into single ops.") {
    addOption("only", &only_, "comma-separated pattern names to try (empty: all)");
    addOption("max-sweeps", &maxSweeps_, "sweeps over the graph before giving up on a fixpoint");
  }

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    std::vector<const FusionPattern*> patterns = selected();
    std::vector<std::set<std::string>> roots(patterns.size());
    for (size_t i = 0; i < patterns.size(); ++i)
      for (const auto& r : patterns[i]->roots) rootOps(*r, roots[i]);

    bool any = false;
    for (int64_t sweep = 0; sweep < maxSweeps_; ++sweep) {
      bool changed = false;
      std::vector<std::string> misses;
      KILN_RETURN_IF_ERROR(forEachGraph(graph, [&](Graph& g) {
        std::vector<Node*> order(g.nodes().begin(), g.nodes().end());
        std::unordered_set<Node*> erased;
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
          Node* n = *it;
          if (erased.count(n)) continue;
          std::string op = n->qualifiedOp();
          NearMiss best;
          const FusionPattern* bestPattern = nullptr;
          for (size_t i = 0; i < patterns.size(); ++i) {
            if (!roots[i].count(op)) continue;
            NearMiss miss;
            std::optional<Match> m = fusion::matchPattern(*patterns[i], n, &miss);
            if (m && apply(*patterns[i], *m, ctx, erased)) {
              ctx.stat(name(), patterns[i]->name);
              changed = true;
              bestPattern = nullptr;
              break;
            }
            if (miss.depth >= 2 && (!bestPattern || miss.depth > best.depth)) best = miss, bestPattern = patterns[i];
          }
          if (bestPattern)
            misses.push_back("near miss: pattern '" + bestPattern->name + "' rooted at " + describe(n) +
                             ": condition '" + best.condition + "' failed at " + describe(best.at));
        }
        return Status::ok();
      }));
      any |= changed;
      if (!changed) {
        if (ctx.remarksEnabled())
          for (auto& m : misses) ctx.remark(name() + ": " + m);
        break;
      }
    }
    return any;
  }

 private:
  std::vector<const FusionPattern*> selected() const {
    std::vector<std::string> names;
    std::stringstream ss(only_);
    for (std::string s; std::getline(ss, s, ',');)
      if (!s.empty()) names.push_back(s);
    std::vector<const FusionPattern*> out;
    for (const FusionPattern& p : fusion::allPatterns())
      if (names.empty() || std::find(names.begin(), names.end(), p.name) != names.end()) out.push_back(&p);
    return out;
  }

  static bool apply(const FusionPattern& p, const Match& m, PassContext& ctx, std::unordered_set<Node*>& erased) {
    Rewriter& rw = ctx.rewriter();
    Node* root = m.root();
    Value* old = root->output(0);
    Value* repl = p.build(m, rw);
    if (!repl) return false;
    if (Node* made = repl->producer()) {
      Location loc;
      loc.file = root->location().file;
      loc.name = root->location().name.empty() ? root->name() : root->location().name;
      for (auto it = m.nodes().rbegin(); it != m.nodes().rend(); ++it) {
        const Node* n = *it;
        std::string from = n->location().name.empty() ? n->name() : n->location().name;
        for (const auto& f : n->location().fusedFrom) loc.fusedFrom.push_back(f);
        if (!from.empty()) loc.fusedFrom.push_back(from);
      }
      made->location() = std::move(loc);
      if (made->name().empty()) made->setName(root->name());
    }
    if (repl->type().isUnknown()) repl->setType(old->type());
    bool wasOutput = old->isGraphOutput();
    rw.replaceAllUsesWith(old, repl);
    if (!wasOutput) rw.takeName(repl, old);
    // Erase the matched nodes users first; interior values have no uses outside the match.
    std::vector<Node*> left(m.nodes().begin(), m.nodes().end());
    for (bool progress = true; progress && !left.empty();) {
      progress = false;
      for (auto it = left.begin(); it != left.end();) {
        bool dead = true;
        for (size_t o = 0; o < (*it)->numOutputs(); ++o)
          if ((*it)->output(o) && (*it)->output(o)->hasUses()) dead = false;
        if (!dead) { ++it; continue; }
        erased.insert(*it);
        rw.eraseNode(*it);
        it = left.erase(it);
        progress = true;
      }
    }
    return true;
  }

  std::string only_;
  int64_t maxSweeps_ = 16;
};

}  // namespace

std::unique_ptr<Pass> createFusePatternsPass() { return std::make_unique<FusePatternsPass>(); }

}  // namespace kiln
