// Arithmetic, comparison and math on tensors and on the Python numbers a trace records
// (aten::size results, scalars): PyTorch's type promotion, then the ONNX op.

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;

bool isFloating(DType d) {
  return d == DType::Float32 || d == DType::Float64 || d == DType::Float16 || d == DType::BFloat16;
}

/// Both operands lowered and cast to their promoted dtype.
Expected<std::pair<Value*, Value*>> promotedOperands(LoweringContext& ctx, const torch::jit::Value* a,
                                                     const torch::jit::Value* b, DType* dtypeOut = nullptr) {
  auto dtype = promotedDType(ctx, {a, b});
  if (!dtype) return dtype.takeStatus();
  auto va = ctx.tensor(a), vb = ctx.tensor(b);
  if (!va) return va.takeStatus();
  if (!vb) return vb.takeStatus();
  if (dtypeOut) *dtypeOut = *dtype;
  return std::make_pair(ctx.cast(*va, *dtype), ctx.cast(*vb, *dtype));
}

/// `other * alpha` for add/sub's alpha argument (absent or 1: `other`).
Expected<Value*> scaledByAlpha(LoweringContext& ctx, const Node& n, Value* other) {
  if (n.inputs().size() < 3 || ctx.isNone(n.input(2))) return other;
  auto alpha = ctx.constDouble(n.input(2));
  if (!alpha) return alpha.takeStatus();
  if (*alpha == 1.0) return other;
  return ctx.emit("Mul", {other, ctx.scalar(*alpha, other->dtype())});
}

AtenConverter binary(std::string op, bool hasAlpha = false, bool reversed = false) {
  return [op, hasAlpha, reversed](LoweringContext& ctx, const Node& n) -> Status {
    auto ab = promotedOperands(ctx, n.input(0), n.input(1));
    if (!ab) return ab.takeStatus();
    auto [a, b] = *ab;
    if (reversed) std::swap(a, b);
    if (hasAlpha) {
      auto scaled = scaledByAlpha(ctx, n, reversed ? a : b);
      if (!scaled) return scaled.takeStatus();
      (reversed ? a : b) = *scaled;
    }
    ctx.define(n.output(), ctx.emit(op, {a, b}));
    return Status::ok();
  };
}

/// True division promotes integers to float; `rounding_mode` 'floor' / 'trunc' rounds.
Status lowerDiv(LoweringContext& ctx, const Node& n, std::optional<std::string> roundingMode) {
  DType dtype;
  auto ab = promotedOperands(ctx, n.input(0), n.input(1), &dtype);
  if (!ab) return ab.takeStatus();
  auto [a, b] = *ab;
  if (n.inputs().size() > 2 && !ctx.isNone(n.input(2))) {
    auto mode = ctx.constString(n.input(2));
    if (!mode) return mode.takeStatus();
    roundingMode = *mode;
  }
  Value* out;
  if (!roundingMode) {
    if (!isFloating(dtype)) a = ctx.cast(a, DType::Float32), b = ctx.cast(b, DType::Float32);
    out = ctx.emit("Div", {a, b});
  } else if (isFloating(dtype)) {
    Value* q = ctx.emit("Div", {a, b});
    if (*roundingMode == "floor") {
      out = ctx.emit("Floor", {q});
    } else {  // trunc: toward zero
      Value* sign = ctx.emit("Sign", {q});
      out = ctx.emit("Mul", {sign, ctx.emit("Floor", {ctx.emit("Abs", {q})})});
    }
  } else if (*roundingMode == "trunc") {
    out = ctx.emit("Div", {a, b});  // ONNX integer Div truncates
  } else {
    // floor for integers: truncation, minus one where the signs differ and it was inexact.
    Value* q = ctx.emit("Div", {a, b});
    Value* inexact = ctx.emit("Not", {ctx.emit("Equal", {ctx.emit("Mul", {q, b}), a})});
    Value* zero = ctx.scalar(0, dtype);
    Value* signsDiffer = ctx.emit("Xor", {ctx.emit("Less", {a, zero}), ctx.emit("Less", {b, zero})});
    Value* fix = ctx.cast(ctx.emit("And", {inexact, signsDiffer}), dtype);
    out = ctx.emit("Sub", {q, fix});
  }
  ctx.define(n.output(), out);
  return Status::ok();
}

AtenConverter compare(std::string op, bool negate = false) {
  return [op, negate](LoweringContext& ctx, const Node& n) -> Status {
    auto ab = promotedOperands(ctx, n.input(0), n.input(1));
    if (!ab) return ab.takeStatus();
    Value* out = ctx.emit(op, {ab->first, ab->second});
    ctx.define(n.output(), negate ? ctx.emit("Not", {out}) : out);
    return Status::ok();
  };
}

