#include "backends/onnx/opset_adapt.h"

#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "backends/onnx/adapt_steps.h"
#include "ir/op_versions.h"
#include "ir/shape_inference.h"

namespace kiln::onnx_backend {
namespace {

/// One node's fate, before grouping into OpPlans.
struct Record {
  std::string op;
  OpPlan::Action action;
  std::string rule;
  std::string node;
  int lowestOpset = 0;
  std::string reason;
  const Node* where = nullptr;  ///< the blocked node, compared by address only
};

/// The table rows indexed by op.
struct Index {
  std::map<std::string, std::vector<const DownStep*>, std::less<>> steps;  ///< newest first
  std::map<std::string, const Expansion*, std::less<>> expansions;
};

const Index& index() {
  static const Index idx = [] {
    Index i;
    for (const auto& s : adaptTables().steps) i.steps[s.op].push_back(&s);
    for (auto& [op, list] : i.steps)
      std::stable_sort(list.begin(), list.end(), [](const DownStep* a, const DownStep* b) { return a->version > b->version; });
    for (const auto& e : adaptTables().expansions) i.expansions[e.op] = &e;
    return i;
  }();
  return idx;
}

class Adapter {
 public:
  Adapter(AdaptContext& ctx, std::vector<Record>& records) : ctx_(ctx), records_(records) {}

  void adaptGraph(Graph& g) {
    std::vector<Node*> snapshot(g.nodes().begin(), g.nodes().end());
    for (Node* n : snapshot) {
      // Bodies first: adapting the node itself may rebuild it.
      for (Graph* sub : n->subgraphs()) adaptGraph(*sub);
      if (!isDefaultDomain(n->domain())) {
        record({n->qualifiedOp(), OpPlan::Action::Unchanged, "", n->name()});
        continue;
      }
      ctx_.originName = n->name();
      ctx_.originOp = n->opType();
      adaptTop(n);
      while (!ctx_.pending.empty()) {
        PendingNode p = ctx_.pending.front();
        ctx_.pending.pop_front();
        ctx_.originName = p.originName;
        ctx_.originOp = p.originOp;
        std::vector<std::string> rules;
        std::string innerOp = p.node->opType();
        Outcome o = adaptNode(p.node, p.version, rules);
        if (o.isBlocked())
          record({p.originOp, OpPlan::Action::Blocked, join(rules), p.originName, o.lowestOpset,
                  "its replacement uses " + innerOp + ", which " + o.reason, p.node});
      }
    }
  }

 private:
  static std::string join(const std::vector<std::string>& rules) {
    std::string out;
    for (const auto& r : rules) out += (out.empty() ? "" : "+") + r;
    return out;
  }

  void record(Record r) { records_.push_back(std::move(r)); }

  void adaptTop(Node* node) {
    std::string op = node->opType(), name = node->name();
    std::vector<std::string> rules;
    bool expanded = false;
    Outcome o = adaptNode(node, canonicalVersion(op), rules, &expanded);
    if (o.isBlocked()) record({op, OpPlan::Action::Blocked, join(rules), name, o.lowestOpset, o.reason, node});
    else if (expanded) record({op, OpPlan::Action::Expanded, join(rules), name});
    else if (!rules.empty()) record({op, OpPlan::Action::Adapted, join(rules), name});
    else record({op, OpPlan::Action::Unchanged, "", name});
  }

  /// Walks `node` from the form of `from` down to the form of version `to` (exclusive).
  Outcome runSteps(Node*& node, int from, int to, std::vector<std::string>& rules, bool* expanded) {
    auto it = index().steps.find(node->opType());
    if (it == index().steps.end()) return Outcome::kept();
    bool changed = false;
    for (const DownStep* step : it->second) {
      if (step->version > from || step->version <= to) continue;
      Outcome o = step->fn(ctx_, node);
      if (o.kind == Outcome::Kind::Kept) continue;
      changed = true;
      rules.push_back(step->rule);
      if (o.isBlocked()) {
        if (o.lowestOpset == 0) o.lowestOpset = step->version;
        return o;
      }
      if (o.kind == Outcome::Kind::Expanded) {
        if (expanded) *expanded = true;
        return o;
      }
    }
    return changed ? Outcome::changed() : Outcome::kept();
  }

