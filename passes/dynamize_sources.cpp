// Where a demanded size comes from. resolveDemand follows axis `axis` of a value back through
// the ops that carry it unchanged (elementwise, Transpose, Unsqueeze/Squeeze, Gather, Concat's
// other axes, MatMul) to the constant that holds the traced size, and rewrites that constant:
//   Reshape / Expand / Tile target, ConstantOfShape shape, Resize sizes -> that entry computed
//   from the inputs
//   Range limit -> start + size * delta;  Slice end -> start + size (or "to the end")
//   a constant filled with one value -> ConstantOfShape(shape);  an arange -> Range + Reshape
// Every other producer is a refusal naming the node and why.

#include <algorithm>
#include <limits>

#include "passes/dynamize_rules.h"
#include "passes/pass_utils.h"

namespace kiln {
namespace {

using Outcome = DynamizeOutcome;

std::string describe(const Value* v) { return "'" + v->name() + "' " + v->type().str(); }

/// Entry `k` of shape operand `index` becomes `want`.
Outcome setShapeEntry(DynamizeState& st, Node& n, size_t index, size_t k, const Dim& want, const std::string& what) {
  auto T = st.contents(n.input(index));
  if (!T || k >= T->size()) return Outcome::refused(&n, "its " + what + " is not known at compile time");
  if (!(*T)[k].isStatic())
    return Outcome::refused(&n, "its " + what + " entry " + std::to_string(k) + " is already computed (" +
                                    (*T)[k].str() + ") but does not give " + want.str());
  (*T)[k] = want;
  for (const Dim& d : *T)
    if (!st.builder().canBuild(d)) return Outcome::refused(&n, want.str() + " involves a symbol no input axis provides");
  st.replaceOperand(&n, index, st.builder().shape(*T));
  return Outcome::rewritten();
}

/// Tries each (operand, axis) in turn; the first rewrite wins, else the first refusal.
Outcome carryAny(DynamizeState& st, Node& n, const std::vector<std::pair<size_t, int64_t>>& where, const Dim& want,
                 int depth, const std::string& none) {
  std::optional<Outcome> firstRefusal;
  for (auto [i, axis] : where) {
    Outcome o = resolveDemand(st, n.input(i), axis, want, depth + 1);
    if (o.kind == Outcome::Kind::Rewritten) return o;
    if (o.kind == Outcome::Kind::Refused && !firstRefusal) firstRefusal = o;
  }
  return firstRefusal ? *firstRefusal : Outcome::refused(&n, none);
}

/// Right-aligned broadcasting operands whose axis holds `size` (the batch axes of MatMul too:
/// `matrixAxes` trailing axes are not broadcast).
std::vector<std::pair<size_t, int64_t>> broadcastOperands(const Node& n, const std::vector<size_t>& inputs, size_t rank,
                                                          int64_t axis, const Dim& size, size_t matrixAxes) {
  std::vector<std::pair<size_t, int64_t>> out;
  for (size_t i : inputs) {
    const auto* d = dimsOf(n.input(i));
    if (!d) continue;
    int64_t pos = axis - static_cast<int64_t>(rank - d->size());
    if (pos < 0 || pos >= static_cast<int64_t>(d->size() - std::min(matrixAxes, d->size()))) continue;
    const Dim& x = (*d)[static_cast<size_t>(pos)];
    if (!(x == size)) continue;
    // A size-1 axis added by broadcasting from a lower rank is a broadcast, not a traced size.
    if (size == Dim(1) && d->size() < rank) continue;
    out.emplace_back(i, pos);
  }
  return out;
}

Outcome fromConstant(DynamizeState& st, Node& c, int64_t axis, const Dim& want) {
  const Tensor* t = constantTensor(c.output(0));
  Value* v = c.output(0);
  if (!t || !t->hasData() || t->dtype() == DType::String || t->numElements() == 0)
    return Outcome::refused(&c, "constant " + describe(v) + " has no loaded data to regenerate");
  std::vector<Dim> dims(t->dims().begin(), t->dims().end());
  dims[static_cast<size_t>(axis)] = want;
  for (const Dim& d : dims)
    if (!st.builder().canBuild(d)) return Outcome::refused(&c, want.str() + " involves a symbol no input axis provides");
  bool filled = true;
  for (int64_t i = 1; filled && i < t->numElements(); ++i) filled = t->scalarAsDouble(i) == t->scalarAsDouble(0);
  if (filled) {
    // One fill value: ConstantOfShape of the computed shape, with the value as its element.
    Node* fill = st.builder().create("ConstantOfShape", {st.builder().shape(dims)}, v->name());
    Tensor one = Tensor::zeros(t->dtype(), {1});
    std::copy_n(t->rawData(), dtypeSize(t->dtype()), one.mutableRawData());
    st.rewriter().setAttr(fill, "value", Attribute(std::move(one)));
    st.replaceValue(v, fill->output(0));
    return Outcome::rewritten();
  }
  // An arange along `axis` (every other axis of size 1): Range(start, start + size*delta, delta).
  bool otherAxesOne = true;
  for (size_t k = 0; k < t->rank(); ++k) otherAxesOne = otherAxesOne && (static_cast<int64_t>(k) == axis || t->dims()[k] == 1);
  if (otherAxesOne && isInteger(t->dtype()) && t->numElements() >= 2) {
    int64_t start = t->scalarAsInt(0), delta = t->scalarAsInt(1) - start;
    bool arange = delta != 0;
    for (int64_t i = 0; arange && i < t->numElements(); ++i) arange = t->scalarAsInt(i) == start + i * delta;
    if (arange) {
      ShapeBuilder& b = st.builder();
      Value* limit = b.scalar(Dim(start) + want * Dim(delta));
      Value* range = b.create("Range", {b.scalar(Dim(start)), limit, b.scalar(Dim(delta))}, v->name() + "_range")->output(0);
      if (t->dtype() != DType::Int64) {
        Node* cast = b.create("Cast", {range}, v->name() + "_cast");
        st.rewriter().setAttr(cast, "to", Attribute(static_cast<int64_t>(t->dtype())));
        range = cast->output(0);
      }
      Value* shaped = b.create("Reshape", {range, b.shape(dims)}, v->name())->output(0);
      st.replaceValue(v, shaped);
      return Outcome::rewritten();
    }
  }
  return Outcome::refused(&c, "constant " + describe(v) + " would have to follow " + want.str() + " along axis " +
                                  std::to_string(axis) + ", but its values are neither one fill value nor a range");
}

Outcome throughReshape(DynamizeState& st, Node& n, int64_t axis, const Dim& want, int depth) {
  auto view = viewReshape(st, n);
  if (!view) return Outcome::refused(&n, "its target is not known at compile time");
  auto k = static_cast<size_t>(axis);
  bool inputStatic = std::all_of(view->input.begin(), view->input.end(), [](const Dim& d) { return d.isStatic(); });
  if (inputStatic) {
    // The elements come from the input: its axis must follow first (then the forward rule
    // rewrites this target).
    auto one = singleInputAxisFor(*view, k);
    if (!one) return Outcome::refused(&n, "target entry " + std::to_string(k) + " groups several static input axes");
    return resolveDemand(st, n.input(0), static_cast<int64_t>(one->first), want, depth + 1);
  }
  // Start from what the Reshape gives now (a -1 resolved symbolically by inference).
  std::vector<Dim> D = n.output(0)->shape().dims();
  std::vector<Dim> now = D;
  D[k] = want;
  Dim inCount = n.input(0)->shape().numElements();
  Dim count(1);
  for (const Dim& d : D) count = count * d;
  if (!(count == inCount)) {
    // Another entry must give up the factor `want` took: exactly one may.
    std::vector<std::pair<size_t, Dim>> valid;
    for (size_t j = 0; j < D.size(); ++j) {
      if (j == k) continue;
      Dim others(1);
      for (size_t i = 0; i < D.size(); ++i)
        if (i != j) others = others * D[i];
      Dim dj = exactDiv(inCount, others);
      if (!dj.isUnknown() && !(dj == now[j]) && st.traced(dj) == st.traced(now[j])) valid.emplace_back(j, dj);
    }
    if (valid.size() != 1)
      return Outcome::refused(&n, "making target entry " + std::to_string(k) + " " + want.str() +
                                      (valid.empty() ? " leaves an element count no other entry can absorb"
                                                     : " leaves a factor several entries could absorb"));
    D[valid[0].first] = valid[0].second;
  }
  st.pin(n);  // decided by a demand: the forward rule must not undo it
  return rewriteReshapeTarget(st, n, D);
}

Outcome throughSlice(DynamizeState& st, Node& n, int64_t axis, const Dim& want, int64_t size, int depth) {
  const auto* X = dimsOf(n.input(0));
  auto starts = constantInts(n.input(1));
  auto ends = constantInts(n.input(2));
  if (!X || !starts || !ends) return Outcome::refused(&n, "its starts and ends are not constants");
  std::vector<int64_t> axes;
  if (n.input(3)) {
    auto a = constantInts(n.input(3));
    if (!a) return Outcome::refused(&n, "its axes are not constant");
    axes = *a;
  } else {
    for (size_t i = 0; i < starts->size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  auto rank = static_cast<int64_t>(X->size());
  std::optional<size_t> entry;
  for (size_t e = 0; e < axes.size(); ++e)
    if (normalizeAxis(axes[e], rank) == axis) entry = e;
  if (!entry) return resolveDemand(st, n.input(0), axis, want, depth + 1);  // the axis passes through
  if (n.input(4)) {
    auto steps = constantInts(n.input(4));
    if (!steps || (*steps)[*entry] != 1) return Outcome::refused(&n, "it slices axis " + std::to_string(axis) + " with a step other than 1");
  }
  const Dim& xk = (*X)[static_cast<size_t>(axis)];
  int64_t start = (*starts)[*entry];
  if (start < 0) {
    if (!xk.isStatic()) return Outcome::refused(&n, "it starts from the end of a symbolic axis");
    start += xk.value();
  }
  if (n.input(2)->dtype() != DType::Int64) return Outcome::refused(&n, "its ends are not int64");
  std::vector<Dim> newEnds(ends->begin(), ends->end());
  if (start == 0 && xk == want) {
    newEnds[*entry] = Dim(std::numeric_limits<int64_t>::max());  // the whole axis, whatever its size
  } else if (start == 0 && xk.isStatic() && xk.value() == size) {
    return resolveDemand(st, n.input(0), axis, want, depth + 1);  // the data's own axis follows first
  } else {
    if (!st.builder().canBuild(want)) return Outcome::refused(&n, want.str() + " involves a symbol no input axis provides");
    newEnds[*entry] = Dim(start) + want;
  }
  st.replaceOperand(&n, 2, st.builder().shape(newEnds));
  return Outcome::rewritten();
}

Outcome throughRange(DynamizeState& st, Node& n, const Dim& want) {
  const Tensor* start = constantTensor(n.input(0));
  const Tensor* delta = constantTensor(n.input(2));
  auto integral = [](const Tensor* t) {
    return t && t->numElements() == 1 && t->dtype() != DType::String &&
           t->scalarAsDouble(0) == static_cast<double>(t->scalarAsInt(0));
  };
  if (!integral(start) || !integral(delta)) return Outcome::refused(&n, "its start and delta are not integral constants");
  if (!st.builder().canBuild(want)) return Outcome::refused(&n, want.str() + " involves a symbol no input axis provides");
  Value* limit = st.builder().scalar(Dim(start->scalarAsInt(0)) + want * Dim(delta->scalarAsInt(0)));
  if (start->dtype() != DType::Int64) {
    Node* cast = st.builder().create("Cast", {limit}, "range_limit");
    st.rewriter().setAttr(cast, "to", Attribute(static_cast<int64_t>(start->dtype())));
    limit = cast->output(0);
  }
  st.replaceOperand(&n, 1, limit);
  return Outcome::rewritten();
}

}  // namespace

DynamizeOutcome resolveDemand(DynamizeState& st, Value* value, int64_t axis, const Dim& want, int depth) {
  const auto* dims = dimsOf(value);
  if (!dims || axis < 0 || axis >= static_cast<int64_t>(dims->size())) return Outcome::none();
  const Dim cur = (*dims)[static_cast<size_t>(axis)];
  // Usually a static size must become a symbol; the other way round (a symbol that must be a
  // weight's static size) only undoes an earlier Reshape choice.
  bool toStatic = !cur.isStatic();
  if (toStatic && !(want.isStatic() && cur.isSymbolic() && st.traced(cur) == want.value())) return Outcome::none();
  int64_t size = toStatic ? want.value() : cur.value();
  Node* p = value->producer();
  if (!p && value->inputOf() && value->inputOf()->parentNode()) {
    const Node& owner = *value->inputOf()->parentNode();
    return Outcome::refused(&owner, "input " + describe(value) + " of a body of node '" + scopedNodeLabel(owner) +
                                        "' has the static axis " + std::to_string(axis) +
                                        " (no rule follows a size into a body input)");
  }
  if (!p)
    return Outcome::refused(nullptr, "graph input " + describe(value) + " has the static axis " + std::to_string(axis) +
                                         "; declare it with --dynamic");
  if (depth > 64) return Outcome::refused(p, "the size passes through too many nodes");
  Node& n = *p;
  auto rank = dims->size();
  std::string noneCarries = "no operand carries axis " + std::to_string(axis) + " of " + describe(value);
  if (isOnnxOp(n, "Constant")) return fromConstant(st, n, axis, want);
  if (toStatic && !(n.schema() && n.schema()->has(OpTrait::Elementwise)) &&
      !(isOnnxOp(n, "Transpose") || isOnnxOp(n, "Reshape") || isOnnxOp(n, "Unsqueeze") || isOnnxOp(n, "Squeeze")))
    return Outcome::refused(&n, "axis " + std::to_string(axis) + " of " + describe(value) + " is " + cur.str() +
                                    " here, but must be " + want.str());
  if (n.schema() && n.schema()->has(OpTrait::Elementwise)) {
    std::vector<size_t> inputs;
    for (size_t i = 0; i < n.numInputs(); ++i) inputs.push_back(i);
    return carryAny(st, n, broadcastOperands(n, inputs, rank, axis, cur, 0), want, depth, noneCarries);
  }
  for (const char* same : {"Identity", "Dropout", "Softmax", "LogSoftmax", "LayerNormalization"})
    if (isOnnxOp(n, same)) return resolveDemand(st, n.input(0), axis, want, depth + 1);
  if (isOnnxOp(n, "Transpose")) {
    std::vector<int64_t> perm = n.intsAttr("perm");
    if (perm.empty())
      for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
    return resolveDemand(st, n.input(0), perm[static_cast<size_t>(axis)], want, depth + 1);
  }
  if (isOnnxOp(n, "Unsqueeze") || isOnnxOp(n, "Squeeze")) {
    bool unsqueeze = isOnnxOp(n, "Unsqueeze");
    const auto* in = dimsOf(n.input(0));
    auto axesRaw = constantInts(n.input(1));
    if (!in || !axesRaw) return Outcome::refused(&n, "its axes are not constant");
    auto axes = normalizeAxes(*axesRaw, static_cast<int64_t>(unsqueeze ? rank : in->size()));
    if (!axes) return Outcome::refused(&n, "its axes are invalid");
    auto listed = [&](int64_t a) { return std::count(axes->begin(), axes->end(), a) > 0; };
    if (unsqueeze) {
      if (listed(axis)) return Outcome::refused(&n, "axis " + std::to_string(axis) + " is one it inserts");
      int64_t before = std::count_if(axes->begin(), axes->end(), [&](int64_t a) { return a < axis; });
      return resolveDemand(st, n.input(0), axis - before, want, depth + 1);
    }
    int64_t seen = -1;
    for (int64_t i = 0; i < static_cast<int64_t>(in->size()); ++i)
      if (!listed(i) && ++seen == axis) return resolveDemand(st, n.input(0), i, want, depth + 1);
    return Outcome::refused(&n, noneCarries);
  }
  if (isOnnxOp(n, "Gather")) {
    const auto* data = dimsOf(n.input(0));
    const auto* idx = dimsOf(n.input(1));
    if (!data || !idx) return Outcome::refused(&n, noneCarries);
    auto a = normalizeAxis(n.intAttr("axis", 0), static_cast<int64_t>(data->size()));
    if (!a) return Outcome::refused(&n, noneCarries);
    auto ri = static_cast<int64_t>(idx->size());
    if (axis < *a) return resolveDemand(st, n.input(0), axis, want, depth + 1);
    if (axis < *a + ri) return resolveDemand(st, n.input(1), axis - *a, want, depth + 1);
    return resolveDemand(st, n.input(0), axis - ri + 1, want, depth + 1);
  }
  if (isOnnxOp(n, "Concat")) {
    auto a = normalizeAxis(n.intAttr("axis", 0), static_cast<int64_t>(rank));
    if (a == axis) return Outcome::refused(&n, "axis " + std::to_string(axis) + " is the sum of its operands'");
    std::vector<std::pair<size_t, int64_t>> where;
    for (size_t i = 0; i < n.numInputs(); ++i)
      if (const auto* d = dimsOf(n.input(i)); d && d->size() == rank && (*d)[static_cast<size_t>(axis)] == cur)
        where.emplace_back(i, axis);
    return carryAny(st, n, where, want, depth, noneCarries);
  }
  if (isOnnxOp(n, "MatMul")) {
    const auto* a = dimsOf(n.input(0));
    const auto* b = dimsOf(n.input(1));
    if (!a || !b || a->size() < 2 || b->size() < 2) return Outcome::refused(&n, noneCarries);
    if (axis == static_cast<int64_t>(rank) - 1) return resolveDemand(st, n.input(1), static_cast<int64_t>(b->size()) - 1, want, depth + 1);
    if (axis == static_cast<int64_t>(rank) - 2) return resolveDemand(st, n.input(0), static_cast<int64_t>(a->size()) - 2, want, depth + 1);
    return carryAny(st, n, broadcastOperands(n, {0, 1}, rank, axis, cur, 2), want, depth, noneCarries);
  }
  if (isOnnxOp(n, "Gemm") && rank == 2) {
    // [M, N] = op(A) x op(B): M is A's axis 0 (1 when transA), N is B's axis 1 (0 when transB).
    if (axis == 0) return resolveDemand(st, n.input(0), n.intAttr("transA", 0) ? 1 : 0, want, depth + 1);
    return resolveDemand(st, n.input(1), n.intAttr("transB", 0) ? 0 : 1, want, depth + 1);
  }
  if (isOnnxOp(n, "Reshape")) return throughReshape(st, n, axis, want, depth);
  if (isOnnxOp(n, "ConstantOfShape")) return setShapeEntry(st, n, 0, static_cast<size_t>(axis), want, "shape");
  if (isOnnxOp(n, "Range")) return throughRange(st, n, want);
  if (isOnnxOp(n, "Slice")) return throughSlice(st, n, axis, want, size, depth);
  if (isOnnxOp(n, "Expand")) {
    const auto* x = dimsOf(n.input(0));
    if (!x || x->size() > rank) return Outcome::refused(&n, noneCarries);
    int64_t pos = axis - static_cast<int64_t>(rank - x->size());
    if (pos < 0 || (*x)[static_cast<size_t>(pos)] == Dim(1))
      return setShapeEntry(st, n, 1, static_cast<size_t>(axis), want, "target shape");
    if ((*x)[static_cast<size_t>(pos)] == cur) return resolveDemand(st, n.input(0), pos, want, depth + 1);
    return Outcome::refused(&n, noneCarries);
  }
  if (isOnnxOp(n, "Resize")) {
    // Output sizes given as `sizes` (interpolate(size=...)): the entry for the axis follows.
    // Scales make the output follow the input already; they never hold a traced size.
    if (n.numInputs() < 4 || !n.input(3) || !dimsOf(n.input(3)) || dimsOf(n.input(3))->empty() ||
        (*dimsOf(n.input(3)))[0] == Dim(0))
      return Outcome::refused(&n, "its output size along axis " + std::to_string(axis) + " comes from scales, not sizes");
    std::vector<int64_t> axes = n.intsAttr("axes");
    auto entry = static_cast<size_t>(axis);
    if (!axes.empty()) {
      auto it = std::find(axes.begin(), axes.end(), axis);
      if (it == axes.end()) it = std::find(axes.begin(), axes.end(), axis - static_cast<int64_t>(rank));
      if (it == axes.end()) return resolveDemand(st, n.input(0), axis, want, depth + 1);  // not resized
      entry = static_cast<size_t>(it - axes.begin());
    }
    return setShapeEntry(st, n, 3, entry, want, "sizes");
  }
  if (isOnnxOp(n, "Tile")) {
    const auto* x = dimsOf(n.input(0));
    if (!x || x->size() != rank || !(*x)[static_cast<size_t>(axis)].isStatic()) return Outcome::refused(&n, noneCarries);
    int64_t d = (*x)[static_cast<size_t>(axis)].value();
    if (d == size) return resolveDemand(st, n.input(0), axis, want, depth + 1);
    Dim repeats = exactDiv(want, Dim(d));
    if (repeats.isUnknown())
      return Outcome::refused(&n, want.str() + " is not a multiple of the tiled size " + std::to_string(d));
    return setShapeEntry(st, n, 1, static_cast<size_t>(axis), repeats, "repeats");
  }
  return Outcome::refused(&n, "no rule carries a size through " + n.qualifiedOp() + " (axis " + std::to_string(axis) +
                                  " of " + describe(value) + ")");
}

}  // namespace kiln
