#pragma once
// Shared by the op family files of ir/ops/: attribute-spec builders that read like the ONNX
// spec tables, and the inference functions many ops have in common.

#include <optional>
#include <string>
#include <vector>

#include "ir/op_registry.h"
#include "ir/shape_inference.h"

namespace kiln::ops {

// ---- attribute specs ----------------------------------------------------------------------

inline AttrSpec attrInt(std::string name, int64_t v) { return {std::move(name), AttrKind::Int, false, Attribute(v)}; }
inline AttrSpec attrFloat(std::string name, float v) { return {std::move(name), AttrKind::Float, false, Attribute(v)}; }
inline AttrSpec attrString(std::string name, std::string v) {
  return {std::move(name), AttrKind::String, false, Attribute(std::move(v))};
}
inline AttrSpec attrStrings(std::string name, std::vector<std::string> v) {
  return {std::move(name), AttrKind::Strings, false, Attribute(std::move(v))};
}
/// An optional attribute whose absence means something the op computes (dilations = all 1s).
inline AttrSpec attrOptional(std::string name, AttrKind kind) { return {std::move(name), kind, false, std::nullopt}; }
inline AttrSpec attrRequired(std::string name, AttrKind kind) { return {std::move(name), kind, true, std::nullopt}; }

// ---- small readers ------------------------------------------------------------------------

/// The shape of a tensor type; unranked for an unknown or non-tensor type.
inline Shape shapeOf(const Type& t) { return t.isTensor() ? t.shape() : Shape::unranked(); }
inline bool isStaticValue(const Dim& d, int64_t v) { return d.isStatic() && d.value() == v; }
/// The dtype of the first input among `inputs` whose dtype is known.
DType firstKnownDtype(const InferenceContext& ctx, std::initializer_list<size_t> inputs);
/// The element type of input i; Undefined when unknown or not a tensor.
inline DType inputDtype(const InferenceContext& ctx, size_t i) {
  const Type& t = ctx.inputType(i);
  return t.isTensor() ? t.dtype() : DType::Undefined;
}
/// The length of a 1-D input whose shape is static (a scalar counts as 1): what is known of
/// a shape or axes tensor whose contents are not.
std::optional<int64_t> staticLength(const InferenceContext& ctx, size_t i);

// ---- shared inference functions -----------------------------------------------------------

/// Output 0 has the type of input 0 (unary elementwise ops, Softmax, ...).
Status inferSameAsInput(InferenceContext& ctx);
/// Output 0 has input 0's shape and the given dtype (IsNaN, comparisons of one operand).
Status inferSameShapeWithDtype(InferenceContext& ctx, DType dtype);
/// Output 0 is the broadcast of every present input; dtype `dtype`, or that of the first input
/// from `dtypeFrom` when Undefined. `sameDtype` reports operands of different element types.
Status inferBroadcast(InferenceContext& ctx, DType dtype, size_t dtypeFrom, bool sameDtype);

}  // namespace kiln::ops
