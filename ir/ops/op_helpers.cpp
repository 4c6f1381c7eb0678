#include "ir/ops/op_helpers.h"

namespace kiln::ops {

DType firstKnownDtype(const InferenceContext& ctx, std::initializer_list<size_t> inputs) {
  for (size_t i : inputs)
    if (ctx.inputType(i).isTensor() && ctx.inputType(i).dtype() != DType::Undefined)
      return ctx.inputType(i).dtype();
  return DType::Undefined;
}

std::optional<int64_t> staticLength(const InferenceContext& ctx, size_t i) {
  const Shape s = shapeOf(ctx.inputType(i));
  if (s.isRanked() && s.rank() == 1 && s[0].isStatic()) return s[0].value();
  if (s.isRanked() && s.rank() == 0) return 1;
  return std::nullopt;
}

Status inferSameAsInput(InferenceContext& ctx) {
  ctx.setOutputType(0, ctx.inputType(0));
  return Status::ok();
}

Status inferSameShapeWithDtype(InferenceContext& ctx, DType dtype) {
  ctx.setOutputType(0, Type::tensor(dtype, shapeOf(ctx.inputType(0))));
  return Status::ok();
}

Status inferBroadcast(InferenceContext& ctx, DType dtype, size_t dtypeFrom, bool sameDtype) {
  std::vector<Shape> shapes;
  DType common = DType::Undefined;
  for (size_t i = 0; i < ctx.numInputs(); ++i) {
    if (!ctx.hasInput(i)) continue;
    const Type& t = ctx.inputType(i);
    shapes.push_back(shapeOf(t));
    if (!sameDtype || !t.isTensor() || t.dtype() == DType::Undefined) continue;
    if (common != DType::Undefined && t.dtype() != common)
      return ctx.error("operand types differ (" + std::string(dtypeName(common)) + " vs " +
                       std::string(dtypeName(t.dtype())) + ")");
    common = t.dtype();
  }
  auto shape = broadcastShapes(shapes);
  if (!shape) return atNode(ctx, shape.takeStatus());
  if (dtype == DType::Undefined) {
    dtype = firstKnownDtype(ctx, {dtypeFrom});
    if (dtype == DType::Undefined && sameDtype) dtype = common;
  }
  ctx.setOutputType(0, Type::tensor(dtype, shape.take()));
  return Status::ok();
}

}  // namespace kiln::ops
