// cse: common-subexpression elimination by structural hashing. Two nodes are the same
// computation when they have the same op and domain, the same input values (by identity), the
// same attributes (Attribute::operator==: tensors by content, floats by bits) and the same
// output arity. Only Pure ops merge (random and opaque ops never do), and nodes holding
// subgraphs never merge. Identical Constants merge too, so a weight stored twice is kept once.
//
// Scopes nest like dominance: a node inside an If branch or Loop body may be replaced by an
// equal node of an enclosing graph defined before it (a subgraph may capture it), never the
// reverse.
//
// A merge that replaces a graph output keeps the output's name: the survivor takes it, or an
// Identity carries it when the survivor is already returned or lives in an enclosing graph.

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "ir/op_registry.h"
#include "passes/pass_context.h"
#include "passes/pass_utils.h"
#include "passes/passes.h"

namespace kiln {
namespace {

void mix(size_t& h, size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); }

/// Hashes a tensor by its type and a sample of its bytes (the first 64 and 32 spread over the
/// rest): hashing every weight byte on every run was most of cse's time. Equal samples still
/// meet Tensor::contentEquals, which compares all bytes, before anything merges.
size_t hashTensorSample(const Tensor& t) {
  if (t.dtype() == DType::String || t.isElided() || !t.rawData()) return t.hash();
  size_t h = static_cast<size_t>(t.dtype());
  for (int64_t d : t.dims()) mix(h, std::hash<int64_t>()(d));
  const std::byte* bytes = t.rawData();
  const size_t size = t.byteSize();
  auto mixByte = [&](size_t at) { mix(h, std::to_integer<size_t>(bytes[at])); };
  for (size_t i = 0; i < std::min<size_t>(size, 64); ++i) mixByte(i);
  if (size > 64)
    for (size_t k = 1; k <= 32; ++k) mixByte(64 + (size - 65) * k / 32);
  return h;
}

size_t hashAttribute(const Attribute& a) {
  size_t h = static_cast<size_t>(a.kind());
  switch (a.kind()) {
    case AttrKind::Float: {
      uint32_t bits;
      float f = a.f();
      std::memcpy(&bits, &f, 4);
      mix(h, bits);
      break;
    }
    case AttrKind::Int: mix(h, std::hash<int64_t>()(a.i())); break;
    case AttrKind::String: mix(h, std::hash<std::string>()(a.s())); break;
    case AttrKind::Tensor: mix(h, hashTensorSample(a.t())); break;
    case AttrKind::Ints:
      for (int64_t v : a.ints()) mix(h, std::hash<int64_t>()(v));
      break;
    case AttrKind::Floats:
      for (float f : a.floats()) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        mix(h, bits);
      }
      break;
    case AttrKind::Strings:
      for (const auto& s : a.strings()) mix(h, std::hash<std::string>()(s));
      break;
    default: break;  // the rest compare in operator== only
  }
  return h;
}

size_t hashNode(const Node& n) {
  size_t h = std::hash<std::string>()(n.domain());
  mix(h, std::hash<std::string>()(n.opType()));
  for (const Value* v : n.inputs()) mix(h, std::hash<const void*>()(v));
  mix(h, n.numOutputs());
  for (const auto& [name, a] : n.attributes()) {
    mix(h, std::hash<std::string>()(name));
    mix(h, hashAttribute(a));
  }
  return h;
}

bool sameComputation(const Node& a, const Node& b) {
  if (a.domain() != b.domain() || a.opType() != b.opType() || a.inputs() != b.inputs() ||
      a.numOutputs() != b.numOutputs() || !(a.attributes() == b.attributes()))
    return false;
  for (size_t i = 0; i < a.numOutputs(); ++i)
    if ((a.output(i) == nullptr) != (b.output(i) == nullptr)) return false;
  return true;
}

struct Scope {
  std::unordered_multimap<size_t, Node*> table;
  const Scope* parent = nullptr;

  Node* find(size_t h, const Node& n) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto [lo, hi] = s->table.equal_range(h);
      for (auto it = lo; it != hi; ++it)
        if (sameComputation(*it->second, n)) return it->second;
    }
    return nullptr;
  }
};

class CsePass final : public Pass {
 public:
  CsePass() : Pass("cse", "Merges structurally identical pure nodes (same op, inputs and attributes).") {}

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    int64_t merged = visit(graph, nullptr, ctx);
    if (merged) ctx.stat(name(), "merged", merged);
    return merged > 0;
  }

 private:
  int64_t visit(Graph& graph, const Scope* parent, PassContext& ctx) {
    Scope scope;
    scope.parent = parent;
    int64_t merged = 0;
    for (Node* n : graph.nodes()) {
      std::vector<Graph*> subs = n->subgraphs();
      if (!subs.empty()) {
        for (Graph* sub : subs) merged += visit(*sub, &scope, ctx);
        continue;  // never merged itself
      }
      const OpSchema* schema = ctx.schemaOf(*n);
      if (!schema || !schema->has(OpTrait::Pure) || n->numOutputs() == 0) continue;
      size_t h = hashNode(*n);
      if (Node* same = scope.find(h, *n)) {
        // Merging a Constant costs nothing at run time, but keeping an output name would
        // cost an Identity (and fold-constants would fold that Identity back: no fixpoint).
        if (isOnnxOp(*n, "Constant") && ctx.rewriter().needsIdentityToReplace(n->output(0), same->output(0)))
          continue;
        for (size_t i = 0; i < n->numOutputs(); ++i)
          if (n->output(i)) ctx.rewriter().replaceAllUsesWith(n->output(i), same->output(i));
        ctx.rewriter().eraseNode(n);
        ++merged;
        continue;
      }
      scope.table.emplace(h, n);
    }
    return merged;
  }
};

}  // namespace

std::unique_ptr<Pass> createCsePass() { return std::make_unique<CsePass>(); }

}  // namespace kiln
