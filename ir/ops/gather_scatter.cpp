// Indexing: Gather, GatherElements, GatherND, their Scatter counterparts, and NonZero.

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// data[..., indices, ...] along `axis`: data.shape[:axis] + indices.shape + data.shape[axis+1:].
Status inferGather(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape data = shapeOf(ctx.inputType(0));
  const Shape indices = shapeOf(ctx.inputType(1));
  if (!data.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  auto rank = static_cast<int64_t>(data.rank());
  int64_t axisAttr = ctx.node().intAttr("axis", 0);
  auto axis = normalizeAxis(axisAttr, rank);
  if (!axis) return ctx.error("axis " + std::to_string(axisAttr) + " is out of range for rank " + std::to_string(rank));
  const Dim& size = data[*axis];
  auto constIndices = ctx.constantInts(1);
  if (constIndices && size.isStatic())
    for (int64_t i : *constIndices)
      if (i < -size.value() || i >= size.value())
        return ctx.error("index " + std::to_string(i) + " is out of range for axis " + std::to_string(*axis) +
                         " of size " + size.str());
  if (!indices.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  std::vector<Dim> out(data.dims().begin(), data.dims().begin() + *axis);
  out.insert(out.end(), indices.dims().begin(), indices.dims().end());
  out.insert(out.end(), data.dims().begin() + *axis + 1, data.dims().end());
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));

  // Picking from a tracked shape tensor: Gather(Shape(x), 0) is x's first dim.
  auto value = inputShapeValue(ctx, 0);
  if (value && rank == 1 && constIndices && indices.rank() <= 1) {
    std::vector<Dim> picked;
    auto n = static_cast<int64_t>(value->size());
    for (int64_t i : *constIndices) {
      if (i < -n || i >= n) return Status::ok();
      picked.push_back((*value)[static_cast<size_t>(i < 0 ? i + n : i)]);
    }
    setOutputShapeValue(ctx, 0, std::move(picked));
  }
  return Status::ok();
}

Status inferGatherElements(InferenceContext& ctx) {
  const Shape data = shapeOf(ctx.inputType(0));
  const Shape indices = shapeOf(ctx.inputType(1));
  if (data.isRanked() && indices.isRanked() && data.rank() != indices.rank())
    return ctx.error("data " + data.str() + " and indices " + indices.str() + " ranks differ");
  ctx.setOutputType(0, Type::tensor(inputDtype(ctx, 0), indices));
  return Status::ok();
}

/// indices.shape[:-1] + data.shape[batch_dims + indices.shape[-1]:].
Status inferGatherND(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape data = shapeOf(ctx.inputType(0));
  const Shape indices = shapeOf(ctx.inputType(1));
  int64_t batchDims = ctx.node().intAttr("batch_dims", 0);
  if (!data.isRanked() || !indices.isRanked() || indices.rank() == 0 || !indices.dims().back().isStatic()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  int64_t last = indices.dims().back().value();
  auto dataRank = static_cast<int64_t>(data.rank());
  if (batchDims < 0 || batchDims + last > dataRank || batchDims >= static_cast<int64_t>(indices.rank()))
    return ctx.error("indices " + indices.str() + " with batch_dims " + std::to_string(batchDims) +
                     " do not fit data " + data.str());
  std::vector<Dim> out(indices.dims().begin(), indices.dims().end() - 1);
  out.insert(out.end(), data.dims().begin() + batchDims + last, data.dims().end());
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

Status inferNonZero(InferenceContext& ctx) {
  const Shape x = shapeOf(ctx.inputType(0));
  Dim rank = x.isRanked() ? Dim(static_cast<int64_t>(x.rank())) : Dim();
  ctx.setOutputType(0, Type::tensor(DType::Int64, Shape({rank, Dim()})));
  return Status::ok();
}

}  // namespace

void registerGatherScatterOps(OpRegistry& r) {
  r.add({.domain = "", .name = "Gather", .sinceVersion = 13,
         .summary = "Takes the slices at `indices` along an axis.",
         .minInputs = 2, .maxInputs = 2,
         .attributes = {attrInt("axis", 0)},
         .inferShapes = inferGather,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "GatherElements", .sinceVersion = 13,
         .summary = "Takes one element per index along an axis (torch.gather).",
         .minInputs = 2, .maxInputs = 2,
         .attributes = {attrInt("axis", 0)},
         .inferShapes = inferGatherElements,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "GatherND", .sinceVersion = 13,
         .summary = "Takes the slices addressed by index tuples in the last axis of indices.",
         .minInputs = 2, .maxInputs = 2,
         .attributes = {attrInt("batch_dims", 0)},
         .inferShapes = inferGatherND,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "ScatterElements", .sinceVersion = 18,
         .summary = "Writes (or reduces) updates into a copy of data, one element per index along an axis.",
         .minInputs = 3, .maxInputs = 3,
         .attributes = {attrInt("axis", 0), attrString("reduction", "none")},
         .inferShapes = inferSameAsInput,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "ScatterND", .sinceVersion = 18,
         .summary = "Writes (or reduces) update slices into a copy of data at index tuples.",
         .minInputs = 3, .maxInputs = 3,
         .attributes = {attrString("reduction", "none")},
         .inferShapes = inferSameAsInput,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "NonZero", .sinceVersion = 13,
         .summary = "Indices of the non-zero elements, one column each: int64 [rank, count].",
         .minInputs = 1, .maxInputs = 1,
         .inferShapes = inferNonZero,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
