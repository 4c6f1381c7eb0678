// Tensor factories: zeros/ones/full (and *_like, new_*), arange, triu/tril. Sizes taken from
// other tensors stay computed (Shape), so the graph follows its inputs' sizes.

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;

Expected<std::optional<DType>> dtypeArg(LoweringContext& ctx, const Node& n) {
  const auto* tv = namedInput(n, "dtype");
  if (!tv) return std::optional<DType>();
  return ctx.constDType(tv);
}

/// ConstantOfShape(shape) holding `fill` as `dtype`.
Value* filled(LoweringContext& ctx, Value* shape, double fill, DType dtype) {
  Tensor value = Tensor::fromVector<float>(DType::Float32, {1}, {static_cast<float>(fill)});
  if (dtype == DType::Int64) value = Tensor::fromVector<int64_t>(DType::Int64, {1}, {static_cast<int64_t>(fill)});
  if (dtype == DType::Bool) value = Tensor::fromVector<uint8_t>(DType::Bool, {1}, {static_cast<uint8_t>(fill != 0)});
  Value* out = ctx.emit("ConstantOfShape", {shape}, {{"value", value}});
  return ctx.cast(out, dtype);
}

/// zeros / ones / full(size, [fill,] dtype, ...): default dtype float32, or the fill's kind.
AtenConverter factory(std::optional<double> fixedFill) {
  return [fixedFill](LoweringContext& ctx, const Node& n) -> Status {
    auto shape = ctx.intList(n.input(0));
    if (!shape) return shape.takeStatus();
    auto dtype = dtypeArg(ctx, n);
    if (!dtype) return dtype.takeStatus();
    double fill = fixedFill.value_or(0);
    DType dt = dtype->value_or(DType::Float32);
    if (!fixedFill) {
      auto iv = ctx.constantOf(n.input(1));
      if (!iv || !(iv->isDouble() || iv->isInt() || iv->isBool())) return ctx.error("the fill value must be constant");
      fill = iv->isDouble() ? iv->toDouble() : iv->isInt() ? double(iv->toInt()) : double(iv->toBool());
      if (!*dtype) dt = iv->isDouble() ? DType::Float32 : iv->isInt() ? DType::Int64 : DType::Bool;
    }
    ctx.define(n.output(), filled(ctx, *shape, fill, dt));
    return Status::ok();
  };
}

/// zeros_like / ones_like / full_like(self, [fill,] dtype...): self's shape and dtype.
AtenConverter likeFactory(std::optional<double> fixedFill) {
  return [fixedFill](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    auto dtype = dtypeArg(ctx, n);
    if (!dtype) return dtype.takeStatus();
    double fill = fixedFill.value_or(0);
    if (!fixedFill) {
      auto f = ctx.constDouble(n.input(1));
      if (!f) return f.takeStatus();
      fill = *f;
    }
    ctx.define(n.output(), filled(ctx, ctx.emit("Shape", {*x}), fill, dtype->value_or((*x)->dtype())));
    return Status::ok();
  };
}

/// new_zeros / new_ones / new_full(self, size, [fill,] dtype...): self's dtype, a new size.
AtenConverter newFactory(std::optional<double> fixedFill) {
  return [fixedFill](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    auto shape = ctx.intList(n.input(1));
    if (!x) return x.takeStatus();
    if (!shape) return shape.takeStatus();
    auto dtype = dtypeArg(ctx, n);
    if (!dtype) return dtype.takeStatus();
    double fill = fixedFill.value_or(0);
    if (!fixedFill) {
      auto f = ctx.constDouble(n.input(2));
      if (!f) return f.takeStatus();
      fill = *f;
    }
    ctx.define(n.output(), filled(ctx, *shape, fill, dtype->value_or((*x)->dtype())));
    return Status::ok();
  };
}

// arange(end) / arange(start, end) / arange(start, end, step): Range; integers give int64,
// any float bound float32, unless dtype says otherwise.
Status lowerArange(LoweringContext& ctx, const Node& n) {
  std::vector<const torch::jit::Value*> bounds;
  for (const char* name : {"start", "end", "step"})
    if (const auto* tv = namedInput(n, name)) bounds.push_back(tv);
  auto dtype = dtypeArg(ctx, n);
  if (!dtype) return dtype.takeStatus();
  auto promoted = promotedDType(ctx, bounds);
  if (!promoted) return promoted.takeStatus();
  DType dt = dtype->value_or(*promoted == DType::Float32 || *promoted == DType::Float64 ? DType::Float32 : DType::Int64);
  std::vector<Value*> in;
  for (const auto* tv : bounds) {
    auto v = ctx.tensor(tv);
    if (!v) return v.takeStatus();
    Value* s = *v;
    if (LoweringContext::rankOf(s) != 0) s = ctx.emit("Reshape", {s, ctx.i64s({})});
    in.push_back(ctx.cast(s, dt));
  }
  if (in.size() == 1) in.insert(in.begin(), ctx.scalar(0, dt));
  if (in.size() == 2) in.push_back(ctx.scalar(1, dt));
  ctx.define(n.output(), ctx.emit("Range", in));
  return Status::ok();
}

AtenConverter trilu(int64_t upper) {
  return [upper](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    std::vector<Value*> in{*x};
    if (n.inputs().size() > 1) {
      auto k = ctx.tensor(n.input(1));
      if (!k) return k.takeStatus();
      in.push_back(ctx.cast(*k, DType::Int64));
    }
    ctx.define(n.output(), ctx.emit("Trilu", in, {{"upper", upper}}));
    return Status::ok();
  };
}

}  // namespace

void registerCreationConverters(ConverterTable& t) {
  t["aten::zeros"] = factory(0.0);
  t["aten::ones"] = factory(1.0);
  t["aten::full"] = factory(std::nullopt);
  t["aten::zeros_like"] = likeFactory(0.0);
  t["aten::ones_like"] = likeFactory(1.0);
  t["aten::full_like"] = likeFactory(std::nullopt);
  t["aten::new_zeros"] = newFactory(0.0);
  t["aten::new_ones"] = newFactory(1.0);
  t["aten::new_full"] = newFactory(std::nullopt);
  t["aten::arange"] = lowerArange;
  t["aten::triu"] = trilu(1);
  t["aten::tril"] = trilu(0);
}

}  // namespace kiln::torchscript
