// Activation fusions: GELU (erf and tanh forms), SiLU, HardSwish, Mish. Each becomes one op:
// the standard one where the canonical opset has it (Gelu, HardSwish, Mish), else kiln.Silu.
// Associativity is spelled out as root alternatives; operand order is the matcher's job.

#include <cmath>
#include <numbers>

#include "passes/fusion/pattern.h"

namespace kiln::fusion {
namespace {

/// The three ways exporters group x * 0.5 * f: (x*f)*0.5, (x*0.5)*f, x*(f*0.5).
std::vector<P> halfProduct(const P& x, const P& f) {
  return {op("Mul", {op("Mul", {x, f}), scalar(0.5)}), op("Mul", {op("Mul", {x, scalar(0.5)}), f}),
          op("Mul", {x, op("Mul", {f, scalar(0.5)})})};
}

/// The activation input must be a float tensor: the fused ops are defined on floats only.
std::optional<Failure> floatInput(const Match& m) {
  const Value* x = m.value("x");
  if (!x->type().isTensor() || !isFloat(x->dtype())) return Failure{"input is a float tensor", m.root()};
  return std::nullopt;
}

Builder unary(std::string domain, std::string opType, std::vector<std::pair<std::string, Attribute>> attrs = {}) {
  return [=](const Match& m, Rewriter& rw) {
    return createBefore(m, rw, domain, opType, {m.value("x")}, attrs)->output(0);
  };
}

FusionPattern geluErf() {
  // x * 0.5 * (1 + erf(x / sqrt 2)) -> Gelu(x)
  P x = capture("x");
  P scaled = oneOf({op("Div", {x, scalar(std::numbers::sqrt2)}), op("Mul", {x, scalar(1.0 / std::numbers::sqrt2)})});
  P onePlusErf = op("Add", {op("Erf", {scaled}), scalar(1.0)});
  return {"gelu-erf", "x * 0.5 * (1 + erf(x / sqrt 2)) -> Gelu(x)", 6, halfProduct(x, onePlusErf), floatInput,
          unary("", "Gelu", {{"approximate", Attribute("none")}})};
}

FusionPattern geluTanh() {
  // x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))) -> Gelu(x, approximate=tanh)
  P x = capture("x");
  P cube = oneOf({op("Pow", {x, scalar(3.0)}), op("Mul", {x, op("Mul", {x, x})})});
  P poly = op("Add", {x, op("Mul", {cube, scalar(0.044715)})});
  P inner = op("Mul", {poly, scalar(std::sqrt(2.0 / std::numbers::pi))});
  P onePlusTanh = op("Add", {op("Tanh", {inner}), scalar(1.0)});
  return {"gelu-tanh", "x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) -> Gelu(x, tanh)", 8,
          halfProduct(x, onePlusTanh), floatInput, unary("", "Gelu", {{"approximate", Attribute("tanh")}})};
}

FusionPattern silu() {
  // x * sigmoid(x) -> kiln.Silu(x)
  P x = capture("x");
  return {"silu", "x * sigmoid(x) -> kiln.Silu(x)", 2, {op("Mul", {x, op("Sigmoid", {x})})}, floatInput,
          unary("kiln", "Silu")};
}

FusionPattern hardSwish() {
  // x * HardSigmoid(x; 1/6, 1/2) = x * relu6(x + 3) / 6 -> HardSwish(x)
  P x = capture("x");
  P hardSigmoid = op("HardSigmoid", {x}).where("alpha ~= 1/6 and beta ~= 1/2", [](const Node& n, const Match&) {
    return std::abs(n.floatAttr("alpha", 0.2f) - 1.0f / 6.0f) < 1e-5f && std::abs(n.floatAttr("beta", 0.5f) - 0.5f) < 1e-6f;
  });
  P relu6 = op("Clip", {op("Add", {x, scalar(3.0)}), scalar(0.0), scalar(6.0)});
  std::vector<P> roots = {op("Mul", {x, hardSigmoid}),
                          op("Div", {op("Mul", {x, relu6}), scalar(6.0)}),
                          op("Mul", {x, op("Div", {relu6, scalar(6.0)})}),
                          op("Mul", {op("Mul", {x, relu6}), scalar(1.0 / 6.0)}),
                          op("Mul", {x, op("Mul", {relu6, scalar(1.0 / 6.0)})})};
  return {"hard-swish", "x * relu6(x + 3) / 6 -> HardSwish(x)", 3, roots, floatInput, unary("", "HardSwish")};
}

FusionPattern mish() {
  // x * tanh(softplus(x)) -> Mish(x), softplus also spelled log(exp(x) + 1)
  P x = capture("x");
  P softplus = oneOf({op("Softplus", {x}), op("Log", {op("Add", {op("Exp", {x}), scalar(1.0)})})});
  return {"mish", "x * tanh(softplus(x)) -> Mish(x)", 4, {op("Mul", {x, op("Tanh", {softplus})})}, floatInput,
          unary("", "Mish")};
}

}  // namespace

void addActivationPatterns(std::vector<FusionPattern>& out) {
  out.push_back(geluTanh());
  out.push_back(geluErf());
  out.push_back(mish());
  out.push_back(hardSwish());
  out.push_back(silu());
}

}  // namespace kiln::fusion
