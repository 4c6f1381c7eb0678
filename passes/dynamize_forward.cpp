// Forward evidence of dynamize-shapes: what a node's input shape proves about its constant
// target. Reshape: the elements of a group of input axes must land in the group of target
// entries whose traced product is the same (element-count equality), so a group whose input
// side is symbolic gives its target side the same symbolic product. Expand: a target entry
// whose traced size equals a symbolic input axis is that axis, and 1 says exactly that.

#include <functional>
#include <numeric>

#include "passes/dynamize_rules.h"
#include "passes/pass_utils.h"

namespace kiln {
namespace {

/// A group of input axes [in0, in1) and target entries [out0, out1) with equal traced products.
struct Segment {
  size_t in0, in1, out0, out1;
};

/// Splits traced input and output dims into minimal groups of equal products; nullopt when
/// the products disagree (or a size is 0, where grouping says nothing).
std::optional<std::vector<Segment>> segments(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  for (int64_t v : in)
    if (v <= 0) return std::nullopt;
  for (int64_t v : out)
    if (v <= 0) return std::nullopt;
  std::vector<Segment> segs;
  size_t i = 0, j = 0;
  while (i < in.size() || j < out.size()) {
    Segment s{i, i, j, j};
    int64_t pi = 1, po = 1;
    if (i < in.size()) pi *= in[i++];
    if (j < out.size()) po *= out[j++];
    while (pi != po) {
      if (pi < po) {
        if (i == in.size()) return std::nullopt;
        pi *= in[i++];
      } else {
        if (j == out.size()) return std::nullopt;
        po *= out[j++];
      }
    }
    s.in1 = i;
    s.out1 = j;
    // Trailing size-1 axes on one side only (a batch traced at 1 that the target flattened
    // away, or an added 1) belong to the group before them.
    if (!segs.empty() && (s.in0 == s.in1 || s.out0 == s.out1)) {
      segs.back().in1 = s.in1;
      segs.back().out1 = s.out1;
    } else {
      segs.push_back(s);
    }
  }
  return segs;
}

std::string entriesText(size_t a, size_t b) {
  return b - a == 1 ? "entry " + std::to_string(a) : "entries " + std::to_string(a) + ".." + std::to_string(b - 1);
}

Dim product(const std::vector<Dim>& dims, size_t a, size_t b) {
  Dim p(1);
  for (size_t k = a; k < b; ++k) p = p * dims[k];
  return p;
}

/// The one way to give each symbol of the monomial `rest` its own entry among `homes` (traced
/// size equal to the symbol's), the other entries multiplying to the coefficient; nullopt when
/// there is none or more than one. `trailingOnes`: homes include size-1 entries after the group.
std::optional<std::vector<std::pair<size_t, Dim>>> splitSymbols(const DynamizeState& st, const Dim& rest,
                                                                 const std::vector<size_t>& homes,
                                                                 const std::vector<int64_t>& out, bool trailingOnes) {
  if (!rest.isSymbolic() || rest.expr()->terms().size() != 1) return std::nullopt;
  const auto& term = rest.expr()->terms()[0];
  // One symbol needs no split unless a trailing 1 may be where the trace left it
  // (`17*batch` viewed as [17, 1, ...]).
  if (term.symbols.size() < 2 && !trailingOnes) return std::nullopt;
  std::vector<std::pair<size_t, Dim>> found, current;
  int solutions = 0;
  std::vector<bool> used(homes.size(), false);
  std::function<void(size_t)> assign = [&](size_t i) {
    if (solutions > 1) return;
    if (i == term.symbols.size()) {
      int64_t restProduct = 1;
      for (size_t h = 0; h < homes.size(); ++h)
        if (!used[h]) restProduct *= out[homes[h]];
      if (restProduct == term.coeff && ++solutions == 1) found = current;
      return;
    }
    Dim sym = Dim::symbol(term.symbols[i]);
    for (size_t h = 0; h < homes.size(); ++h) {
      if (used[h] || st.traced(sym) != out[homes[h]]) continue;
      // Repeated symbols (batch*batch) are interchangeable: keep their homes in order.
      if (i > 0 && term.symbols[i] == term.symbols[i - 1] && h < current.back().first) continue;
      used[h] = true;
      current.emplace_back(homes[h], sym);
      assign(i + 1);
      current.pop_back();
      used[h] = false;
    }
  };
  assign(0);
  if (solutions != 1) return std::nullopt;
  return found;
}

/// The target entries the Reshape's input proves, or a refusal. `current` is what each entry
/// means now (a 0 resolved to the input dim, a -1 to its traced value).
DynamizeOutcome reshapeEntries(const DynamizeState& st, const Node& n, const std::vector<Dim>& S,
                               const std::vector<int64_t>& in, const std::vector<Dim>& current,
                               const std::vector<int64_t>& out, std::vector<Dim>& D) {
  auto segs = segments(in, out);
  if (!segs) return DynamizeOutcome::none();
  D = current;
  for (const Segment& s : *segs) {
    Dim p = product(S, s.in0, s.in1);
    if (p.isStatic()) continue;
    if (p.isUnknown()) return DynamizeOutcome::none();
    if (s.out0 == s.out1)
      return DynamizeOutcome::refused(&n, "input axes " + std::to_string(s.in0) + ".." + std::to_string(s.in1 - 1) +
                                              " (" + p.str() + ") have no target entry to go to");
    // Entries already computed at run time keep their size; the rest share what remains.
    Dim fixed(1);
    std::vector<size_t> candidates;
    int64_t candidateProduct = 1;
    for (size_t k = s.out0; k < s.out1; ++k) {
      if (current[k].isStatic()) {
        candidates.push_back(k);
        candidateProduct *= out[k];
      } else {
        fixed = fixed * current[k];
      }
    }
    Dim rest = fixed == Dim(1) ? p : exactDiv(p, fixed);
    if (rest.isStatic()) continue;
    // A product of several symbols may be unflattened: each symbol to its own entry (the 1 a
    // batch traced at 1 left may follow the group, as in MultiheadAttention's
    // view(tgt_len, bsz, embed) of [tgt_len*bsz, embed]), when exactly one such split exists.
    std::vector<size_t> homes = candidates;
    for (size_t k = s.out1; k < out.size() && out[k] == 1 && current[k].isStatic(); ++k) homes.push_back(k);
    if (auto split = splitSymbols(st, rest, homes, out, homes.size() > candidates.size())) {
      for (const auto& [k, d] : *split) D[k] = d;
      continue;
    }
    std::vector<std::pair<size_t, Dim>> valid;
    for (size_t k : candidates) {
      Dim dk = exactDiv(rest, Dim(candidateProduct / out[k]));
      if (!dk.isUnknown() && !dk.isStatic() && st.traced(dk) == out[k]) valid.emplace_back(k, dk);
    }
    if (valid.size() > 1) {
      // A weight that multiplies along an entry fixes it: the symbol goes elsewhere.
      std::vector<std::pair<size_t, Dim>> free;
      for (const auto& v : valid)
        if (!axisFixedByWeight(n.output(0), v.first)) free.push_back(v);
      if (!free.empty()) valid = free;
    }
    if (valid.size() > 1) {
      // Layout evidence: a reshape keeps the elements of one index along a dynamic axis
      // together (it never interleaves two batch items), so the entries before the symbolic
      // one hold exactly the static input axes before the first symbolic input axis.
      // Only sound when that axis is one symbol: inside `10*batch` the order is unknown.
      int64_t inPrefix = 1;
      size_t first = s.in0;
      for (; first < s.in1 && S[first].isStatic(); ++first) inPrefix *= in[first];
      if (first == s.in1 || !S[first].asSymbol()) inPrefix = -1;
      std::vector<std::pair<size_t, Dim>> aligned;
      for (const auto& [k, dk] : valid) {
        int64_t outPrefix = 1;
        for (size_t j = s.out0; j < k; ++j) outPrefix *= out[j];
        if (outPrefix == inPrefix) aligned.emplace_back(k, dk);
      }
      if (aligned.size() == 1) valid = aligned;
    }
    if (valid.size() != 1) {
      std::string what = "the " + rest.str() + " elements of input axes " + std::to_string(s.in0) + ".." +
                         std::to_string(s.in1 - 1);
      return DynamizeOutcome::refused(
          &n, valid.empty() ? what + " fit none of target " + entriesText(s.out0, s.out1)
                            : what + " could go to any of target " + entriesText(s.out0, s.out1) +
                                  " (sizes that equal at the traced shape)");
    }
    D[valid[0].first] = valid[0].second;
  }
  return DynamizeOutcome::none();
}

DynamizeOutcome forwardReshape(DynamizeState& st, Node& n) {
  if (st.isPinned(n)) return DynamizeOutcome::none();
  auto view = viewReshape(st, n);
  if (!view) return DynamizeOutcome::none();
  const std::vector<Dim>& S = view->input;
  if (std::none_of(S.begin(), S.end(), [](const Dim& d) { return d.isSymbolic(); })) return DynamizeOutcome::none();
  // Element counts that already agree leave the rule nothing to prove.
  if (view->minusOne < 0 && product(view->current, 0, view->current.size()) == n.input(0)->shape().numElements())
    return DynamizeOutcome::none();
  std::vector<Dim> D;
  DynamizeOutcome o = reshapeEntries(st, n, S, view->in, view->current, view->out, D);
  if (!o.isNone()) return o;
  if (D.empty()) return DynamizeOutcome::none();
  bool differs = false;
  for (size_t k = 0; k < D.size(); ++k)
    if (static_cast<int>(k) != view->minusOne && !(D[k] == view->current[k])) differs = true;
  // A -1 is exact when every other entry is: nothing to do.
  if (!differs) return DynamizeOutcome::none();
  if (!(product(D, 0, D.size()) == n.input(0)->shape().numElements())) return DynamizeOutcome::none();
  return rewriteReshapeTarget(st, n, D);
}

DynamizeOutcome forwardExpand(DynamizeState& st, Node& n) {
  Value* x = n.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked()) return DynamizeOutcome::none();
  auto T = st.contents(n.input(1));
  if (!T) return DynamizeOutcome::none();
  const std::vector<Dim>& X = x->shape().dims();
  std::vector<Dim> next = *T;
  bool changed = false;
  for (size_t k = 0; k < next.size(); ++k) {
    size_t offset = next.size() >= X.size() ? next.size() - X.size() : 0;
    if (k < offset || next.size() < X.size()) continue;
    const Dim& xk = X[k - offset];
    if (!xk.isSymbolic() || !next[k].isStatic() || next[k].value() == 1) continue;
    if (st.traced(xk) == next[k].value()) {
      next[k] = Dim(1);  // Expand keeps the input's own size where the target says 1
      changed = true;
    }
  }
  if (!changed) return DynamizeOutcome::none();
  for (const Dim& d : next)
    if (!st.builder().canBuild(d)) return DynamizeOutcome::none();
  st.replaceOperand(&n, 1, st.builder().shape(next));
  return DynamizeOutcome::rewritten();
}

}  // namespace

