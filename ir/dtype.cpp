#include "ir/dtype.h"

#include <array>

namespace kiln {
namespace {

struct DTypeInfo {
  DType type;
  std::string_view name;
  size_t size;
};

constexpr std::array<DTypeInfo, 17> kInfo = {{
    {DType::Undefined, "?", 0},   {DType::Float32, "f32", 4},   {DType::UInt8, "u8", 1},
    {DType::Int8, "i8", 1},       {DType::UInt16, "u16", 2},    {DType::Int16, "i16", 2},
    {DType::Int32, "i32", 4},     {DType::Int64, "i64", 8},     {DType::String, "string", 0},
    {DType::Bool, "bool", 1},     {DType::Float16, "f16", 2},   {DType::Float64, "f64", 8},
    {DType::UInt32, "u32", 4},    {DType::UInt64, "u64", 8},    {DType::Complex64, "c64", 8},
    {DType::Complex128, "c128", 16}, {DType::BFloat16, "bf16", 2},
}};

const DTypeInfo& info(DType t) {
  auto i = static_cast<size_t>(t);
  return i < kInfo.size() ? kInfo[i] : kInfo[0];
}

}  // namespace

std::string_view dtypeName(DType t) { return info(t).name; }

std::optional<DType> parseDType(std::string_view name) {
  for (const auto& i : kInfo)
    if (i.name == name && i.type != DType::Undefined) return i.type;
  return std::nullopt;
}

std::optional<DType> dtypeFromOnnx(int32_t code) {
  if (code < 0 || code >= static_cast<int32_t>(kInfo.size())) return std::nullopt;
  return static_cast<DType>(code);
}

size_t dtypeSize(DType t) { return info(t).size; }

bool isFloat(DType t) {
  return t == DType::Float32 || t == DType::Float16 || t == DType::BFloat16 || t == DType::Float64;
}

bool isInteger(DType t) {
  switch (t) {
    case DType::Int8: case DType::Int16: case DType::Int32: case DType::Int64:
    case DType::UInt8: case DType::UInt16: case DType::UInt32: case DType::UInt64:
      return true;
    default:
      return false;
  }
}

bool isSigned(DType t) {
  return t == DType::Int8 || t == DType::Int16 || t == DType::Int32 || t == DType::Int64 ||
         isFloat(t);
}

}  // namespace kiln