  Outcome adaptNode(Node*& node, int version, std::vector<std::string>& rules, bool* expanded = nullptr) {
    const int64_t target = ctx_.target;
    for (;;) {
      std::string op = node->opType();
      if (!isVersionedOp(op)) return Outcome::kept();
      int want = sinceVersionAt(op, target);
      if (want == version) return Outcome::kept();
      if (want != 0) return runSteps(node, version, want, rules, expanded);

      // The target has no form of this op at all.
      int first = firstVersion(op);
      auto e = index().expansions.find(op);
      if (e == index().expansions.end())
        return Outcome::blocked(first, "does not exist before opset " + std::to_string(first));
      const Expansion& x = *e->second;
      if (target < x.minOpset)
        return Outcome::blocked(std::min(first, x.minOpset), "does not exist before opset " + std::to_string(first) +
                                                                 " and its replacement needs opset " + std::to_string(x.minOpset));
      if (x.producesVersion == 0) {
        rules.push_back(x.rule);
        Outcome o = x.fn(ctx_, node);
        if (o.isBlocked() && o.lowestOpset == 0) o.lowestOpset = first;
        if (o.kind == Outcome::Kind::Expanded && expanded) *expanded = true;
        return o;
      }
      Outcome down = runSteps(node, version, 0, rules, expanded);
      if (down.isBlocked() || down.kind == Outcome::Kind::Expanded) return down;
      rules.push_back(x.rule);
      Outcome o = x.fn(ctx_, node);
      if (o.isBlocked()) {
        if (o.lowestOpset == 0) o.lowestOpset = first;
        return o;
      }
      version = x.producesVersion;  // now another op in an older form: keep walking it down
    }
  }

