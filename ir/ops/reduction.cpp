// Reductions over axes (Reduce*, axes given as an input), ArgMax/ArgMin, CumSum and TopK.

#include <algorithm>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// Shape of reducing `shape` over `axes` (already normalized).
Shape reducedShape(const Shape& shape, const std::vector<int64_t>& axes, bool keepDims) {
  std::vector<Dim> dims;
  for (size_t i = 0; i < shape.rank(); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) != axes.end();
    if (!reduced) dims.push_back(shape[i]);
    else if (keepDims) dims.push_back(Dim(1));
  }
  return Shape(std::move(dims));
}

/// Reduce* (v13 ReduceSum, v18 others): axes is an optional input; empty axes reduce all
/// unless noop_with_empty_axes.
Status inferReduce(InferenceContext& ctx) {
  const Type& in = ctx.inputType(0);
  DType dtype = inputDtype(ctx, 0);
  const Shape shape = shapeOf(in);
  bool keepDims = ctx.node().intAttr("keepdims", 1) != 0;
  bool noopWhenEmpty = ctx.node().intAttr("noop_with_empty_axes", 0) != 0;

  std::optional<std::vector<int64_t>> axes = std::vector<int64_t>{};
  if (ctx.hasInput(1)) axes = ctx.constantInts(1);
  if (!axes) {
    // Axes computed at run time: the rank is still known when dims are kept, or when the
    // axes tensor's length is.
    if (!shape.isRanked()) {
      ctx.setOutputType(0, Type::tensor(dtype));
    } else if (keepDims) {
      ctx.setOutputType(0, unknownDimsTensor(dtype, shape.rank()));
    } else {
      Shape axesShape = shapeOf(ctx.inputType(1));
      if (axesShape.isRanked() && axesShape.rank() == 1 && axesShape[0].isStatic() &&
          axesShape[0].value() <= static_cast<int64_t>(shape.rank()))
        ctx.setOutputType(0, unknownDimsTensor(dtype, shape.rank() - axesShape[0].value()));
      else
        ctx.setOutputType(0, Type::tensor(dtype));
    }
    return Status::ok();
  }
  if (axes->empty() && noopWhenEmpty) return inferSameAsInput(ctx);
  if (!shape.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  std::vector<int64_t> all;
  if (axes->empty())
    for (size_t i = 0; i < shape.rank(); ++i) all.push_back(static_cast<int64_t>(i));
  auto normalized = normalizeAxes(axes->empty() ? all : *axes, static_cast<int64_t>(shape.rank()));
  if (!normalized) return atNode(ctx, normalized.takeStatus());
  ctx.setOutputType(0, Type::tensor(dtype, reducedShape(shape, *normalized, keepDims)));
  return Status::ok();
}

void addReduce(OpRegistry& r, const char* name, int version, const char* summary) {
  r.add({.domain = "", .name = name, .sinceVersion = version, .summary = summary,
         .minInputs = 1, .maxInputs = 2,
         .attributes = {attrInt("keepdims", 1), attrInt("noop_with_empty_axes", 0)},
         .inferShapes = inferReduce,
         .traits = OpTrait::Pure});
}

Status inferArgReduce(InferenceContext& ctx) {
  const Shape shape = shapeOf(ctx.inputType(0));
  if (!shape.isRanked()) {
    ctx.setOutputType(0, Type::tensor(DType::Int64));
    return Status::ok();
  }
  auto axes = normalizeAxes({ctx.node().intAttr("axis", 0)}, static_cast<int64_t>(shape.rank()));
  if (!axes) return atNode(ctx, axes.takeStatus());
  bool keepDims = ctx.node().intAttr("keepdims", 1) != 0;
  ctx.setOutputType(0, Type::tensor(DType::Int64, reducedShape(shape, *axes, keepDims)));
  return Status::ok();
}

void addArgReduce(OpRegistry& r, const char* name, const char* summary) {
  r.add({.domain = "", .name = name, .sinceVersion = 13, .summary = summary,
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrInt("axis", 0), attrInt("keepdims", 1), attrInt("select_last_index", 0)},
         .inferShapes = inferArgReduce,
         .traits = OpTrait::Pure});
}

Status inferTopK(InferenceContext& ctx) {
  const Type& in = ctx.inputType(0);
  DType dtype = inputDtype(ctx, 0);
  Shape shape = shapeOf(in);
  if (shape.isRanked()) {
    auto axes = normalizeAxes({ctx.node().intAttr("axis", -1)}, static_cast<int64_t>(shape.rank()));
    if (!axes) return atNode(ctx, axes.takeStatus());
    auto k = inputShapeValue(ctx, 1);
    Dim kDim = k && k->size() == 1 ? (*k)[0] : Dim();
    const Dim& axisDim = shape[(*axes)[0]];
    if (kDim.isStatic() && axisDim.isStatic() && kDim.value() > axisDim.value())
      return ctx.error("k = " + std::to_string(kDim.value()) + " exceeds the axis size " +
                       std::to_string(axisDim.value()));
    shape.dims()[(*axes)[0]] = kDim;
  }
  ctx.setOutputType(0, Type::tensor(dtype, shape));
  ctx.setOutputType(1, Type::tensor(DType::Int64, shape));
  return Status::ok();
}

}  // namespace

void registerReductionOps(OpRegistry& r) {
  addReduce(r, "ReduceSum", 13, "Sum over axes.");
  addReduce(r, "ReduceMean", 18, "Mean over axes.");
  addReduce(r, "ReduceMax", 20, "Maximum over axes.");
  addReduce(r, "ReduceMin", 20, "Minimum over axes.");
  addReduce(r, "ReduceProd", 18, "Product over axes.");
  addReduce(r, "ReduceL1", 18, "Sum of absolute values over axes.");
  addReduce(r, "ReduceL2", 18, "Euclidean norm over axes.");
  addReduce(r, "ReduceLogSum", 18, "log(sum(x)) over axes.");
  addReduce(r, "ReduceLogSumExp", 18, "log(sum(exp(x))) over axes.");
  addReduce(r, "ReduceSumSquare", 18, "Sum of squares over axes.");

  addArgReduce(r, "ArgMax", "Index of the maximum along one axis.");
  addArgReduce(r, "ArgMin", "Index of the minimum along one axis.");

  r.add({.domain = "", .name = "CumSum", .sinceVersion = 14,
         .summary = "Cumulative sum along the axis given as a scalar input.",
         .minInputs = 2, .maxInputs = 2,
         .attributes = {attrInt("exclusive", 0), attrInt("reverse", 0)},
         .inferShapes = inferSameAsInput,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "TopK", .sinceVersion = 11,
         .summary = "The k largest (or smallest) elements along an axis and their indices.",
         .minInputs = 2, .maxInputs = 2, .minOutputs = 2, .maxOutputs = 2,
         .attributes = {attrInt("axis", -1), attrInt("largest", 1), attrInt("sorted", 1)},
         .inferShapes = inferTopK,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
