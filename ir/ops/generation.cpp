// Ops that make tensors from scalars and shapes: ConstantOfShape, Range, OneHot, EyeLike. (Constant
// lives with the control-flow ops, in control_flow.cpp.)

#include <algorithm>
#include <cmath>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// A scalar input as a dim: tracked shape arithmetic, or a constant of any numeric type
/// holding an integral value.
Dim scalarDim(const InferenceContext& ctx, size_t i) {
  if (auto v = inputShapeValue(ctx, i); v && v->size() == 1) return (*v)[0];
  const Tensor* t = ctx.constantInput(i);
  if (!t || t->numElements() != 1 || t->dtype() == DType::String || t->dtype() == DType::Bool) return Dim();
  double d = t->scalarAsDouble(0);
  return d == std::floor(d) ? Dim(static_cast<int64_t>(d)) : Dim();
}

Status inferConstantOfShape(InferenceContext& ctx) {
  const Attribute* value = ctx.node().attr("value");
  DType dtype = value && value->kind() == AttrKind::Tensor ? value->t().dtype() : DType::Float32;
  if (auto dims = inputShapeValue(ctx, 0)) {
    for (const Dim& d : *dims)
      if (d.isStatic() && d.value() < 0) return ctx.error("negative dim " + d.str() + " in shape " + Shape(*dims).str());
    // A filled shape tensor (torch's expand(-1) export builds them) keeps its contents.
    if (dims->size() == 1 && (*dims)[0].isStatic() && isInteger(dtype) && value && value->t().hasData())
      setOutputShapeValue(ctx, 0, std::vector<Dim>(static_cast<size_t>((*dims)[0].value()),
                                                   Dim(value->t().scalarAsInt(0))));
    ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(*dims))));
    return Status::ok();
  }
  const Shape s = shapeOf(ctx.inputType(0));
  if (s.isRanked() && s.rank() == 1 && s[0].isStatic())
    ctx.setOutputType(0, unknownDimsTensor(dtype, static_cast<size_t>(s[0].value())));
  else
    ctx.setOutputType(0, Type::tensor(dtype));
  return Status::ok();
}

/// [max(ceil((limit - start) / delta), 0)]
Status inferRange(InferenceContext& ctx) {
  DType dtype = firstKnownDtype(ctx, {0, 1, 2});
  const Tensor* start = ctx.constantInput(0);
  const Tensor* limit = ctx.constantInput(1);
  const Tensor* delta = ctx.constantInput(2);
  Dim length;
  auto numeric = [](const Tensor* t) { return t && t->numElements() == 1 && t->dtype() != DType::String; };
  if (numeric(start) && numeric(limit) && numeric(delta)) {
    double d = delta->scalarAsDouble(0);
    if (d == 0) return ctx.error("delta must not be 0");
    double n = std::ceil((limit->scalarAsDouble(0) - start->scalarAsDouble(0)) / d);
    length = Dim(static_cast<int64_t>(std::max(n, 0.0)));
  } else {
    // Position ids: Range(0, Shape(x)[1], 1) has `sequence` elements.
    Dim d = scalarDim(ctx, 2);
    if (d.isStatic() && d.value() == 0) return ctx.error("delta must not be 0");
    if (d.isStatic()) {
      Dim span = d.value() > 0 ? scalarDim(ctx, 1) - scalarDim(ctx, 0) : scalarDim(ctx, 0) - scalarDim(ctx, 1);
      length = ceilDiv(span, std::abs(d.value()));
      if (length.isStatic() && length.value() < 0) length = Dim(0);
    }
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape({length})));
  return Status::ok();
}

Status inferOneHot(InferenceContext& ctx) {
  DType dtype = firstKnownDtype(ctx, {2});
  const Shape indices = shapeOf(ctx.inputType(0));
  if (!indices.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  auto rank = static_cast<int64_t>(indices.rank()) + 1;
  int64_t axisAttr = ctx.node().intAttr("axis", -1);
  auto axis = normalizeAxis(axisAttr, rank);
  if (!axis) return ctx.error("axis " + std::to_string(axisAttr) + " is out of range for rank " + std::to_string(rank));
  Dim depth = scalarDim(ctx, 1);
  if (depth.isStatic() && depth.value() < 1) return ctx.error("depth must be positive, got " + depth.str());
  std::vector<Dim> out = indices.dims();
  out.insert(out.begin() + *axis, depth);
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

/// A 2-D tensor shaped like the input, of type `dtype` (default: the input's).
Status inferEyeLike(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  if (const Attribute* a = ctx.node().attr("dtype")) {
    auto to = dtypeFromOnnx(static_cast<int32_t>(a->i()));
    if (!to) return ctx.error("unknown dtype " + std::to_string(a->i()));
    dtype = *to;
  }
  const Shape s = shapeOf(ctx.inputType(0));
  if (s.isRanked() && s.rank() != 2) return ctx.error("input must have rank 2, got " + s.str());
  ctx.setOutputType(0, s.isRanked() ? Type::tensor(dtype, s) : unknownDimsTensor(dtype, 2));
  return Status::ok();
}

}  // namespace

void registerGenerationOps(OpRegistry& r) {
  r.add({.domain = "", .name = "ConstantOfShape", .sinceVersion = 21,
         .summary = "A tensor of the given shape filled with the one-element `value` (default f32 0).",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrOptional("value", AttrKind::Tensor)},
         .inferShapes = inferConstantOfShape,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Range", .sinceVersion = 11,
         .summary = "start, start + delta, ... up to (not including) limit.",
         .minInputs = 3, .maxInputs = 3,
         .inferShapes = inferRange,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "OneHot", .sinceVersion = 11,
         .summary = "One-hot encoding of indices with `depth` classes inserted at `axis`.",
         .minInputs = 3, .maxInputs = 3,
         .attributes = {attrInt("axis", -1)},
         .inferShapes = inferOneHot,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "EyeLike", .sinceVersion = 9,
         .summary = "Ones on the k-th diagonal of a 2-D tensor shaped like the input, zeros elsewhere.",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrOptional("dtype", AttrKind::Int), attrInt("k", 0)},
         .inferShapes = inferEyeLike,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