std::optional<ReshapeView> viewReshape(const DynamizeState& st, const Node& n) {
  Value* x = n.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked()) return std::nullopt;
  ReshapeView v;
  v.input = x->shape().dims();
  auto T = st.contents(n.input(1));
  if (!T) return std::nullopt;
  bool allowZero = n.intAttr("allowzero", 0) != 0;
  for (const Dim& d : v.input) {
    auto t = st.traced(d);
    if (!t) return std::nullopt;
    v.in.push_back(*t);
  }
  v.current.resize(T->size());
  v.out.resize(T->size());
  int64_t known = 1;
  for (size_t k = 0; k < T->size(); ++k) {
    const Dim& t = (*T)[k];
    if (t.isStatic() && t.value() == 0 && !allowZero) {
      if (k >= v.input.size()) return std::nullopt;
      v.current[k] = v.input[k];
    } else if (t.isStatic() && t.value() == -1) {
      v.minusOne = static_cast<int>(k);
      continue;
    } else {
      v.current[k] = t;
    }
    auto traced = st.traced(v.current[k]);
    if (!traced) return std::nullopt;
    v.out[k] = *traced;
    known *= *traced;
  }
  int64_t total = std::accumulate(v.in.begin(), v.in.end(), int64_t{1}, std::multiplies<>());
  if (v.minusOne >= 0) {
    if (known == 0 || total % known != 0) return std::nullopt;
    v.out[v.minusOne] = total / known;
    v.current[v.minusOne] = Dim(v.out[v.minusOne]);  // a candidate like any traced size
  }
  return v;
}

