#pragma once
// Element types. Enumerator values equal ONNX's TensorProto.DataType codes, so the ONNX
// frontend and emitter convert with a cast and no table.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kiln {

enum class DType : int32_t {
  Undefined = 0,
  Float32 = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Float64 = 11,
  UInt32 = 12,
  UInt64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
};

/// Short name used in the textual IR: f32, f16, bf16, f64, i8..i64, u8..u64, bool, string.
std::string_view dtypeName(DType t);
std::optional<DType> parseDType(std::string_view name);
/// The ONNX code, or nullopt for codes kiln does not model (float8 variants, int4...).
std::optional<DType> dtypeFromOnnx(int32_t code);
inline int32_t dtypeToOnnx(DType t) { return static_cast<int32_t>(t); }

/// Bytes per element; 0 for String and Undefined (their size is not fixed).
size_t dtypeSize(DType t);
bool isFloat(DType t);    ///< f16, bf16, f32, f64
bool isInteger(DType t);  ///< signed or unsigned integer, not bool
bool isSigned(DType t);

}  // namespace kiln
