// Reductions: mean/sum/prod/amax/amin/max/min/argmax/argmin/var/std/logsumexp.

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;

/// The reduced axes of a `dim` argument: nullopt for all axes (absent, None or empty list).
Expected<std::optional<std::vector<int64_t>>> reducedAxes(LoweringContext& ctx, const torch::jit::Value* dim) {
  if (!dim || ctx.isNone(dim)) return std::optional<std::vector<int64_t>>();
  auto axes = ctx.constInts(dim);
  if (!axes) return axes.takeStatus();
  if (axes->empty()) return std::optional<std::vector<int64_t>>();
  return std::optional<std::vector<int64_t>>(axes.take());
}

Expected<bool> keepDim(LoweringContext& ctx, const Node& n) {
  const auto* tv = namedInput(n, "keepdim");
  if (!tv) return false;
  return ctx.constBool(tv);
}

Value* reduce(LoweringContext& ctx, const std::string& op, Value* x, const std::optional<std::vector<int64_t>>& axes,
              bool keep) {
  std::vector<Value*> in{x};
  if (axes) in.push_back(ctx.i64s(*axes));
  return ctx.emit(op, in, {{"keepdims", int64_t(keep)}});
}

bool isFloating(DType d) { return d == DType::Float32 || d == DType::Float64 || d == DType::Float16 || d == DType::BFloat16; }

/// mean/sum/prod/amax/amin/logsumexp(self, dim?, keepdim, dtype?)
AtenConverter reduction(std::string op, bool integerSumsToInt64) {
  return [op, integerSumsToInt64](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    auto axes = reducedAxes(ctx, namedInput(n, "dim"));
    auto keep = keepDim(ctx, n);
    if (!axes) return axes.takeStatus();
    if (!keep) return keep.takeStatus();
    Value* in = *x;
    if (const auto* dt = namedInput(n, "dtype")) {
      auto d = ctx.constDType(dt);
      if (!d) return d.takeStatus();
      if (*d) in = ctx.cast(in, **d);
    }
    if (integerSumsToInt64 && !isFloating(in->dtype())) in = ctx.cast(in, DType::Int64);
    ctx.define(n.output(), reduce(ctx, op, in, *axes, *keep));
    return Status::ok();
  };
}

/// max/min: of everything, of two tensors, or along a dim with the arg indices.
AtenConverter extremum(std::string reduceOp, std::string binaryOp, std::string argOp) {
  return [=](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    if (n.inputs().size() == 1) {
      ctx.define(n.output(), reduce(ctx, reduceOp, *x, std::nullopt, false));
      return Status::ok();
    }
    if (n.input(1)->type()->kind() == c10::TypeKind::TensorType) {
      auto dtype = promotedDType(ctx, {n.input(0), n.input(1)});
      auto y = ctx.tensor(n.input(1));
      if (!dtype) return dtype.takeStatus();
      if (!y) return y.takeStatus();
      ctx.define(n.output(), ctx.emit(binaryOp, {ctx.cast(*x, *dtype), ctx.cast(*y, *dtype)}));
      return Status::ok();
    }
    auto dim = ctx.constInt(n.input(1));
    auto keep = keepDim(ctx, n);
    if (!dim) return dim.takeStatus();
    if (!keep) return keep.takeStatus();
    ctx.define(n.output(0), reduce(ctx, reduceOp, *x, std::vector<int64_t>{*dim}, *keep));
    if (n.outputs().size() > 1)
      ctx.define(n.output(1), ctx.emit(argOp, {*x}, {{"axis", *dim}, {"keepdims", int64_t(*keep)}}));
    return Status::ok();
  };
}

// argmax/argmin(self, dim?, keepdim): without dim, over the flattened tensor.
AtenConverter argReduce(std::string op) {
  return [op](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    auto keep = keepDim(ctx, n);
    if (!keep) return keep.takeStatus();
    const auto* dimArg = namedInput(n, "dim");
    if (!dimArg || ctx.isNone(dimArg)) {
      Value* flat = ctx.emit("Reshape", {*x, ctx.i64s({-1})});
      ctx.define(n.output(), ctx.emit(op, {flat}, {{"axis", int64_t{0}}, {"keepdims", int64_t{0}}}));
      return Status::ok();
    }
    auto dim = ctx.constInt(dimArg);
    if (!dim) return dim.takeStatus();
    ctx.define(n.output(), ctx.emit(op, {*x}, {{"axis", *dim}, {"keepdims", int64_t(*keep)}}));
    return Status::ok();
  };
}

// var = sum((x - mean)^2) / (N - correction); N = numel(x) / numel(mean) keeps it dynamic.
AtenConverter variance(bool takeSqrt) {
  return [takeSqrt](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    auto axes = reducedAxes(ctx, namedInput(n, "dim"));
    auto keep = keepDim(ctx, n);
    if (!axes) return axes.takeStatus();
    if (!keep) return keep.takeStatus();
    double correction = 1;
    if (const auto* u = namedInput(n, "unbiased"); u && !ctx.isNone(u)) {
      auto b = ctx.constBool(u);
      if (!b) return b.takeStatus();
      correction = *b ? 1 : 0;
    }
    if (const auto* c = namedInput(n, "correction"); c && !ctx.isNone(c)) {
      auto d = ctx.constDouble(c);
      if (!d) return d.takeStatus();
      correction = *d;
    }
    DType dt = (*x)->dtype();
    Value* mean = reduce(ctx, "ReduceMean", *x, *axes, true);
    Value* diff = ctx.emit("Sub", {*x, mean});
    Value* sumSq = reduce(ctx, "ReduceSum", ctx.emit("Mul", {diff, diff}), *axes, *keep);
    Value* count = ctx.cast(ctx.emit("Div", {ctx.emit("Size", {*x}), ctx.emit("Size", {mean})}), dt);
    Value* denom = correction == 0 ? count : ctx.emit("Sub", {count, ctx.scalar(correction, dt)});
    Value* var = ctx.emit("Div", {sumSq, denom});
    ctx.define(n.output(), takeSqrt ? ctx.emit("Sqrt", {var}) : var);
    return Status::ok();
  };
}

}  // namespace

void registerReduceConverters(ConverterTable& t) {
  t["aten::mean"] = reduction("ReduceMean", false);
  t["aten::sum"] = reduction("ReduceSum", true);
  t["aten::prod"] = reduction("ReduceProd", true);
  t["aten::amax"] = reduction("ReduceMax", false);
  t["aten::amin"] = reduction("ReduceMin", false);
  t["aten::logsumexp"] = reduction("ReduceLogSumExp", false);
  t["aten::max"] = extremum("ReduceMax", "Max", "ArgMax");
  t["aten::min"] = extremum("ReduceMin", "Min", "ArgMin");
  t["aten::argmax"] = argReduce("ArgMax");
  t["aten::argmin"] = argReduce("ArgMin");
  t["aten::var"] = variance(false);
  t["aten::std"] = variance(true);
}

}  // namespace kiln::torchscript