std::optional<std::pair<size_t, size_t>> singleInputAxisFor(const ReshapeView& v, size_t entry) {
  auto segs = segments(v.in, v.out);
  if (!segs) return std::nullopt;
  for (const Segment& s : *segs)
    if (entry >= s.out0 && entry < s.out1)
      return s.in1 - s.in0 == 1 && s.out1 - s.out0 == 1 ? std::optional(std::pair(s.in0, entry)) : std::nullopt;
  return std::nullopt;
}

DynamizeOutcome rewriteReshapeTarget(DynamizeState& st, Node& n, const std::vector<Dim>& D) {
  const std::vector<Dim>& S = n.input(0)->shape().dims();
  bool allowZero = n.intAttr("allowzero", 0) != 0;
  Dim total(1);
  for (const Dim& d : D) total = total * d;
  bool countsMatch = total == n.input(0)->shape().numElements();
  // Encode: 0 copies an input axis in place, one -1 takes what remains (exact, the element
  // counts being equal), anything else is computed from the input shapes.
  std::vector<Dim> enc(D.size());
  std::vector<size_t> pending;
  for (size_t k = 0; k < D.size(); ++k) {
    if (D[k].isStatic()) enc[k] = D[k];
    else if (!allowZero && k < S.size() && D[k] == S[k]) enc[k] = Dim(0);
    else pending.push_back(k);
  }
  if (pending.size() == 1 && countsMatch) {
    enc[pending[0]] = Dim(-1);
  } else {
    for (size_t k : pending) {
      if (!st.builder().canBuild(D[k]))
        return DynamizeOutcome::refused(&n, "target entry " + std::to_string(k) + " = " + D[k].str() +
                                                " involves a symbol no input axis provides");
      enc[k] = D[k];
    }
  }
  st.replaceOperand(&n, 1, st.builder().shape(enc));
  return DynamizeOutcome::rewritten();
}

DynamizeOutcome dynamizeForward(DynamizeState& st, Node& node) {
  if (isOnnxOp(node, "Reshape")) return forwardReshape(st, node);
  if (isOnnxOp(node, "Expand")) return forwardExpand(st, node);
  return DynamizeOutcome::none();
}

}  // namespace kiln
