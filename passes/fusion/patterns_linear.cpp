// Linear-layer fusions: Gemm from a 2-D MatMul plus a bias (transposes absorbed), and
// kiln.FusedConv from a Conv followed by a residual Add and/or an activation.

#include <cmath>

#include "passes/fusion/pattern.h"
#include "passes/pass_utils.h"

namespace kiln::fusion {
namespace {

bool isFloatTensor(const Value* v) { return v && v->type().isTensor() && isFloat(v->dtype()); }

/// A MatMul operand, possibly a 2-D Transpose the Gemm absorbs as transA/transB.
P gemmOperand(const std::string& name) {
  P t = op("Transpose", {capture(name)}).as(name + "_t").where("perm = [1, 0]", [](const Node& n, const Match&) {
    return n.intsAttr("perm", {1, 0}) == std::vector<int64_t>{1, 0};
  });
  return oneOf({t, capture(name)});
}

FusionPattern gemm() {
  // MatMul(A, B) + C, A and B 2-D, C broadcastable to [M, N] -> Gemm(A, B, C) (Transpose -> trans*)
  P mm = op("MatMul", {gemmOperand("a"), gemmOperand("b")}).as("matmul");
  FusionPattern p{"gemm", "MatMul(A, B) + C -> Gemm(A, B, C), transposes as transA/transB", 2,
                  {op("Add", {mm, capture("c")})}};
  p.precondition = [](const Match& m) -> std::optional<Failure> {
    const Node* mm = m.node("matmul");
    if (rankOf(mm->input(0)) != 2u || rankOf(mm->input(1)) != 2u) return Failure{"MatMul operands are 2-D", mm};
    if (!isFloatTensor(mm->output(0))) return Failure{"MatMul output is a float tensor", mm};
    const Value* c = m.value("c");
    auto cr = rankOf(c);
    if (!cr || *cr > 2) return Failure{"bias has rank <= 2", m.root()};
    // The Add must not broadcast the product up: its output has the product's shape.
    if (!(m.root()->output(0)->shape() == mm->output(0)->shape())) return Failure{"bias broadcasts to [M, N]", m.root()};
    if (c->dtype() != mm->output(0)->dtype()) return Failure{"bias has the product's type", m.root()};
    return std::nullopt;
  };
  p.build = [](const Match& m, Rewriter& rw) -> Value* {
    int64_t ta = m.node("a_t") ? 1 : 0, tb = m.node("b_t") ? 1 : 0;
    std::vector<std::pair<std::string, Attribute>> attrs;
    if (ta) attrs.emplace_back("transA", Attribute(ta));
    if (tb) attrs.emplace_back("transB", Attribute(tb));
    return createBefore(m, rw, "", "Gemm", {m.value("a"), m.value("b"), m.value("c")}, attrs)->output(0);
  };
  return p;
}

P convNode() { return op("Conv", {capture("x"), capture("w")}).withMoreInputs().as("conv"); }

/// Z must have the Conv output's shape: FusedConv adds it without broadcasting.
std::optional<Failure> checkResidual(const Match& m) {
  const Node* conv = m.node("conv");
  if (!isFloatTensor(conv->output(0))) return Failure{"Conv output is a float tensor", conv};
  const Value* z = m.value("z");
  if (!z) return std::nullopt;
  const Shape& out = conv->output(0)->shape();
  if (!out.isRanked() || !z->type().isTensor() || !(z->shape() == out) || z->dtype() != conv->output(0)->dtype())
    return Failure{"residual has the Conv output's shape and type", m.node("add")};
  return std::nullopt;
}

/// The fused node: Conv's inputs and attributes, the residual, and the activation.
Value* buildFusedConv(const Match& m, Rewriter& rw, std::string activation, std::vector<float> params) {
  const Node* conv = m.node("conv");
  std::vector<Value*> in = {conv->input(0), conv->input(1), conv->input(2)};
  if (Value* z = m.value("z")) in.push_back(z);
  while (!in.empty() && !in.back()) in.pop_back();
  std::vector<std::pair<std::string, Attribute>> attrs;
  for (const auto& [name, a] : conv->attributes()) attrs.emplace_back(name, a);
  if (!activation.empty()) attrs.emplace_back("activation", Attribute(activation));
  if (!params.empty()) attrs.emplace_back("activation_params", Attribute(params));
  return createBefore(m, rw, "kiln", "FusedConv", in, attrs)->output(0);
}

FusionPattern convActivation() {
  // act(Conv(x, w, b) [+ z]) -> kiln.FusedConv(x, w, b, z) {activation = act}
  P pre = oneOf({op("Add", {convNode(), capture("z")}).as("add"), convNode()});
  std::vector<P> roots = {op("Relu", {pre}), op("Clip", {pre}).withMoreInputs(), op("HardSwish", {pre}),
                          kilnOp("Silu", {pre}), op("Sigmoid", {pre}), op("LeakyRelu", {pre})};
  FusionPattern p{"conv-activation", "act(Conv(x) + z) -> kiln.FusedConv{activation}", 3, roots};
  p.precondition = [](const Match& m) -> std::optional<Failure> {
    if (auto f = checkResidual(m)) return f;
    const Node* root = m.root();
    if (root->opType() == "Clip")
      for (size_t i = 1; i < root->numInputs(); ++i)
        if (root->input(i) && !scalarValue(root->input(i))) return Failure{"Clip bounds are constant scalars", root};
    return std::nullopt;
  };
  p.build = [](const Match& m, Rewriter& rw) -> Value* {
    const Node* root = m.root();
    std::vector<float> params;
    if (root->opType() == "Clip") {
      auto bound = [&](size_t i, float none) {
        return root->input(i) ? static_cast<float>(*scalarValue(root->input(i))) : none;
      };
      params = {bound(1, -INFINITY), bound(2, INFINITY)};
    } else if (root->opType() == "LeakyRelu") {
      params = {root->floatAttr("alpha", 0.01f)};
    }
    return buildFusedConv(m, rw, root->opType(), params);
  };
  return p;
}

FusionPattern convResidual() {
  // Conv(x, w, b) + z -> kiln.FusedConv(x, w, b, z)
  FusionPattern p{"conv-residual", "Conv(x) + z -> kiln.FusedConv(x, w, b, z)", 1,
                  {op("Add", {convNode(), capture("z")}).as("add")}};
  p.precondition = checkResidual;
  p.build = [](const Match& m, Rewriter& rw) { return buildFusedConv(m, rw, "", {}); };
  return p;
}

}  // namespace

void addLinearPatterns(std::vector<FusionPattern>& out) {
  out.push_back(convActivation());
  out.push_back(gemm());
  out.push_back(convResidual());
}

}  // namespace kiln::fusion
