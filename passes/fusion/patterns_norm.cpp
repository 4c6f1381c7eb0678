// Normalization fusions: LayerNormalization (the mean/variance chain exporters emit below opset
// 17) and RMSNorm. Preconditions: both reductions keep dims and reduce the same trailing axes,
// epsilon is a constant scalar, scale and bias have exactly the normalized shape.

#include <algorithm>

#include "passes/fusion/pattern.h"
#include "passes/pass_utils.h"

namespace kiln::fusion {
namespace {

P reduceMean(P input, std::string axesName, std::string nodeName) {
  return op("ReduceMean", {std::move(input), constant(std::move(axesName))})
      .as(std::move(nodeName))
      .where("keepdims = 1", [](const Node& n, const Match&) { return n.intAttr("keepdims", 1) == 1; });
}

/// The first normalized axis when `axes` are the trailing axes of a rank-`rank` tensor.
std::optional<int64_t> trailingAxis(const Value* axesValue, size_t rank) {
  auto axes = constantInts(axesValue);
  if (!axes || axes->empty()) return std::nullopt;
  std::vector<int64_t> a = *axes;
  for (int64_t& v : a) if (v < 0) v += static_cast<int64_t>(rank);
  std::sort(a.begin(), a.end());
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != static_cast<int64_t>(rank - a.size() + i)) return std::nullopt;
  return a.front();
}

/// Checks shared by both norms; fills `axis` and `normalized` (the normalized static dims).
std::optional<Failure> checkNorm(const Match& m, int64_t& axis, std::vector<int64_t>& normalized) {
  const Value* x = m.value("x");
  if (!x->type().isTensor() || !isFloat(x->dtype())) return Failure{"input is a float tensor", m.root()};
  if (!rankOf(x)) return Failure{"input rank is known", m.root()};
  auto first = trailingAxis(m.value("axes"), *rankOf(x));
  if (!first) return Failure{"reduction axes are the trailing axes", m.node("mean_sq")};
  if (Value* a2 = m.value("axes2"); a2 && constantInts(a2) != constantInts(m.value("axes")))
    return Failure{"both reductions use the same axes", m.node("mean_sq")};
  axis = *first;
  // Scale and bias must have the normalized shape exactly (ONNX LayerNormalization's rule),
  // and a missing scale becomes a constant of ones of that shape: the dims must be static.
  const auto& xs = x->shape().dims();
  for (size_t i = static_cast<size_t>(axis); i < xs.size(); ++i) {
    if (!xs[i].isStatic()) return Failure{"normalized dims are static", m.root()};
    normalized.push_back(xs[i].value());
  }
  for (const char* name : {"scale", "bias"}) {
    const Value* v = m.value(name);
    if (!v) continue;
    auto d = staticDims(v);
    if (!d || *d != normalized)
      return Failure{std::string(name) + " has the normalized shape", m.root()};
  }
  auto eps = scalarValue(m.value("eps"));
  if (!eps || *eps < 0) return Failure{"epsilon is a non-negative constant scalar", m.root()};
  return std::nullopt;
}

Tensor ones(DType dtype, const std::vector<int64_t>& dims) {
  Tensor t = Tensor::zeros(dtype, dims);
  if (dtype == DType::Float64) for (double& v : t.mutableData<double>()) v = 1.0;
  else for (float& v : t.mutableData<float>()) v = 1.0f;
  return t;
}

/// Root alternatives: the normalized value n, times scale, plus bias.
std::vector<P> affine(const P& n) {
  return {op("Add", {op("Mul", {n, capture("scale")}), capture("bias")}), op("Mul", {n, capture("scale")}), n};
}

FusionPattern layerNorm() {
  // (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * scale + bias -> LayerNormalization
  P x = capture("x");
  P d = op("Sub", {x, reduceMean(x, "axes", "mean")}).as("centered");
  P square = oneOf({op("Pow", {d, scalar(2.0)}), op("Mul", {d, d})});
  P stddev = op("Sqrt", {op("Add", {reduceMean(square, "axes2", "mean_sq"), constant("eps")})});
  P n = oneOf({op("Div", {d, stddev}), op("Mul", {d, op("Reciprocal", {stddev})})});
  FusionPattern p{"layer-norm", "(x - mean) / sqrt(var + eps) * scale + bias -> LayerNormalization", 9, affine(n)};
  p.precondition = [](const Match& m) -> std::optional<Failure> {
    int64_t axis = 0;
    std::vector<int64_t> normalized;
    if (auto f = checkNorm(m, axis, normalized)) return f;
    if (m.value("x")->dtype() != DType::Float32 && m.value("x")->dtype() != DType::Float64)
      return Failure{"input is float32 or float64", m.root()};
    return std::nullopt;
  };
  p.build = [](const Match& m, Rewriter& rw) -> Value* {
    int64_t axis = 0;
    std::vector<int64_t> normalized;
    checkNorm(m, axis, normalized);
    Value* x = m.value("x");
    Value* scale = m.value("scale");
    if (!scale) scale = constantBefore(m, rw, ones(x->dtype(), normalized), "ln_scale");
    std::vector<Value*> in = {x, scale};
    if (Value* b = m.value("bias")) in.push_back(b);
    return createBefore(m, rw, "", "LayerNormalization", in,
                        {{"axis", Attribute(axis)}, {"epsilon", Attribute(static_cast<float>(*scalarValue(m.value("eps"))))}})
        ->output(0);
  };
  return p;
}

FusionPattern rmsNorm() {
  // x / sqrt(mean(x^2) + eps) * scale -> kiln.RMSNorm(x, scale)
  P x = capture("x");
  P square = oneOf({op("Pow", {x, scalar(2.0)}), op("Mul", {x, x})});
  P rms = op("Sqrt", {op("Add", {reduceMean(square, "axes", "mean_sq"), constant("eps")})});
  P n = oneOf({op("Div", {x, rms}), op("Mul", {x, op("Reciprocal", {rms})})});
  FusionPattern p{"rms-norm", "x / sqrt(mean(x^2) + eps) * scale -> kiln.RMSNorm", 6,
                  {op("Mul", {n, capture("scale")}), n}};
  p.precondition = [](const Match& m) -> std::optional<Failure> {
    int64_t axis = 0;
    std::vector<int64_t> normalized;
    return checkNorm(m, axis, normalized);
  };
  p.build = [](const Match& m, Rewriter& rw) -> Value* {
    int64_t axis = 0;
    std::vector<int64_t> normalized;
    checkNorm(m, axis, normalized);
    Value* x = m.value("x");
    Value* scale = m.value("scale");
    if (!scale) scale = constantBefore(m, rw, ones(x->dtype(), normalized), "rms_scale");
    return createBefore(m, rw, "kiln", "RMSNorm", {x, scale},
                        {{"axis", Attribute(axis)}, {"epsilon", Attribute(static_cast<float>(*scalarValue(m.value("eps"))))}})
        ->output(0);
  };
  return p;
}

}  // namespace

void addNormalizationPatterns(std::vector<FusionPattern>& out) {
  out.push_back(layerNorm());
  out.push_back(rmsNorm());
}

}  // namespace kiln::fusion
