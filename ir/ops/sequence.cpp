// Tensor sequences, which torch's scripted loops emit: construct, read, insert, erase,
// split into and concatenate from.

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// The element type of a sequence input; unknown when the input is not a known sequence.
Type elementOf(const InferenceContext& ctx, size_t i) {
  const Type& t = ctx.inputType(i);
  return t.kind() == Type::Kind::Sequence ? t.element() : Type();
}

Status inferSequenceConstruct(InferenceContext& ctx) {
  Type element = ctx.inputType(0);
  for (size_t i = 1; i < ctx.numInputs(); ++i) element = mergeTypes(element, ctx.inputType(i));
  ctx.setOutputType(0, Type::sequence(element));
  return Status::ok();
}

Status inferSequenceInsert(InferenceContext& ctx) {
  const Type& seq = ctx.inputType(0);
  Type element = seq.kind() == Type::Kind::Sequence ? mergeTypes(seq.element(), ctx.inputType(1)) : Type();
  ctx.setOutputType(0, Type::sequence(element));
  return Status::ok();
}

/// Pieces along `axis`: size 1 each without split (dropped unless keepdims), else the split
/// sizes (the last piece of a scalar split may be shorter).
Status inferSplitToSequence(InferenceContext& ctx) {
  const Type& in = ctx.inputType(0);
  DType dtype = inputDtype(ctx, 0);
  Shape s = shapeOf(in);
  if (!s.isRanked()) {
    ctx.setOutputType(0, Type::sequence(Type::tensor(dtype)));
    return Status::ok();
  }
  int64_t axisAttr = ctx.node().intAttr("axis", 0);
  auto axis = normalizeAxis(axisAttr, static_cast<int64_t>(s.rank()));
  if (!axis) return ctx.error("axis " + std::to_string(axisAttr) + " is out of range for rank " + std::to_string(s.rank()));
  auto& dims = s.dims();
  if (!ctx.hasInput(1)) {
    if (ctx.node().intAttr("keepdims", 1) != 0) dims[*axis] = Dim(1);
    else dims.erase(dims.begin() + *axis);
  } else {
    auto split = inputShapeValue(ctx, 1);
    Dim piece;
    if (split && !split->empty()) {
      piece = (*split)[0];
      for (const Dim& d : *split)
        if (!(d == piece)) piece = Dim();
      // A scalar split leaves a shorter last piece unless it divides the axis.
      bool scalar = shapeOf(ctx.inputType(1)).isRanked() && shapeOf(ctx.inputType(1)).rank() == 0;
      if (scalar && !(piece.isStatic() && dims[*axis].isStatic() && dims[*axis].value() % piece.value() == 0))
        piece = Dim();
    }
    dims[*axis] = piece;
  }
  ctx.setOutputType(0, Type::sequence(Type::tensor(dtype, s)));
  return Status::ok();
}

Status inferConcatFromSequence(InferenceContext& ctx) {
  Type element = elementOf(ctx, 0);
  DType dtype = element.isTensor() ? element.dtype() : DType::Undefined;
  Shape s = shapeOf(element);
  if (!s.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  bool newAxis = ctx.node().intAttr("new_axis", 0) != 0;
  int64_t axisAttr = ctx.node().intAttr("axis", 0);
  auto rank = static_cast<int64_t>(s.rank()) + (newAxis ? 1 : 0);
  auto axis = normalizeAxis(axisAttr, rank);
  if (!axis) return ctx.error("axis " + std::to_string(axisAttr) + " is out of range for rank " + std::to_string(rank));
  // The sequence length is a run-time value: the joined axis is unknown.
  if (newAxis) s.dims().insert(s.dims().begin() + *axis, Dim());
  else s.dims()[*axis] = Dim();
  ctx.setOutputType(0, Type::tensor(dtype, s));
  return Status::ok();
}

}  // namespace

void registerSequenceOps(OpRegistry& r) {
  r.add({.domain = "", .name = "SequenceConstruct", .sinceVersion = 11,
         .summary = "A sequence of the input tensors.",
         .minInputs = 1, .maxInputs = OpSchema::kVariadic,
         .inferShapes = inferSequenceConstruct,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "SequenceEmpty", .sinceVersion = 11,
         .summary = "An empty sequence of tensors of element type `dtype` (default float).",
         .minInputs = 0, .maxInputs = 0,
         .attributes = {attrOptional("dtype", AttrKind::Int)},
         .inferShapes = [](InferenceContext& ctx) {
           auto dtype = dtypeFromOnnx(static_cast<int32_t>(ctx.node().intAttr("dtype", 1)));
           ctx.setOutputType(0, Type::sequence(Type::tensor(dtype.value_or(DType::Undefined))));
           return Status::ok();
         },
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "SequenceAt", .sinceVersion = 11,
         .summary = "The tensor at a (possibly negative) position of a sequence.",
         .minInputs = 2, .maxInputs = 2,
         .inferShapes = [](InferenceContext& ctx) {
           ctx.setOutputType(0, elementOf(ctx, 0));
           return Status::ok();
         },
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "SequenceInsert", .sinceVersion = 11,
         .summary = "A copy of the sequence with a tensor inserted at a position (default: the end).",
         .minInputs = 2, .maxInputs = 3,
         .inferShapes = inferSequenceInsert,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "SequenceErase", .sinceVersion = 11,
         .summary = "A copy of the sequence without the tensor at a position (default: the last).",
         .minInputs = 1, .maxInputs = 2,
         .inferShapes = inferSameAsInput,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "SequenceLength", .sinceVersion = 11,
         .summary = "The number of tensors in a sequence, as an int64 scalar.",
         .minInputs = 1, .maxInputs = 1,
         .inferShapes = [](InferenceContext& ctx) {
           ctx.setOutputType(0, Type::tensor(DType::Int64, Shape::scalar()));
           return Status::ok();
         },
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "SplitToSequence", .sinceVersion = 11,
         .summary = "Splits a tensor along an axis into a sequence (by split sizes, or into size-1 pieces).",
         .minInputs = 1, .maxInputs = 2,
         .attributes = {attrInt("axis", 0), attrInt("keepdims", 1)},
         .inferShapes = inferSplitToSequence,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "ConcatFromSequence", .sinceVersion = 11,
         .summary = "Concatenates (or, with new_axis, stacks) the tensors of a sequence.",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrRequired("axis", AttrKind::Int), attrInt("new_axis", 0)},
         .inferShapes = inferConcatFromSequence,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
