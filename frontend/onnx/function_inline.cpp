#include "frontend/onnx/function_inline.h"

#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "frontend/onnx/attribute_import.h"

namespace kiln::onnx_frontend {
namespace {

/// Deeper than this, a chain of calls is taken for recursion (ONNX functions may not recurse).
constexpr int kMaxInlineDepth = 64;

class Inliner {
 public:
  Inliner(Model& model, const FunctionDefaults& defaults) : model_(model), defaults_(defaults) {
    for (auto& f : model.functions) functions_[{normalizeDomain(f.domain), f.name}] = &f;
  }

  Status inlineGraph(Graph& g, int depth) {
    // Erasing the current node is safe; copies land before it and are handled by inlineCall.
    for (Node* n : g.nodes()) KILN_RETURN_IF_ERROR(inlineNode(g, n, depth));
    return Status::ok();
  }

 private:
  Status inlineNode(Graph& g, Node* n, int depth) {
    for (Graph* sub : n->subgraphs()) KILN_RETURN_IF_ERROR(inlineGraph(*sub, depth));
    auto it = functions_.find({n->domain(), n->opType()});
    if (it == functions_.end()) return Status::ok();
    return inlineCall(g, n, *it->second, depth);
  }

  /// The value a body attribute takes at this call: itself, or for a reference the call's
  /// attribute, else the function's default; nullopt when neither exists (the attribute is
  /// then absent, as ONNX specifies).
  std::optional<Attribute> resolve(const Attribute& a, const Node& call, const Function& fn) const {
    const std::string& ref = a.refAttrName();
    if (ref.empty()) return a;
    if (const Attribute* given = call.attr(ref)) return *given;
    if (auto d = defaults_.find({normalizeDomain(fn.domain), fn.name}); d != defaults_.end())
      for (const auto& [name, value] : d->second)
        if (name == ref) return value;
    return std::nullopt;
  }

  /// Resolves the references left in a copied node (and in the subgraphs it holds).
  Status resolveRefs(Node& node, const Node& call, const Function& fn) {
    std::vector<std::string> refs;
    for (const auto& [name, a] : node.attributes())
      if (!a.refAttrName().empty()) refs.push_back(name);
    for (const auto& name : refs) {
      std::optional<Attribute> v = resolve(*node.attr(name), call, fn);
      if (v) node.setAttr(name, std::move(*v));
      else node.attributes().erase(name);
    }
    if (node.domain().empty() && node.opType() == "Constant") KILN_RETURN_IF_ERROR(canonicalizeConstant(node));
    for (Graph* sub : node.subgraphs())
      for (Node* inner : sub->nodes()) KILN_RETURN_IF_ERROR(resolveRefs(*inner, call, fn));
    return Status::ok();
  }

  Status inlineCall(Graph& g, Node* call, const Function& fn, int depth) {
    auto fail = [&](std::string message) { return Status::nodeError(call->name(), call->opType(), std::move(message)); };
    if (depth >= kMaxInlineDepth)
      return fail("function '" + fn.name + "' calls itself recursively (inlining went " +
                  std::to_string(kMaxInlineDepth) + " calls deep)");
    for (const auto& imp : fn.opsets) {
      std::optional<int64_t> mine = model_.opsetVersion(imp.domain);
      if (!mine) model_.setOpsetVersion(imp.domain, imp.version);
      else if (*mine != imp.version)
        return fail("function '" + fn.name + "' imports opset " + std::to_string(imp.version) + " of '" +
                    displayDomain(imp.domain) + "' but the model imports " + std::to_string(*mine) +
                    ": cannot inline it");
    }

    std::unordered_map<const Value*, Value*> map;
    for (size_t i = 0; i < fn.body->numInputs(); ++i) map[fn.body->input(i)] = call->input(i);  // null: omitted
    const std::string prefix =
        (call->name().empty() ? fn.name + "_" + std::to_string(++unnamedCalls_) : call->name()) + "/";

    std::vector<Node*> created;
    std::unordered_set<const Node*> createdSet;
    for (Node* b : fn.body->nodes()) {
      std::vector<Value*> ins;
      for (Value* v : b->inputs()) ins.push_back(v ? map.at(v) : nullptr);
      Node* c = g.createNode(b->domain(), b->opType(), std::move(ins), call);
      c->setName(b->name().empty() ? "" : prefix + b->name());
      c->setDocString(b->docString());
      c->location() = Location{call->location().file, c->name(), {}};
      for (size_t i = 0; i < b->numOutputs(); ++i) {
        Value* out = b->output(i);
        Value* copy = c->addOutput(out ? prefix + out->name() : "", out ? out->type() : Type());
        if (out) map[out] = copy;
      }
      for (const auto& [name, a] : b->attributes()) {
        // Subgraphs may capture body values: clone them through the body-to-caller map.
        if (!a.refAttrName().empty()) {
          c->setAttr(name, a);  // resolved below
        } else if (a.kind() == AttrKind::Graph) {
          c->setAttr(name, Attribute(a.g().clone(&map)));
        } else if (a.kind() == AttrKind::Graphs) {
          std::vector<Attribute::GraphPtr> gs;
          for (const auto& sub : a.graphs()) gs.push_back(sub->clone(&map));
          c->setAttr(name, Attribute(std::move(gs)));
        } else {
          c->setAttr(name, a);
        }
      }
      KILN_RETURN_IF_ERROR(atNode(resolveRefs(*c, *call, fn), c->name(), c->opType()));
      created.push_back(c);
      createdSet.insert(c);
    }

    for (size_t i = 0; i < call->numOutputs(); ++i) {
      Value* o = call->output(i);
      if (!o) continue;
      Value* r = map.at(fn.body->output(i));
      if (!r) {
        if (o->hasUses())
          return fail("output " + std::to_string(i) + " of function '" + fn.name + "' is an omitted optional input");
        continue;
      }
      // The copy takes the call's output name (graph outputs keep their names) and known type.
      if (r->producer() && createdSet.count(r->producer()) && !renamed_.count(r)) {
        r->setName(o->name());
        renamed_.insert(r);
      }
      if (r->type().isUnknown()) r->setType(o->type());
      o->replaceAllUsesWith(r);
    }
    g.eraseNode(call);
    for (Node* c : created) KILN_RETURN_IF_ERROR(inlineNode(g, c, depth + 1));
    return Status::ok();
  }

  Model& model_;
  const FunctionDefaults& defaults_;
  std::map<FunctionKey, const Function*> functions_;
  std::unordered_set<const Value*> renamed_;
  int unnamedCalls_ = 0;
};

}  // namespace

Status inlineFunctions(Model& model, const FunctionDefaults& defaults) {
  if (model.functions.empty()) return Status::ok();
  Inliner inliner(model, defaults);
  KILN_RETURN_IF_ERROR(inliner.inlineGraph(*model.graph, 0));
  model.functions.clear();
  return Status::ok();
}

}  // namespace kiln::onnx_frontend
