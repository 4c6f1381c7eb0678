#include "frontend/onnx/type_import.h"

#include <onnx/onnx_pb.h>

#include <array>
#include <string_view>

namespace kiln::onnx_frontend {

std::string onnxTypeName(int32_t code) {
  // Spelled out rather than taken from the generated enum: Debian's ONNX 1.12 protobuf stops at
  // BFLOAT16, and the newer codes are exactly the ones a message needs to name.
  static constexpr std::array<std::string_view, 24> kNames = {
      "UNDEFINED", "FLOAT",        "UINT8",          "INT8",       "UINT16",         "INT16",
      "INT32",     "INT64",        "STRING",         "BOOL",       "FLOAT16",        "DOUBLE",
      "UINT32",    "UINT64",       "COMPLEX64",      "COMPLEX128", "BFLOAT16",       "FLOAT8E4M3FN",
      "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4",   "INT4",           "FLOAT4E2M1"};
  if (code >= 0 && code < static_cast<int32_t>(kNames.size())) return std::string(kNames[code]);
  return "type code " + std::to_string(code);
}

Expected<DType> dtypeFromProto(int32_t code, const std::string& what) {
  std::optional<DType> d = dtypeFromOnnx(code);
  if (!d) return Status::error(what + " has element type " + onnxTypeName(code) + ", which kiln does not support");
  return *d;
}


namespace {

Expected<Type> tensorType(const onnx::TypeProto_Tensor& t, const std::string& what) {
  auto dtype = dtypeFromProto(t.elem_type(), what);
  if (!dtype) return dtype.takeStatus();
  if (!t.has_shape()) return Type::tensor(*dtype, Shape::unranked());
  std::vector<Dim> dims;
  int64_t staticCount = 1;
  bool overflow = false;
  for (int axis = 0; axis < t.shape().dim_size(); ++axis) {
    const auto& d = t.shape().dim(axis);
    if (d.has_dim_value()) {
      if (d.dim_value() < 0)
        return Status::error(what + " has negative dim " + std::to_string(d.dim_value()) + " at axis " +
                             std::to_string(axis));
      overflow |= __builtin_mul_overflow(staticCount, d.dim_value(), &staticCount);
      dims.emplace_back(d.dim_value());
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      dims.push_back(Dim::symbol(d.dim_param()));
    } else {
      dims.push_back(Dim::unknown());
    }
  }
  Shape shape(std::move(dims));
  // Later passes multiply static dims freely; a shape whose product cannot be counted would
  // overflow there, so it is refused here, at the boundary.
  if (overflow)
    return Status::error(what + " has shape " + shape.str() + " whose element count overflows int64");
  return Type::tensor(*dtype, std::move(shape));
}

}  // namespace

Expected<Type> typeFromProto(const onnx::TypeProto& type, const std::string& what) {
  switch (type.value_case()) {
    case onnx::TypeProto::kTensorType:
      return tensorType(type.tensor_type(), what);
    case onnx::TypeProto::kSequenceType: {
      if (!type.sequence_type().has_elem_type()) return Type::sequence(Type());
      auto elem = typeFromProto(type.sequence_type().elem_type(), what);
      if (!elem) return elem;
      return Type::sequence(elem.take());
    }
    case onnx::TypeProto::kOptionalType: {
      if (!type.optional_type().has_elem_type()) return Type::optional(Type());
      auto elem = typeFromProto(type.optional_type().elem_type(), what);
      if (!elem) return elem;
      return Type::optional(elem.take());
    }
    case onnx::TypeProto::kMapType:
      return Status::error(what + " has a map type, which kiln does not support");
    case onnx::TypeProto::kSparseTensorType:
      return Status::error(what + " has a sparse tensor type, which kiln does not support");
    case onnx::TypeProto::kOpaqueType:
      return Status::error(what + " has an opaque type, which kiln does not support");
    case onnx::TypeProto::VALUE_NOT_SET:
      break;
  }
  return Type();
}

}  // namespace kiln::onnx_frontend