/// One ONNX op on input 0; integer inputs of float-only math become float32 first.
AtenConverter unary(std::string op, bool floatOnly = false) {
  return [op, floatOnly](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    Value* in = floatOnly && !isFloating((*x)->dtype()) ? ctx.cast(*x, DType::Float32) : *x;
    ctx.define(n.output(), ctx.emit(op, {in}));
    return Status::ok();
  };
}

Status identity(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  ctx.define(n.output(), *x);
  return Status::ok();
}

AtenConverter castTo(DType dtype) {
  return [dtype](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    ctx.define(n.output(), ctx.cast(*x, dtype));
    return Status::ok();
  };
}

/// aten::to has overloads by dtype, by device (+ dtype) and by another tensor.
Status lowerTo(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  const auto& args = n.schema().arguments();
  for (size_t i = 1; i < args.size() && i < n.inputs().size(); ++i) {
    if (args[i].name() == "dtype") {
      auto d = ctx.constDType(n.input(i));
      if (!d) return d.takeStatus();
      ctx.define(n.output(), *d ? ctx.cast(*x, **d) : *x);
      return Status::ok();
    }
    if (args[i].name() == "other") {
      auto other = ctx.tensor(n.input(i));
      if (!other) return other.takeStatus();
      ctx.define(n.output(), ctx.cast(*x, (*other)->dtype()));
      return Status::ok();
    }
  }
  ctx.define(n.output(), *x);
  return Status::ok();
}

Status lowerTypeAs(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 1});
  if (!xs) return xs.takeStatus();
  ctx.define(n.output(), ctx.cast((*xs)[0], (*xs)[1]->dtype()));
  return Status::ok();
}

Status lowerPow(LoweringContext& ctx, const Node& n) {
  DType dtype;
  auto ab = promotedOperands(ctx, n.input(0), n.input(1), &dtype);
  if (!ab) return ab.takeStatus();
  ctx.define(n.output(), ctx.emit("Pow", {ab->first, ab->second}));
  return Status::ok();
}

Status lowerWhere(LoweringContext& ctx, const Node& n) {
  if (n.inputs().size() != 3) return ctx.error("where(condition) (nonzero indices) is not supported");
  auto cond = ctx.tensor(n.input(0));
  if (!cond) return cond.takeStatus();
  auto ab = promotedOperands(ctx, n.input(1), n.input(2));
  if (!ab) return ab.takeStatus();
  ctx.define(n.output(), ctx.emit("Where", {ctx.cast(*cond, DType::Bool), ab->first, ab->second}));
  return Status::ok();
}

Status lowerMaskedFill(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 1, 2});
  if (!xs) return xs.takeStatus();
  Value* x = (*xs)[0];
  Value* fill = ctx.cast((*xs)[2], x->dtype());
  ctx.define(n.output(), ctx.emit("Where", {ctx.cast((*xs)[1], DType::Bool), fill, x}));
  return Status::ok();
}

/// clamp(x, min?, max?), clamp_min, clamp_max: Clip with bounds in x's dtype.
AtenConverter clamp(int minIndex, int maxIndex) {
  return [minIndex, maxIndex](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    auto bound = [&](int i) -> Expected<Value*> {
      if (i < 0 || ctx.isNone(n.input(i))) return static_cast<Value*>(nullptr);
      auto b = ctx.tensor(n.input(i));
      if (!b) return b.takeStatus();
      return ctx.cast(*b, (*x)->dtype());
    };
    auto lo = bound(minIndex), hi = bound(maxIndex);
    if (!lo) return lo.takeStatus();
    if (!hi) return hi.takeStatus();
    // Clip needs 0-D bounds; tensor bounds are elementwise Max/Min.
    Value* out = *x;
    bool scalarBounds = (!*lo || LoweringContext::rankOf(*lo) == 0) && (!*hi || LoweringContext::rankOf(*hi) == 0);
    if (scalarBounds) {
      // ONNX Clip (and Max/Min) take integers only from opset 12, and runtimes implement
      // Clip-11 for float32 only; integer clamps (index clamping) go through float32, exact
      // for magnitudes below 2^24, so they can be written at opset 11.
      DType dt = out->dtype();
      bool viaFloat = !isFloating(dt);
      auto widen = [&](Value* v) { return v && viaFloat ? ctx.cast(v, DType::Float32) : v; };
      std::vector<Value*> in{widen(out), widen(*lo), widen(*hi)};
      if (!*hi) in.pop_back();
      out = ctx.emit("Clip", in);
      if (viaFloat) out = ctx.cast(out, dt);
    } else {
      if (*lo) out = ctx.emit("Max", {out, *lo});
      if (*hi) out = ctx.emit("Min", {out, *hi});
    }
    ctx.define(n.output(), out);
    return Status::ok();
  };
}

