#pragma once
// ONNX TypeProto -> kiln Type. Internal to frontend/onnx.

#include <cstdint>
#include <string>

#include "frontend/onnx/import_context.h"
#include "ir/type.h"

namespace kiln::onnx_frontend {

/// ONNX's name for an element type code (`FLOAT`, `FLOAT8E4M3FN`), or the number when unknown.
std::string onnxTypeName(int32_t code);

/// The kiln dtype of an ONNX element type code; `what` ("input 'x'") names the owner in errors.
Expected<DType> dtypeFromProto(int32_t code, const std::string& what);

/// Converts a value's type. A tensor with no shape is unranked; a dim with dim_value is static,
/// with dim_param symbolic, with neither unknown. Map, sparse and opaque types are refused.
Expected<Type> typeFromProto(const onnx::TypeProto& type, const std::string& what);

}  // namespace kiln::onnx_frontend
