// Scaled dot-product attention: Softmax(scale * Q K^T + mask) V into kiln.Attention. The scale
// may be a Div or Mul on Q or on the scores; the mask an additive Add or a boolean Where
// (torch's masked_fill). K^T is whatever the exporter produced; the fused op takes K and the
// builder adds the inverse transpose, which the ONNX expansion merges back. A second pattern
// then folds the head split (Reshape + Transpose of Q, K, V) and the head merge (Transpose +
// Reshape) around kiln.Attention into kiln.MultiHeadAttention.

#include <numeric>
#include <optional>

#include "passes/fusion/pattern.h"
#include "passes/pass_utils.h"

namespace kiln::fusion {
namespace {

/// `x`, `x / c` or `x * c` with a constant scalar c named `name`.
P maybeScaled(const P& x, const std::string& name) {
  return oneOf({op("Div", {x, anyScalar(name + "_div")}), op("Mul", {x, anyScalar(name + "_mul")}), x});
}

double scaleOf(const Match& m, const std::string& name) {
  if (Value* d = m.value(name + "_div")) return 1.0 / *scalarValue(d);
  if (Value* v = m.value(name + "_mul")) return *scalarValue(v);
  return 1.0;
}

FusionPattern attention() {
  // Softmax(scale * Q K^T + mask) V -> kiln.Attention(Q, K, V, mask){scale}
  P scores = op("MatMul", {maybeScaled(capture("q"), "q"), capture("kt")}).as("qk");
  P scaled = maybeScaled(scores, "s");
  P masked = oneOf({op("Add", {scaled, capture("mask")}).as("add_mask"),
                    op("Where", {capture("bool_mask"), anyScalar("fill"), scaled}).as("where_mask"), scaled});
  // Below opset 13 Softmax worked on a 2-D view; the importer spells that as Flatten, Softmax,
  // Reshape, which is a last-axis Softmax when the Flatten keeps the last axis alone.
  P flatSoftmax = op("Reshape", {op("Softmax", {op("Flatten", {masked}).as("flatten")}).as("softmax"), capture()})
                      .as("unflatten");
  P probs = oneOf({op("Softmax", {masked}).as("softmax"), flatSoftmax});
  FusionPattern p{"attention", "Softmax(scale * Q K^T + mask) V -> kiln.Attention", 8,
                  {op("MatMul", {probs, capture("v")})}};
  p.precondition = [](const Match& m) -> std::optional<Failure> {
    const Node* qk = m.node("qk");
    auto rq = rankOf(m.value("q")), rk = rankOf(m.value("kt")), rv = rankOf(m.value("v"));
    if (!rq || !rk || !rv || *rq < 2 || *rq != *rk || *rq != *rv) return Failure{"Q, K^T and V have one known rank >= 2", qk};
    if (!isFloat(m.value("q")->dtype())) return Failure{"Q is a float tensor", qk};
    const Node* sm = m.node("softmax");
    int64_t axis = sm->intAttr("axis", -1);
    const Shape& s = qk->output(0)->shape();
    if (const Node* flatten = m.node("flatten")) {
      if (flatten->intAttr("axis", 1) != static_cast<int64_t>(*rq) - 1 || !(m.node("unflatten")->output(0)->shape() == s))
        return Failure{"Flatten keeps the last axis and Reshape restores the scores' shape", flatten};
      axis = -1;
    }
    if (axis != -1 && axis != static_cast<int64_t>(*rq) - 1) return Failure{"Softmax is over the last axis", sm};
    if (const Node* add = m.node("add_mask")) {
      if (!(add->output(0)->shape() == s) || !isFloat(m.value("mask")->dtype()))
        return Failure{"the additive mask is float and does not broadcast the scores up", add};
    }
    if (const Node* where = m.node("where_mask")) {
      if (!(where->output(0)->shape() == s) || m.value("bool_mask")->dtype() != DType::Bool)
        return Failure{"the boolean mask does not broadcast the scores up", where};
    }
    return std::nullopt;
  };
  p.build = [](const Match& m, Rewriter& rw) -> Value* {
    Value* kt = m.value("kt");
    size_t rank = *rankOf(kt);
    std::vector<int64_t> swap(rank);
    std::iota(swap.begin(), swap.end(), 0);
    std::swap(swap[rank - 1], swap[rank - 2]);
    Value* k = createBefore(m, rw, "", "Transpose", {kt}, {{"perm", Attribute(swap)}}, kt->name() + "_key")->output(0);
    std::vector<Value*> in = {m.value("q"), k, m.value("v")};
    std::vector<std::pair<std::string, Attribute>> attrs = {
        {"scale", Attribute(static_cast<float>(scaleOf(m, "q") * scaleOf(m, "s")))}};
    if (Value* mask = m.value("mask")) in.push_back(mask);
    if (Value* mask = m.value("bool_mask")) {
      in.push_back(mask);
      attrs.emplace_back("masked_value", Attribute(static_cast<float>(*scalarValue(m.value("fill")))));
    }
    return createBefore(m, rw, "kiln", "Attention", in, attrs)->output(0);
  };
  return p;
}

/// `Transpose(...(Reshape(x)))` with one to three Transposes (exporters split heads and
/// transpose K in one or two steps; kiln.Attention's builder adds one more on K), the Reshape
/// named `name`.
P headSplit(const std::string& name, const std::string& x) {
  P reshape = op("Reshape", {capture(x), capture()}).as(name);
  P t1 = op("Transpose", {reshape});
  P t2 = op("Transpose", {t1});
  return oneOf({op("Transpose", {t2}), t2, t1});
}

/// The layout a head split reads, from the composed permutation of its Transposes and its
/// Reshape: {num_heads, "BSH" or "SBH"} or nullopt. BSH: [B, S, H*D] -> [B, S, H, D] -> perm;
/// SBH (torch): [S, B, H*D] -> [S, B*H, D] -> perm.
struct Split {
  int64_t heads = 0;
  std::string layout;
  std::vector<int64_t> perm;
};
std::optional<Split> readSplit(const Value* headsValue, const Node* reshape) {
  std::vector<int64_t> composed;
  const Value* v = headsValue;
  for (const Node* t = v->producer(); t && t->opType() == "Transpose"; t = v->producer()) {
    std::vector<int64_t> p = t->intsAttr("perm");
    if (composed.empty()) composed = p;
    else if (p.size() != composed.size()) return std::nullopt;
    else for (auto& c : composed) c = p[static_cast<size_t>(c)];
    v = t->input(0);
  }
  auto in = staticDims(reshape->input(0)), out = staticDims(reshape->output(0));
  if (!in || !out || in->size() != 3 || composed.size() != out->size()) return std::nullopt;
  if (out->size() == 4 && (*in)[0] == (*out)[0] && (*in)[1] == (*out)[1] && (*out)[2] * (*out)[3] == (*in)[2])
    return Split{(*out)[2], "BSH", composed};
  if (out->size() == 3 && (*in)[0] == (*out)[0] && (*in)[1] > 0 && (*out)[1] % (*in)[1] == 0 &&
      (*out)[1] / (*in)[1] * (*out)[2] == (*in)[2])
    return Split{(*out)[1] / (*in)[1], "SBH", composed};
  return std::nullopt;
}

FusionPattern multiHeadAttention() {
  // merge(Attention(split(Xq), split(Xk)^T, split(Xv), mask)) -> kiln.MultiHeadAttention(Xq, Xk, Xv, mask){num_heads}
  P attn = kilnOp("Attention", {headSplit("q_split", "xq"), headSplit("k_split", "xk"), headSplit("v_split", "xv")})
               .withMoreInputs()
               .as("attn");
  FusionPattern p{"multi-head-attention",
                  "Reshape(Transpose(kiln.Attention(split heads of Q, K, V))) -> kiln.MultiHeadAttention", 12,
                  {op("Reshape", {op("Transpose", {attn}).as("merge_t"), capture()}).as("merge")}};
  p.precondition = [](const Match& m) -> std::optional<Failure> {
    const Node* attn = m.node("attn");
    auto q = readSplit(attn->input(0), m.node("q_split")), k = readSplit(attn->input(1), m.node("k_split")),
         v = readSplit(attn->input(2), m.node("v_split"));
    if (!q || !k || !v) return Failure{"Q, K and V are 3-D with static shapes split into heads by a Reshape", attn};
    if (q->heads != k->heads || q->heads != v->heads || q->layout != k->layout || q->layout != v->layout)
      return Failure{"Q, K and V have one layout and one head count", attn};
    bool bsh = q->layout == "BSH";
    std::vector<int64_t> heads = bsh ? std::vector<int64_t>{0, 2, 1, 3} : std::vector<int64_t>{1, 0, 2};
    // K arrives as kiln.Attention's K (not K^T): the same split as Q and V.
    if (q->perm != heads || k->perm != heads || v->perm != heads)
      return Failure{"the Transposes move the head axis before the sequence axis", attn};
    if (m.node("merge_t")->intsAttr("perm") != heads) return Failure{"the merge Transpose undoes the head split", m.node("merge_t")};
    // The mask keeps its meaning: it broadcasts to the scores of kiln.Attention, which are
    // kiln.MultiHeadAttention's scores in the same layout ([B, H, S, L] or [B*H, S, L]).
    auto merged = staticDims(m.node("merge")->output(0)), x = staticDims(m.value("xq"));
    auto xv = staticDims(m.value("xv"));
    if (!x || !xv) return Failure{"Q and V have static shapes", attn};
    int64_t count = 1;
    for (int64_t d : merged.value_or(std::vector<int64_t>{-1})) count *= d;
    int64_t want = (*x)[0] * (*x)[1] * (*xv)[2];
    if (!merged || count != want) return Failure{"the merge Reshape keeps the attention's elements", m.node("merge")};
    return std::nullopt;
  };
  p.build = [](const Match& m, Rewriter& rw) -> Value* {
    const Node* attn = m.node("attn");
    auto q = readSplit(attn->input(0), m.node("q_split"));
    std::vector<Value*> in = {m.value("xq"), m.value("xk"), m.value("xv")};
    if (attn->numInputs() > 3 && attn->input(3)) in.push_back(attn->input(3));
    std::vector<std::pair<std::string, Attribute>> attrs = {{"num_heads", Attribute(q->heads)},
                                                            {"layout", Attribute(q->layout)},
                                                            {"scale", Attribute(attn->floatAttr("scale", 1.0f))}};
    if (const Attribute* mv = attn->attr("masked_value")) attrs.emplace_back("masked_value", *mv);
    Node* mha = createBefore(m, rw, "kiln", "MultiHeadAttention", in, attrs);
    Value* y = mha->output(0);
    const Node* merge = m.node("merge");
    if (y->shape() == merge->output(0)->shape()) return y;
    if (!merge->name().empty()) mha->setName(merge->name() + "_heads");
    // torch flattens the merged heads straight to [S*B, E] for the output projection.
    return createBefore(m, rw, "", "Reshape", {y, merge->input(1)})->output(0);
  };
  return p;
}

}  // namespace

void addAttentionPatterns(std::vector<FusionPattern>& out) {
  out.push_back(attention());
  out.push_back(multiHeadAttention());
}

}  // namespace kiln::fusion
