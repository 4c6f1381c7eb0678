// Scaled dot-product attention: Softmax(scale * Q K^T + mask) V into kiln.Attention. The scale
// may be a Div or Mul on Q or on the scores; the mask an additive Add or a boolean Where
// (torch's masked_fill). K^T is whatever the exporter produced; the fused op takes K and the
// builder adds the inverse transpose, which the ONNX expansion merges back.

#include <numeric>

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

}  // namespace

void addAttentionPatterns(std::vector<FusionPattern>& out) { out.push_back(attention()); }

}  // namespace kiln::fusion
