// Demand evidence of dynamize-shapes: where a node needs two sizes to agree (broadcasting,
// Concat's other axes, MatMul's inner and batch axes) and one is static while the other is a
// symbol of the same traced size, the static one must follow the symbol. findDemands finds
// those places; resolveDemand follows the static size back through the ops that carry it to
// the constant that holds it (dynamize_sources.cpp).

#include <algorithm>

#include "passes/dynamize_rules.h"
#include "passes/pass_utils.h"

namespace kiln {
namespace {

/// Right-aligned broadcasting over `inputs`; `offset` skips that many trailing axes (MatMul's
/// matrix axes). A static size other than 1 that meets a symbol of the same traced size.
void broadcastDemands(const DynamizeState& st, const Node& n, const std::vector<size_t>& inputs, size_t trailingSkip,
                      std::vector<DynamizeDemand>& out) {
  size_t rank = 0;
  for (size_t i : inputs)
    if (const auto* d = dimsOf(n.input(i))) rank = std::max(rank, d->size());
  for (size_t p = trailingSkip; p < rank; ++p) {  // p counts from the right
    std::optional<Dim> symbol;
    for (size_t i : inputs) {
      const auto* d = dimsOf(n.input(i));
      if (!d || p >= d->size()) continue;
      const Dim& x = (*d)[d->size() - 1 - p];
      if (x.isSymbolic() && st.traced(x)) symbol = x;
    }
    if (!symbol) continue;
    int64_t size = *st.traced(*symbol);
    for (size_t i : inputs) {
      const auto* d = dimsOf(n.input(i));
      if (!d || p >= d->size()) continue;
      const Dim& x = (*d)[d->size() - 1 - p];
      if (x.isStatic() && x.value() == size && size != 1)
        out.push_back({i, static_cast<int64_t>(d->size() - 1 - p), *symbol, "broadcast against " + symbol->str()});
    }
  }
}

/// Two axes that must be equal (Concat's other axes, MatMul's inner axes), 1 included.
void equalityDemand(const DynamizeState& st, const Node& n, size_t ia, int64_t aa, size_t ib, int64_t ab,
                    const std::string& what, std::vector<DynamizeDemand>& out) {
  const auto* a = dimsOf(n.input(ia));
  const auto* b = dimsOf(n.input(ib));
  if (!a || !b) return;
  const Dim& x = (*a)[static_cast<size_t>(aa)];
  const Dim& y = (*b)[static_cast<size_t>(ab)];
  if (x.isSymbolic() && y.isStatic() && st.traced(x) == y.value()) out.push_back({ib, ab, x, what + " " + x.str()});
  if (y.isSymbolic() && x.isStatic() && st.traced(y) == x.value()) out.push_back({ia, aa, y, what + " " + y.str()});
}

/// A weight (a Constant, possibly transposed or behind an Identity) fixes the inner axis of a product: a symbol that
/// meets it was assigned by an earlier Reshape choice that the weight now refutes.
void weightDemand(const DynamizeState& st, const Node& n, size_t ia, int64_t aa, size_t ib, int64_t ab,
                  std::vector<DynamizeDemand>& out) {
  const auto* a = dimsOf(n.input(ia));
  const auto* b = dimsOf(n.input(ib));
  if (!a || !b) return;
  const Dim& x = (*a)[static_cast<size_t>(aa)];
  const Dim& y = (*b)[static_cast<size_t>(ab)];
  if (x.isSymbolic() && y.isStatic() && isWeight(n.input(ib)) && st.traced(x) == y.value())
    out.push_back({ia, aa, y, "inner axis agreement with the weight's " + y.str()});
  if (y.isSymbolic() && x.isStatic() && isWeight(n.input(ia)) && st.traced(y) == x.value())
    out.push_back({ib, ab, x, "inner axis agreement with the weight's " + x.str()});
}

}  // namespace

bool isWeight(const Value* v) {
  while (v && v->producer() && (isOnnxOp(*v->producer(), "Transpose") || isOnnxOp(*v->producer(), "Identity")))
    v = v->producer()->input(0);
  return v && v->producer() && isOnnxOp(*v->producer(), "Constant");
}

bool axisFixedByWeight(const Value* v, size_t axis) {
  if (!v || !v->type().isTensor() || !v->shape().isRanked()) return false;
  size_t rank = v->shape().rank();
  for (const Use& u : v->uses()) {
    if (u.isGraphOutput()) continue;
    const Node& n = *u.user;
    if (isOnnxOp(n, "Gemm") && rank == 2) {
      size_t inner = u.index == 0 ? (n.intAttr("transA", 0) ? 0 : 1) : (n.intAttr("transB", 0) ? 1 : 0);
      if (u.index < 2 && axis == inner && isWeight(n.input(1 - u.index))) return true;
    } else if (isOnnxOp(n, "MatMul") && rank >= 2) {
      size_t inner = u.index == 0 ? rank - 1 : rank - 2;
      if (u.index < 2 && axis == inner && isWeight(n.input(1 - u.index))) return true;
    }
  }
  return false;
}

std::vector<DynamizeDemand> findDemands(const DynamizeState& st, const Node& n) {
  std::vector<DynamizeDemand> out;
  const OpSchema* schema = n.schema();
  if (!schema) return out;
  if (schema->has(OpTrait::Elementwise) && n.numInputs() >= 2) {
    std::vector<size_t> inputs;
    for (size_t i = 0; i < n.numInputs(); ++i) inputs.push_back(i);
    broadcastDemands(st, n, inputs, 0, out);
  } else if (isOnnxOp(n, "Concat")) {
    const auto* first = dimsOf(n.input(0));
    if (!first) return out;
    auto axis = normalizeAxis(n.intAttr("axis", 0), static_cast<int64_t>(first->size()));
    if (!axis) return out;
    for (size_t i = 1; i < n.numInputs(); ++i) {
      const auto* d = dimsOf(n.input(i));
      if (!d || d->size() != first->size()) continue;
      for (int64_t k = 0; k < static_cast<int64_t>(first->size()); ++k)
        if (k != *axis) {
          equalityDemand(st, n, 0, k, i, k, "Concat agreement with", out);
          // A static first operand and a symbolic later one: the loop above covers both ways.
        }
    }
  } else if (isOnnxOp(n, "MatMul")) {
    const auto* a = dimsOf(n.input(0));
    const auto* b = dimsOf(n.input(1));
    if (!a || !b || a->size() < 2 || b->size() < 2) return out;
    equalityDemand(st, n, 0, static_cast<int64_t>(a->size()) - 1, 1, static_cast<int64_t>(b->size()) - 2,
                   "MatMul inner axis agreement with", out);
    weightDemand(st, n, 0, static_cast<int64_t>(a->size()) - 1, 1, static_cast<int64_t>(b->size()) - 2, out);
    broadcastDemands(st, n, {0, 1}, 2, out);
  } else if (isOnnxOp(n, "Gemm")) {
    const auto* a = dimsOf(n.input(0));
    const auto* b = dimsOf(n.input(1));
    if (!a || !b || a->size() != 2 || b->size() != 2) return out;
    weightDemand(st, n, 0, n.intAttr("transA", 0) ? 0 : 1, 1, n.intAttr("transB", 0) ? 1 : 0, out);
  }
  return out;
}

}  // namespace kiln
