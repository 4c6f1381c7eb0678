// Expansions of activations newer than the target opset, each the op's ONNX function body:
// Gelu (20), HardSwish (14), Mish (18), Celu (12).

#include <cmath>
#include <numbers>

#include "backends/onnx/adapt_steps.h"

namespace kiln::onnx_backend {
namespace {

/// A scalar constant of `dtype`.
Value* scalar(PendingBuilder& b, DType dtype, double value, std::string_view hint) {
  auto t = opset::numericTensor(dtype, {}, std::span<const double>(&value, 1));
  KILN_ASSERT(t.has_value());
  return b.constant(std::move(*t), hint);
}

/// Gelu, approximate="none":  y = (0.5 * x) * (1 + Erf(x / sqrt(2)))
/// Gelu, approximate="tanh":  y = (0.5 * x) * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
Outcome geluExpansion(AdaptContext& ctx, Node*& node) {
  Value* x = node->input(0);
  DType dtype = opset::knownDType(x);
  if (!isFloat(dtype)) return Outcome::blocked(20, "its element type is not known, so its constants cannot be typed");
  bool tanh = opset::rawString(*node, "approximate", "none") == "tanh";
  if (!tanh && ctx.target < 9) return Outcome::blocked(9, "its exact form needs Erf, which exists from opset 9");
  PendingBuilder b(ctx, node);
  Value* inner;
  if (tanh) {
    Value* cube = b.op("Pow", {x, scalar(b, dtype, 3.0, "three")}, "cube");
    Value* scaled = b.op("Mul", {scalar(b, dtype, 0.044715, "c0"), cube}, "c0_cube");
    Value* sum = b.op("Add", {x, scaled}, "poly");
    Value* arg = b.op("Mul", {scalar(b, dtype, std::sqrt(2.0 / std::numbers::pi), "sqrt_2_over_pi"), sum}, "inner");
    inner = b.op("Tanh", {arg}, "tanh");
  } else {
    Value* arg = b.op("Div", {x, scalar(b, dtype, std::numbers::sqrt2, "sqrt2")}, "x_over_sqrt2");
    inner = b.op("Erf", {arg}, "erf");
  }
  Value* onePlus = b.op("Add", {scalar(b, dtype, 1.0, "one"), inner}, "one_plus");
  Value* halfX = b.op("Mul", {scalar(b, dtype, 0.5, "half"), x}, "half_x");
  Value* y = b.op("Mul", {halfX, onePlus}, "gelu");
  opset::replaceNodeWith(node, {y});
  node = nullptr;
  return Outcome::expanded();
}

/// HardSwish(x) = x * HardSigmoid(x, alpha = 1/6, beta = 0.5)
Outcome hardSwishExpansion(AdaptContext& ctx, Node*& node) {
  PendingBuilder b(ctx, node);
  Node* hs = b.node("HardSigmoid", {node->input(0)}, "hard_sigmoid");
  hs->setAttr("alpha", Attribute(1.0f / 6.0f));
  hs->setAttr("beta", Attribute(0.5f));
  Value* y = b.op("Mul", {node->input(0), hs->output(0)}, "hard_swish");
  opset::replaceNodeWith(node, {y});
  node = nullptr;
  return Outcome::expanded();
}

/// Mish(x) = x * Tanh(Softplus(x))
Outcome mishExpansion(AdaptContext& ctx, Node*& node) {
  PendingBuilder b(ctx, node);
  Value* t = b.op("Tanh", {b.op("Softplus", {node->input(0)}, "softplus")}, "tanh");
  Value* y = b.op("Mul", {node->input(0), t}, "mish");
  opset::replaceNodeWith(node, {y});
  node = nullptr;
  return Outcome::expanded();
}

/// Celu(x) = alpha * Elu(x / alpha, alpha = 1)   (Celu is float32 only)
Outcome celuExpansion(AdaptContext& ctx, Node*& node) {
  float alpha = opset::rawFloat(*node, "alpha", 1.0f);
  PendingBuilder b(ctx, node);
  Value* a = b.constant(opset::floatTensor({alpha}, true), "alpha");
  Node* elu = b.node("Elu", {b.op("Div", {node->input(0), a}, "x_over_alpha")}, "elu");
  elu->setAttr("alpha", Attribute(1.0f));
  Value* y = b.op("Mul", {a, elu->output(0)}, "celu");
  opset::replaceNodeWith(node, {y});
  node = nullptr;
  return Outcome::expanded();
}

}  // namespace

void addActivationAdapters(AdaptTables& t) {
  t.expansions.push_back({"Gelu", "geluExpansion", 7, geluExpansion});
  t.expansions.push_back({"HardSwish", "hardSwishExpansion", 7, hardSwishExpansion});
  t.expansions.push_back({"Mish", "mishExpansion", 7, mishExpansion});
  t.expansions.push_back({"Celu", "celuExpansion", 7, celuExpansion});
}

}  // namespace kiln::onnx_backend
