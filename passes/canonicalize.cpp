// canonicalize: local simplifications that never make the graph bigger. Each pattern is one
// row of kPatterns below (op, debug name, rewrite), counted in the statistics under its name.
// Every rewrite keeps graph output names (through the Rewriter) and is skipped when it could
// only keep a name by inserting an Identity, so canonicalize converges in a fixpoint.

#include <algorithm>
#include <numeric>
#include <set>

#include "ir/op_registry.h"
#include "passes/pass_context.h"
#include "passes/pass_utils.h"
#include "passes/passes.h"

namespace kiln {
namespace {

/// Replaces output 0 of `node` by `with` and erases the node, unless that would need an
/// Identity to keep an output name. Returns whether it did.
bool replaceNode(Node& node, Value* with, PassContext& ctx) {
  Rewriter& rw = ctx.rewriter();
  Value* out = node.output(0);
  if (!out || !with || rw.needsIdentityToReplace(out, with)) return false;
  for (size_t i = 1; i < node.numOutputs(); ++i)
    if (node.output(i) && node.output(i)->hasUses()) return false;
  rw.replaceAllUsesWith(out, with);
  rw.eraseNode(&node);
  return true;
}

std::optional<size_t> rankOf(const Value* v) {
  if (!v || !v->type().isTensor() || !v->shape().isRanked()) return std::nullopt;
  return v->shape().rank();
}

/// Both shapes ranked, same rank, every dim provably equal (static or the same symbol).
bool provablySameShape(const Value* a, const Value* b) {
  if (!rankOf(a) || !rankOf(b) || *rankOf(a) != *rankOf(b)) return false;
  for (size_t i = 0; i < *rankOf(a); ++i)
    if (!a->shape()[i].provablyEqual(b->shape()[i])) return false;
  return true;
}

/// The producer of input `i` when it is the default-domain op `op`.
Node* producerOp(const Node& n, size_t i, std::string_view op) {
  Value* v = n.input(i);
  return v && v->producer() && isOnnxOp(*v->producer(), op) ? v->producer() : nullptr;
}

// ---- no-op removal ------------------------------------------------------------------------

bool removeIdentity(Node& n, PassContext& ctx) { return replaceNode(n, n.input(0), ctx); }

/// Dropout at inference (training_mode omitted or a constant false) is the identity; its mask
/// output must be unused (at inference it would be all true, a constant we do not build).
bool removeInferenceDropout(Node& n, PassContext& ctx) {
  if (n.input(2)) {
    const Tensor* t = constantTensor(n.input(2));
    if (!t || t->numElements() != 1 || t->scalarAsDouble(0) != 0) return false;
  }
  return replaceNode(n, n.input(0), ctx);
}

bool removeNoopCast(Node& n, PassContext& ctx) {
  const Value* x = n.input(0);
  if (!x || !x->type().isTensor() || x->dtype() == DType::Undefined) return false;
  auto to = dtypeFromOnnx(static_cast<int32_t>(n.intAttr("to", 0)));
  if (!to || *to != x->dtype()) return false;
  return replaceNode(n, n.input(0), ctx);
}

/// CastLike(x, target) where x already has target's element type: it reads target only for
/// its type, and that use would keep target's producer from fusing (Clip bounds below opset 11).
bool removeNoopCastLike(Node& n, PassContext& ctx) {
  const Value* x = n.input(0);
  const Value* target = n.input(1);
  if (!x || !target || !x->type().isTensor() || !target->type().isTensor()) return false;
  if (x->dtype() == DType::Undefined || x->dtype() != target->dtype()) return false;
  return replaceNode(n, n.input(0), ctx);
}

/// Reshape whose output shape provably equals its input's.
bool removeNoopReshape(Node& n, PassContext& ctx) {
  if (!provablySameShape(n.input(0), n.output(0))) return false;
  return replaceNode(n, n.input(0), ctx);
}

/// The perm of a Transpose: its attribute, or the reversal ONNX defaults to (needs the rank).
std::optional<std::vector<int64_t>> transposePerm(const Node& n) {
  if (const Attribute* a = n.attr("perm"); a && a->kind() == AttrKind::Ints) return a->ints();
  auto rank = rankOf(n.input(0));
  if (!rank) return std::nullopt;
  std::vector<int64_t> perm(*rank);
  for (size_t i = 0; i < *rank; ++i) perm[i] = static_cast<int64_t>(*rank - 1 - i);
  return perm;
}

bool isIdentityPerm(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

bool isPermutation(const std::vector<int64_t>& perm) {
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int64_t>(i)) return false;
  return true;
}

// Transpose(Transpose(x, p1), p2) = Transpose(x, q) with q[i] = p1[p2[i]]:
// output dim i of the outer is dim p2[i] of the inner, which is dim p1[p2[i]] of x.
// The identity permutation (also reached by composing) removes the node.
bool simplifyTranspose(Node& n, PassContext& ctx) {
  auto perm = transposePerm(n);
  if (!perm || !isPermutation(*perm)) return false;
  if (isIdentityPerm(*perm)) return replaceNode(n, n.input(0), ctx);
  Node* inner = producerOp(n, 0, "Transpose");
  if (!inner) return false;
  auto innerPerm = transposePerm(*inner);
  if (!innerPerm || innerPerm->size() != perm->size() || !isPermutation(*innerPerm)) return false;
  std::vector<int64_t> composed(perm->size());
  for (size_t i = 0; i < perm->size(); ++i) composed[i] = (*innerPerm)[static_cast<size_t>((*perm)[i])];
  if (isIdentityPerm(composed)) return replaceNode(n, inner->input(0), ctx);
  ctx.rewriter().setInput(&n, 0, inner->input(0));
  ctx.rewriter().setAttr(&n, "perm", Attribute(composed));
  return true;
}

// Reshape(Reshape(x, s1), s2) = Reshape(x, s2): a reshape only reads its input's element
// count, which the inner one kept. Not when s2 has a 0 entry without allowzero: that entry
// copies a dim of the outer's input, which the inner one set.
bool mergeReshapes(Node& n, PassContext& ctx) {
  Node* inner = producerOp(n, 0, "Reshape");
  if (!inner || !inner->input(0)) return false;
  if (n.intAttr("allowzero", 0) == 0) {
    auto target = constantInts(n.input(1));
    if (!target || std::find(target->begin(), target->end(), 0) != target->end()) return false;
  }
  ctx.rewriter().setInput(&n, 0, inner->input(0));
  return true;
}

// ---- Squeeze / Unsqueeze pairs ------------------------------------------------------------

/// Sorted axes of a Squeeze/Unsqueeze, normalized against `rank` when known (negative axes
/// stay as written otherwise). nullopt when the axes are not a constant.
std::optional<std::vector<int64_t>> axesOf(const Node& n, std::optional<size_t> rank) {
  auto axes = constantInts(n.input(1));
  if (!axes) return std::nullopt;
  for (int64_t& a : *axes) {
    if (a < 0 && rank) a += static_cast<int64_t>(*rank);
  }
  std::sort(axes->begin(), axes->end());
  return axes;
}

// Squeeze(Unsqueeze(x, a), a) = x. Both axis lists refer to the same rank (the Unsqueeze
// output is the Squeeze input), so equal normalized lists cancel exactly.
bool cancelSqueeze(Node& n, PassContext& ctx) {
  Node* inner = producerOp(n, 0, "Unsqueeze");
  if (!inner || !n.input(1)) return false;
  auto rank = rankOf(n.input(0));
  auto a = axesOf(n, rank), b = axesOf(*inner, rank);
  if (!a || !b || *a != *b) return false;
  bool anyNegative = std::any_of(a->begin(), a->end(), [](int64_t v) { return v < 0; });
  if (anyNegative && !rank) return false;
  return replaceNode(n, inner->input(0), ctx);
}

// Unsqueeze(Squeeze(x, a), a) = x: the squeezed dims were 1 (Squeeze requires it) and come
// back at the same places; both lists refer to the rank of x.
bool cancelUnsqueeze(Node& n, PassContext& ctx) {
  Node* inner = producerOp(n, 0, "Squeeze");
  if (!inner || !inner->input(1)) return false;
  auto rank = rankOf(inner->input(0));
  auto a = axesOf(n, rank), b = axesOf(*inner, rank);
  if (!a || !b || *a != *b) return false;
  bool anyNegative = std::any_of(a->begin(), a->end(), [](int64_t v) { return v < 0; });
  if (anyNegative && !rank) return false;
  return replaceNode(n, inner->input(0), ctx);
}

// ---- operand order ------------------------------------------------------------------------

/// For a commutative binary op, a constant operand goes to the right: `Add(c, x)` becomes
/// `Add(x, c)`, so CSE and fusion patterns see one form.
bool constantToRight(Node& n, PassContext& ctx) {
  const OpSchema* s = ctx.schemaOf(n);
  if (!s || !s->has(OpTrait::Commutative) || n.numInputs() != 2) return false;
  Value* a = n.input(0);
  Value* b = n.input(1);
  if (!a || !b || !constantTensor(a) || constantTensor(b)) return false;
  ctx.rewriter().setInput(&n, 0, b);
  ctx.rewriter().setInput(&n, 1, a);
  return true;
}

struct Pattern {
  std::string_view op;    ///< default-domain op the pattern starts from; "" for any op
  std::string_view name;  ///< debug name, also the statistics counter
  bool (*apply)(Node&, PassContext&);
};

constexpr Pattern kPatterns[] = {
    {"Identity", "remove-identity", removeIdentity},
    {"Dropout", "remove-inference-dropout", removeInferenceDropout},
    {"Cast", "remove-noop-cast", removeNoopCast},
    {"CastLike", "remove-noop-castlike", removeNoopCastLike},
    {"Reshape", "remove-noop-reshape", removeNoopReshape},
    {"Reshape", "merge-reshape", mergeReshapes},
    {"Transpose", "simplify-transpose", simplifyTranspose},
    {"Squeeze", "cancel-squeeze-unsqueeze", cancelSqueeze},
    {"Unsqueeze", "cancel-unsqueeze-squeeze", cancelUnsqueeze},
    {"", "constant-to-right", constantToRight},
};

bool isPureRemovable(const Node& n, const PassContext& ctx) {
  const OpSchema* s = ctx.schemaOf(n);
  return s && s->has(OpTrait::Pure) && n.subgraphs().empty();
}

class CanonicalizePass final : public Pass {
 public:
  CanonicalizePass()
      : Pass("canonicalize",
             "Removes no-op Identity/Dropout/Cast/Reshape/Transpose, merges Transpose and Reshape chains, "
             "cancels Squeeze/Unsqueeze pairs, puts constants right of commutative ops.") {}

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    bool changed = false;
    KILN_RETURN_IF_ERROR(forEachGraph(graph, [&](Graph& g) {
      for (Node* n : g.nodes()) changed |= visit(*n, ctx);
      return Status::ok();
    }));
    return changed;
  }

