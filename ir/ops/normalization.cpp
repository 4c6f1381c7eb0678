// Normalizations: batch, instance, layer and group normalization, and LRN.

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// Y has X's type; in training mode the running mean and variance have the type of the
/// corresponding inputs (shape [C]).
Status inferBatchNorm(InferenceContext& ctx) {
  KILN_RETURN_IF_ERROR(inferSameAsInput(ctx));
  const Shape x = shapeOf(ctx.inputType(0));
  if (x.isRanked() && x.rank() < 2) return ctx.error("input must have rank >= 2, got " + x.str());
  for (size_t i = 1; i <= 2; ++i) {
    DType dtype = firstKnownDtype(ctx, {i + 2, 0});
    ctx.setOutputType(i, Type::tensor(dtype, Shape({x.isRanked() ? x[1] : Dim()})));
  }
  return Status::ok();
}

/// Mean and InvStdDev keep X's leading axes and reduce the rest to size 1; their element
/// type is float32 when stash_type = 1 (the default), else X's.
Status inferLayerNorm(InferenceContext& ctx) {
  KILN_RETURN_IF_ERROR(inferSameAsInput(ctx));
  const Type& in = ctx.inputType(0);
  DType dtype = inputDtype(ctx, 0);
  DType stashType = ctx.node().intAttr("stash_type", 1) == 1 ? DType::Float32 : dtype;
  const Shape x = shapeOf(in);
  Shape stats = Shape::unranked();
  if (x.isRanked()) {
    int64_t axis = ctx.node().intAttr("axis", -1);
    auto a = normalizeAxis(axis, static_cast<int64_t>(x.rank()));
    if (!a) return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(x.rank()));
    std::vector<Dim> dims(x.dims().begin(), x.dims().begin() + *a);
    dims.resize(x.rank(), Dim(1));
    stats = Shape(std::move(dims));
  }
  ctx.setOutputType(1, Type::tensor(stashType, stats));
  ctx.setOutputType(2, Type::tensor(stashType, stats));
  return Status::ok();
}

Status inferGroupNorm(InferenceContext& ctx) {
  const Shape x = shapeOf(ctx.inputType(0));
  int64_t groups = ctx.node().intAttr("num_groups", 0);
  if (x.isRanked() && x.rank() >= 2 && x[1].isStatic() && groups > 0 && x[1].value() % groups != 0)
    return ctx.error(x[1].str() + " channels do not split into " + std::to_string(groups) + " groups");
  return inferSameAsInput(ctx);
}

}  // namespace

void registerNormalizationOps(OpRegistry& r) {
  r.add({.domain = "", .name = "BatchNormalization", .sinceVersion = 15,
         .summary = "Normalizes with per-channel mean and variance (running statistics unless training_mode).",
         .minInputs = 5, .maxInputs = 5, .minOutputs = 1, .maxOutputs = 3,
         .attributes = {attrFloat("epsilon", 1e-5f), attrFloat("momentum", 0.9f), attrInt("training_mode", 0)},
         .inferShapes = inferBatchNorm,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "InstanceNormalization", .sinceVersion = 6,
         .summary = "Normalizes each channel of each sample over its spatial axes, then scales and shifts.",
         .minInputs = 3, .maxInputs = 3,
         .attributes = {attrFloat("epsilon", 1e-5f)},
         .inferShapes = inferSameAsInput,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "LayerNormalization", .sinceVersion = 17,
         .summary = "Normalizes over the axes from `axis` on, then scales and shifts.",
         .minInputs = 2, .maxInputs = 3, .minOutputs = 1, .maxOutputs = 3,
         .attributes = {attrInt("axis", -1), attrFloat("epsilon", 1e-5f), attrInt("stash_type", 1)},
         .inferShapes = inferLayerNorm,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "GroupNormalization", .sinceVersion = 21,
         .summary = "Normalizes over channel groups, then applies per-channel scale and bias.",
         .minInputs = 3, .maxInputs = 3,
         .attributes = {attrFloat("epsilon", 1e-5f), attrRequired("num_groups", AttrKind::Int), attrInt("stash_type", 1)},
         .inferShapes = inferGroupNorm,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "LRN", .sinceVersion = 13,
         .summary = "Local response normalization across `size` neighbouring channels.",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrFloat("alpha", 1e-4f), attrFloat("beta", 0.75f), attrFloat("bias", 1.0f),
                        attrRequired("size", AttrKind::Int)},
         .inferShapes = inferSameAsInput,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