Status lowerRsqrt(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  ctx.define(n.output(), ctx.emit("Reciprocal", {ctx.emit("Sqrt", {*x})}));
  return Status::ok();
}

Status lowerLog1p(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  ctx.define(n.output(), ctx.emit("Log", {ctx.emit("Add", {*x, ctx.scalar(1, (*x)->dtype())})}));
  return Status::ok();
}

Status lowerRemainder(LoweringContext& ctx, const Node& n) {
  DType dtype;
  auto ab = promotedOperands(ctx, n.input(0), n.input(1), &dtype);
  if (!ab) return ab.takeStatus();
  // Python's % takes the divisor's sign: Mod with fmod=0 (integers), or a - floor(a/b)*b.
  Value* out = isFloating(dtype)
                   ? ctx.emit("Sub", {ab->first, ctx.emit("Mul", {ctx.emit("Floor", {ctx.emit("Div", {ab->first, ab->second})}),
                                                                  ab->second})})
                   : ctx.emit("Mod", {ab->first, ab->second});
  ctx.define(n.output(), out);
  return Status::ok();
}

}  // namespace

void registerElementwiseConverters(ConverterTable& t) {
  t["aten::add"] = binary("Add", true);
  t["aten::sub"] = binary("Sub", true);
  t["aten::rsub"] = binary("Sub", true, true);
  t["aten::mul"] = binary("Mul");
  t["aten::div"] = [](LoweringContext& ctx, const Node& n) { return lowerDiv(ctx, n, std::nullopt); };
  t["aten::true_divide"] = t["aten::div"];
  t["aten::floor_divide"] = [](LoweringContext& ctx, const Node& n) { return lowerDiv(ctx, n, "floor"); };
  t["aten::floordiv"] = t["aten::floor_divide"];
  t["aten::remainder"] = lowerRemainder;
  t["aten::pow"] = lowerPow;
  t["aten::maximum"] = binary("Max");
  t["aten::minimum"] = binary("Min");
  t["aten::eq"] = compare("Equal");
  t["aten::ne"] = compare("Equal", true);
  t["aten::lt"] = compare("Less");
  t["aten::le"] = compare("LessOrEqual");
  t["aten::gt"] = compare("Greater");
  t["aten::ge"] = compare("GreaterOrEqual");
  t["aten::logical_and"] = binary("And");
  t["aten::logical_or"] = binary("Or");
  t["aten::logical_xor"] = binary("Xor");
  t["aten::__and__"] = binary("And");
  t["aten::__or__"] = binary("Or");
  t["aten::logical_not"] = unary("Not");
  t["aten::bitwise_not"] = unary("Not");
  t["aten::where"] = lowerWhere;
  t["aten::masked_fill"] = lowerMaskedFill;
  t["aten::clamp"] = clamp(1, 2);
  t["aten::clip"] = clamp(1, 2);
  t["aten::clamp_min"] = clamp(1, -1);
  t["aten::clamp_max"] = clamp(-1, 1);
  for (auto [aten, onnx] : {std::pair{"abs", "Abs"}, {"neg", "Neg"}, {"sign", "Sign"}, {"floor", "Floor"},
                            {"ceil", "Ceil"}, {"round", "Round"}})
    t[std::string("aten::") + aten] = unary(onnx);
  for (auto [aten, onnx] : {std::pair{"exp", "Exp"}, {"log", "Log"}, {"sqrt", "Sqrt"}, {"erf", "Erf"},
                            {"sin", "Sin"}, {"cos", "Cos"}, {"tan", "Tan"}, {"reciprocal", "Reciprocal"},
                            {"tanh", "Tanh"}, {"sigmoid", "Sigmoid"}})
    t[std::string("aten::") + aten] = unary(onnx, true);
  t["aten::rsqrt"] = lowerRsqrt;
  t["aten::log1p"] = lowerLog1p;
  // Conversions and no-ops at inference.
  t["aten::to"] = lowerTo;
  t["aten::type_as"] = lowerTypeAs;
  t["aten::float"] = castTo(DType::Float32);
  t["aten::long"] = castTo(DType::Int64);
  t["aten::int"] = castTo(DType::Int32);
  t["aten::bool"] = castTo(DType::Bool);
  t["aten::Int"] = castTo(DType::Int64);
  t["aten::Float"] = castTo(DType::Float32);
  t["aten::ScalarImplicit"] = identity;
  t["prim::NumToTensor"] = identity;
  for (const char* op : {"aten::contiguous", "aten::detach", "aten::clone", "aten::dropout", "aten::feature_dropout",
                         "aten::alpha_dropout", "aten::feature_alpha_dropout", "aten::lift_fresh",
                         "aten::cpu", "aten::positive"})
    t[op] = identity;
}

}  // namespace kiln::torchscript