 private:
  bool visit(Node& n, PassContext& ctx) {
    bool isOnnx = n.domain().empty() || n.domain() == "ai.onnx";
    for (const Pattern& p : kPatterns) {
      if (!p.op.empty() && !(isOnnx && n.opType() == p.op)) continue;
      // The producers of the inputs may lose their last use; collect them before rewriting.
      std::vector<Node*> producers;
      for (Value* v : n.inputs())
        if (v && v->producer()) producers.push_back(v->producer());
      if (!p.apply(n, ctx)) continue;
      ctx.stat(name(), p.name);
      eraseDeadProducers(producers, ctx);
      return true;  // `n` may be gone; a later fixpoint iteration revisits what remains
    }
    return false;
  }

  /// Leaves no garbage behind: producers (e.g. the inner Transpose, a Reshape's shape
  /// constant) that the rewrite left unused go too, and so on up the chain, so the result
  /// reads clean without dce.
  void eraseDeadProducers(std::vector<Node*> work, PassContext& ctx) {
    while (!work.empty()) {
      std::sort(work.begin(), work.end());
      work.erase(std::unique(work.begin(), work.end()), work.end());
      Node* p = work.back();
      work.pop_back();
      bool dead = true;
      for (size_t i = 0; i < p->numOutputs(); ++i)
        if (p->output(i) && p->output(i)->hasUses()) dead = false;
      if (!dead || !isPureRemovable(*p, ctx)) continue;
      for (Value* v : p->inputs())
        if (v && v->producer()) work.push_back(v->producer());
      ctx.rewriter().eraseNode(p);
    }
  }
};

}  // namespace

std::unique_ptr<Pass> createCanonicalizePass() { return std::make_unique<CanonicalizePass>(); }

}  // namespace kiln
