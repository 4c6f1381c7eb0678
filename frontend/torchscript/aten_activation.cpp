// Activations: one ONNX op where ONNX has it at kiln's canonical version (the emitter expands
// it for older opsets), a short formula otherwise.

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;
using Attrs = std::vector<std::pair<std::string, Attribute>>;

/// The op on input 0 with attributes computed from the node's constant arguments.
AtenConverter withAttrs(std::string op, std::function<Expected<Attrs>(LoweringContext&, const Node&)> attrs) {
  return [op, attrs](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    auto a = attrs ? attrs(ctx, n) : Attrs{};
    if (!a) return a.takeStatus();
    ctx.define(n.output(), ctx.emit(op, {*x}, a.take()));
    return Status::ok();
  };
}

AtenConverter plain(std::string op) { return withAttrs(std::move(op), nullptr); }

/// A float argument at `index` (default when absent) as attribute `name`.
std::function<Expected<Attrs>(LoweringContext&, const Node&)> floatArg(std::string name, size_t index, double fallback) {
  return [name, index, fallback](LoweringContext& ctx, const Node& n) -> Expected<Attrs> {
    double v = fallback;
    if (index < n.inputs().size() && !ctx.isNone(n.input(index))) {
      auto d = ctx.constDouble(n.input(index));
      if (!d) return d.takeStatus();
      v = *d;
    }
    return Attrs{{name, static_cast<float>(v)}};
  };
}

Status lowerGelu(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  std::string approximate = "none";
  if (n.inputs().size() > 1) {
    auto a = ctx.constString(n.input(1));
    if (!a) return a.takeStatus();
    approximate = *a;
  }
  ctx.define(n.output(), ctx.emit("Gelu", {*x}, {{"approximate", approximate}}));
  return Status::ok();
}

// silu(x) = x * sigmoid(x)
Status lowerSilu(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  ctx.define(n.output(), ctx.emit("Mul", {*x, ctx.emit("Sigmoid", {*x})}));
  return Status::ok();
}

// softplus(x, beta, threshold) = log(1 + exp(beta x)) / beta; PyTorch's linear region above
// `threshold` agrees with it to float precision.
Status lowerSoftplus(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  double beta = 1;
  if (n.inputs().size() > 1) {
    auto b = ctx.constDouble(n.input(1));
    if (!b) return b.takeStatus();
    beta = *b;
  }
  if (beta == 1) {
    ctx.define(n.output(), ctx.emit("Softplus", {*x}));
  } else {
    Value* b = ctx.scalar(beta, (*x)->dtype());
    ctx.define(n.output(), ctx.emit("Div", {ctx.emit("Softplus", {ctx.emit("Mul", {*x, b})}), b}));
  }
  return Status::ok();
}

// elu(x, alpha, scale, input_scale) = scale * Elu_alpha(input_scale * x)
Status lowerElu(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  double alpha = 1, scale = 1, inputScale = 1;
  double* args[] = {&alpha, &scale, &inputScale};
  for (size_t i = 1; i < n.inputs().size() && i <= 3; ++i) {
    auto d = ctx.constDouble(n.input(i));
    if (!d) return d.takeStatus();
    *args[i - 1] = *d;
  }
  Value* in = inputScale == 1 ? *x : ctx.emit("Mul", {*x, ctx.scalar(inputScale, (*x)->dtype())});
  Value* out = ctx.emit("Elu", {in}, {{"alpha", static_cast<float>(alpha)}});
  if (scale != 1) out = ctx.emit("Mul", {out, ctx.scalar(scale, (*x)->dtype())});
  ctx.define(n.output(), out);
  return Status::ok();
}

/// hardtanh(x, lo, hi) and relu6 = Clip.
AtenConverter clipBetween(std::optional<double> lo, std::optional<double> hi) {
  return [lo, hi](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    double bounds[2] = {lo.value_or(-1), hi.value_or(1)};
    for (size_t i = 1; i < n.inputs().size() && i <= 2 && !(lo && hi); ++i) {
      auto d = ctx.constDouble(n.input(i));
      if (!d) return d.takeStatus();
      bounds[i - 1] = *d;
    }
    DType dt = (*x)->dtype();
    ctx.define(n.output(), ctx.emit("Clip", {*x, ctx.scalar(bounds[0], dt), ctx.scalar(bounds[1], dt)}));
    return Status::ok();
  };
}

}  // namespace

void registerActivationConverters(ConverterTable& t) {
  t["aten::relu"] = plain("Relu");
  t["aten::gelu"] = lowerGelu;
  t["aten::silu"] = lowerSilu;
  t["aten::hardswish"] = plain("HardSwish");
  t["aten::hardsigmoid"] = withAttrs("HardSigmoid", [](LoweringContext&, const Node&) -> Expected<Attrs> {
    return Attrs{{"alpha", 1.0f / 6.0f}, {"beta", 0.5f}};
  });
  t["aten::mish"] = plain("Mish");
  t["aten::elu"] = lowerElu;
  t["aten::selu"] = plain("Selu");
  t["aten::celu"] = withAttrs("Celu", floatArg("alpha", 1, 1.0));
  t["aten::leaky_relu"] = withAttrs("LeakyRelu", floatArg("alpha", 1, 0.01));
  t["aten::softplus"] = lowerSoftplus;
  t["aten::softsign"] = plain("Softsign");
  t["aten::hardtanh"] = clipBetween(std::nullopt, std::nullopt);
  t["aten::relu6"] = clipBetween(0.0, 6.0);
  t["aten::prelu"] = [](LoweringContext& ctx, const Node& n) -> Status {
    auto xs = lowerInputs(ctx, n, {0, 1});
    if (!xs) return xs.takeStatus();
    Value* slope = (*xs)[1];
    // PyTorch's weight is per channel (axis 1); ONNX broadcasts from the right.
    if (auto rank = LoweringContext::rankOf((*xs)[0]); rank && *rank > 2 && LoweringContext::rankOf(slope) == 1) {
      std::vector<int64_t> axes;
      for (int64_t i = 1; i < *rank - 1; ++i) axes.push_back(i);
      slope = ctx.emit("Unsqueeze", {slope, ctx.i64s(axes)});
    }
    ctx.define(n.output(), ctx.emit("PRelu", {(*xs)[0], slope}));
    return Status::ok();
  };
}

}  // namespace kiln::torchscript