  AdaptContext& ctx_;
  std::vector<Record>& records_;
};

/// Erases what adapters left behind: Constants (and casts of them) whose values were turned
/// into attributes and that nothing else reads. Returns the erased nodes (by address): a cast
/// that was blocked on its own but whose only user absorbed it is no longer a problem.
std::unordered_set<const Node*> sweepDetached(std::vector<Value*> values) {
  std::unordered_set<const Node*> erased;
  while (!values.empty()) {
    std::vector<Node*> dead;
    for (Value* v : values) {
      Node* p = v ? v->producer() : nullptr;
      if (!p || !isDefaultDomain(p->domain()) || std::find(dead.begin(), dead.end(), p) != dead.end()) continue;
      if (p->opType() != "Constant" && p->opType() != "Cast" && p->opType() != "CastLike") continue;
      bool allUnused = true;
      for (size_t i = 0; i < p->numOutputs(); ++i) allUnused = allUnused && opset::unused(p->output(i));
      if (allUnused) dead.push_back(p);
    }
    values.clear();
    for (Node* p : dead) {
      for (Value* in : p->inputs()) values.push_back(in);
      erased.insert(p);
      p->graph()->eraseNode(p);
    }
  }
  return erased;
}

/// The parts of `known` that are missing, taken from `inferred`.
Type fillIn(const Type& known, const Type& inferred) {
  if (known.isUnknown()) return inferred;
  if (!known.isTensor() || !inferred.isTensor()) return known;
  DType dtype = known.dtype() != DType::Undefined ? known.dtype() : inferred.dtype();
  return Type::tensor(dtype, known.shape().isRanked() ? known.shape() : inferred.shape());
}

/// Calls `fn` on every value of `g`: inputs and node outputs, subgraphs included.
void forEachValue(Graph& g, const std::function<void(Value*)>& fn) {
  for (Value* v : g.inputs()) fn(v);
  for (Node* n : g.nodes()) {
    for (size_t i = 0; i < n->numOutputs(); ++i)
      if (n->output(i)) fn(n->output(i));
    for (Graph* sub : n->subgraphs()) forEachValue(*sub, fn);
  }
}

/// Several adapters need ranks or element types of intermediate values (Softmax's axis,
/// negative axes, the typed constants of expansions). Shape inference on a probe copy supplies
/// what the model's own types leave unknown, for the adapters only: the returned types are
/// put back afterwards (restoreTypes), because the emitter writes what the IR says. Best
/// effort: a value inference cannot type stays unknown and the adapter needing it says so.
struct SavedType {
  std::string name;
  Type type;
};
std::unordered_map<const Value*, SavedType> fillUnknownTypes(Graph& g) {
  std::unordered_map<const Value*, Value*> probeMap;
  std::unique_ptr<Graph> probe = g.clone(&probeMap);
  (void)inferShapes(*probe);
  std::unordered_map<const Value*, SavedType> saved;
  forEachValue(g, [&](Value* v) {
    auto it = probeMap.find(v);
    if (it == probeMap.end()) return;
    Type filled = fillIn(v->type(), it->second->type());
    if (filled == v->type()) return;
    saved[v] = {v->name(), v->type()};
    v->setType(std::move(filled));
  });
  return saved;
}

/// Puts back the types fillUnknownTypes replaced, on the values that are still there (a value
/// is recognized by address and name; adapters give new values fresh names).
void restoreTypes(Graph& g, const std::unordered_map<const Value*, SavedType>& saved) {
  forEachValue(g, [&](Value* v) {
    if (auto it = saved.find(v); it != saved.end() && it->second.name == v->name()) v->setType(it->second.type);
  });
}

/// Adapts a copy of the model; returns the per-node records and the adapted parts.
struct Trial {
  std::unique_ptr<Graph> graph;
  std::vector<std::unique_ptr<Graph>> functionBodies;
  std::vector<Record> records;
};

Trial runTrial(const Model& model, int64_t target) {
  Trial t;
  opset::NameGen names(model);
  AdaptContext ctx{names, target};
  Adapter adapter(ctx, t.records);
  t.graph = model.graph->clone();
  auto savedTypes = fillUnknownTypes(*t.graph);
  adapter.adaptGraph(*t.graph);
  for (const auto& f : model.functions) {
    t.functionBodies.push_back(f.body ? f.body->clone() : nullptr);
    if (t.functionBodies.back()) adapter.adaptGraph(*t.functionBodies.back());
  }
  auto erased = sweepDetached(ctx.detached);
  restoreTypes(*t.graph, savedTypes);
  std::erase_if(t.records, [&](const Record& r) { return r.where && erased.count(r.where) != 0; });
  return t;
}

Status checkTarget(int64_t target) {
  if (target < kMinOpset || target > kCanonicalOpset)
    return Status::error("kiln writes default-domain opsets " + std::to_string(kMinOpset) + ".." +
                         std::to_string(kCanonicalOpset) + ", not " + std::to_string(target));
  return Status::ok();
}

}  // namespace

std::vector<OpPlan> planOpsetAdaptation(const Model& model, int64_t target) {
  if (!checkTarget(target).isOk()) return {};
  Trial t = runTrial(model, target);
  std::vector<OpPlan> plans;
  for (const Record& r : t.records) {
    auto it = std::find_if(plans.begin(), plans.end(), [&](const OpPlan& p) {
      return p.op == r.op && p.action == r.action && p.rule == r.rule && p.lowestOpset == r.lowestOpset;
    });
    if (it == plans.end()) {
      plans.push_back({.op = r.op, .action = r.action, .rule = r.rule, .lowestOpset = r.lowestOpset, .reason = r.reason});
      it = plans.end() - 1;
    }
    it->nodes.push_back(r.node);
  }
  return plans;
}

Status adaptToOpset(Model& model, int64_t target) {
  KILN_RETURN_IF_ERROR(checkTarget(target).inFile(model.sourcePath));
  Trial t = runTrial(model, target);
  std::vector<const Record*> blocked;
  for (const Record& r : t.records)
    if (r.action == OpPlan::Action::Blocked) blocked.push_back(&r);
  if (!blocked.empty()) {
    Diagnostic d{.file = model.sourcePath};
    if (blocked.size() == 1) {
      d.node = blocked[0]->node;
      d.op = blocked[0]->op;
      d.message = "cannot be written at opset " + std::to_string(target) + ": " + blocked[0]->reason +
                  " (lowest opset that expresses it: " + std::to_string(blocked[0]->lowestOpset) + ")";
    } else {
      d.message = std::to_string(blocked.size()) + " nodes cannot be written at opset " + std::to_string(target) + ":";
      for (const Record* r : blocked)
        d.message += " node '" + r->node + "' (" + r->op + ") needs opset " + std::to_string(r->lowestOpset) + ": " +
                     r->reason + ";";
      d.message.pop_back();
    }
    return d;
  }
  model.graph = std::move(t.graph);
  for (size_t i = 0; i < model.functions.size(); ++i) {
    if (t.functionBodies[i]) model.functions[i].body = std::move(t.functionBodies[i]);
    for (auto& o : model.functions[i].opsets)
      if (isDefaultDomain(o.domain)) o.version = target;
  }
  std::erase_if(model.opsets, [](const OpsetImport& o) { return o.domain == "ai.onnx"; });
  model.setOpsetVersion("", target);
  return Status::ok();
}

}  // namespace kiln::onnx_backend
