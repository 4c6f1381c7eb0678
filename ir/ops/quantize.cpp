// Linear quantization: QuantizeLinear and DequantizeLinear (v21, with block_size).

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// The element type is output_dtype when set, else the zero point's, else uint8.
Status inferQuantize(InferenceContext& ctx) {
  DType dtype = DType::UInt8;
  int64_t outputDtype = ctx.node().intAttr("output_dtype", 0);
  if (outputDtype != 0) {
    auto d = dtypeFromOnnx(static_cast<int32_t>(outputDtype));
    dtype = d.value_or(DType::Undefined);
  } else if (ctx.hasInput(2)) {
    dtype = firstKnownDtype(ctx, {2});
  }
  return inferSameShapeWithDtype(ctx, dtype);
}

}  // namespace

void registerQuantizeOps(OpRegistry& r) {
  r.add({.domain = "", .name = "QuantizeLinear", .sinceVersion = 21,
         .summary = "saturate(round(x / y_scale) + y_zero_point), per tensor, axis or block.",
         .minInputs = 2, .maxInputs = 3,
         .attributes = {attrInt("axis", 1), attrInt("block_size", 0), attrInt("output_dtype", 0), attrInt("saturate", 1)},
         .inferShapes = inferQuantize,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "DequantizeLinear", .sinceVersion = 21,
         .summary = "(x - x_zero_point) * x_scale, per tensor, axis or block; the scale's element type.",
         .minInputs = 2, .maxInputs = 3,
         .attributes = {attrInt("axis", 1), attrInt("block_size", 0)},
         .inferShapes = [](InferenceContext& ctx) { return inferSameShapeWithDtype(ctx, firstKnownDtype(ctx, {1})); },
         .traits = OpTrait::Pure});
}

}  // namespace kiln
