#include "frontend/onnx/tensor_import.h"

#include <onnx/onnx_pb.h>

#include <bit>
#include <cstring>

#include "frontend/onnx/external_data.h"
#include "frontend/onnx/type_import.h"
#include "ir/limits.h"
#include "ir/type.h"

namespace kiln::onnx_frontend {
namespace {

static_assert(std::endian::native == std::endian::little,
              "raw_data is little-endian and is used in place; a big-endian host would need a byte swap");

/// raw_data moved out of the proto: the weights stay where protobuf parsed them.
class StringBuffer final : public Buffer {
 public:
  explicit StringBuffer(std::string bytes) : bytes_(std::move(bytes)) {}
  const std::byte* data() const override { return reinterpret_cast<const std::byte*>(bytes_.data()); }
  size_t size() const override { return bytes_.size(); }

 private:
  std::string bytes_;
};

/// The typed field an ONNX writer uses for each element type (onnx.proto, TensorProto).
enum class Field { Float, Int32, String, Int64, Double, UInt64 };

Field carrierField(DType d) {
  switch (d) {
    case DType::Float32:
    case DType::Complex64: return Field::Float;
    case DType::String: return Field::String;
    case DType::Int64: return Field::Int64;
    case DType::Float64:
    case DType::Complex128: return Field::Double;
    case DType::UInt32:
    case DType::UInt64: return Field::UInt64;
    default: return Field::Int32;  // every type of 32 bits or fewer that is not f32/u32
  }
}

const char* fieldName(Field f) {
  switch (f) {
    case Field::Float: return "float_data";
    case Field::Int32: return "int32_data";
    case Field::String: return "string_data";
    case Field::Int64: return "int64_data";
    case Field::Double: return "double_data";
    case Field::UInt64: return "uint64_data";
  }
  return "?";
}

int fieldSize(const onnx::TensorProto& t, Field f) {
  switch (f) {
    case Field::Float: return t.float_data_size();
    case Field::Int32: return t.int32_data_size();
    case Field::String: return t.string_data_size();
    case Field::Int64: return t.int64_data_size();
    case Field::Double: return t.double_data_size();
    case Field::UInt64: return t.uint64_data_size();
  }
  return 0;
}

std::string typeText(DType d, const std::vector<int64_t>& dims) {
  return Type::tensor(d, Shape(std::vector<Dim>(dims.begin(), dims.end()))).str();
}

/// Writes `count` values of `src` into `out`, each converted to the element type `T`.
template <typename T, typename Src, typename Convert>
void store(std::byte* out, const Src& src, Convert convert) {
  for (int i = 0; i < src.size(); ++i) {
    T v = convert(src.Get(i));
    std::memcpy(out + static_cast<size_t>(i) * sizeof(T), &v, sizeof(T));
  }
}

/// Fills a fresh tensor from the typed field (already checked to hold the right count).
void fillFromTypedField(const onnx::TensorProto& t, Tensor& out) {
  std::byte* p = out.mutableRawData();
  auto same = [](auto v) { return v; };
  switch (out.dtype()) {
    case DType::Float32:
    case DType::Complex64: store<float>(p, t.float_data(), same); break;
    case DType::Float64:
    case DType::Complex128: store<double>(p, t.double_data(), same); break;
    case DType::Int64: store<int64_t>(p, t.int64_data(), same); break;
    case DType::UInt64: store<uint64_t>(p, t.uint64_data(), same); break;
    case DType::UInt32: store<uint32_t>(p, t.uint64_data(), [](uint64_t v) { return static_cast<uint32_t>(v); }); break;
    case DType::Int32: store<int32_t>(p, t.int32_data(), same); break;
    case DType::Int16: store<int16_t>(p, t.int32_data(), [](int32_t v) { return static_cast<int16_t>(v); }); break;
    case DType::Int8: store<int8_t>(p, t.int32_data(), [](int32_t v) { return static_cast<int8_t>(v); }); break;
    case DType::UInt8: store<uint8_t>(p, t.int32_data(), [](int32_t v) { return static_cast<uint8_t>(v); }); break;
    case DType::Bool: store<uint8_t>(p, t.int32_data(), [](int32_t v) { return static_cast<uint8_t>(v != 0); }); break;
    // Half-precision values travel as their 16-bit patterns in the low bits of int32_data.
    case DType::UInt16:
    case DType::Float16:
    case DType::BFloat16: store<uint16_t>(p, t.int32_data(), [](int32_t v) { return static_cast<uint16_t>(v); }); break;
    default: KILN_ASSERT(false && "no typed field for this dtype");
  }
}

}  // namespace

Expected<Tensor> tensorFromProto(onnx::TensorProto& t, const std::string& what, ImportContext& ctx) {
  if (t.data_type() == onnx::TensorProto::UNDEFINED) return Status::error(what + " has no element type");
  auto dtypeOr = dtypeFromProto(t.data_type(), what);
  if (!dtypeOr) return dtypeOr.takeStatus();
  DType dtype = *dtypeOr;
  if (t.has_segment()) return Status::error(what + " is a segmented tensor, which kiln does not support");

  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  for (size_t axis = 0; axis < dims.size(); ++axis)
    if (dims[axis] < 0)
      return Status::error(what + " has negative dim " + std::to_string(dims[axis]) + " at axis " +
                           std::to_string(axis));
  std::optional<int64_t> countOr = safeElementCount(dims);
  std::optional<uint64_t> elementBytes = countOr ? safeByteSize(dtype, *countOr) : std::nullopt;
  if (!elementBytes)
    return Status::error(what + " has dims " + typeText(dtype, dims) + " whose element count overflows int64");
  const int64_t count = *countOr;
  uint64_t bytes = *elementBytes;
  const Limits& limits = ctx.options.limits;
  if (dtype == DType::String) {
    for (const auto& s : t.string_data()) {
      if (s.size() > limits.maxStringBytes)
        return Status::error(what + " holds a string of " + formatBytes(s.size()) + ", over the string length limit of " +
                             formatBytes(limits.maxStringBytes) + " " + limitHint("--max-string-bytes"));
      bytes += s.size();
    }
  }
  if (bytes > limits.maxTensorBytes)
    return Status::error(what + " is " + formatBytes(bytes) + ", over the tensor size limit of " +
                         formatBytes(limits.maxTensorBytes) + " " + limitHint("--max-tensor-bytes"));

  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    if (dtype == DType::String)
      return Status::error(what + " is a string tensor in external data, which ONNX does not allow");
    auto buffer = mapExternalData(t, what, bytes, ctx);
    if (!buffer) return buffer.takeStatus();
    return Tensor::fromBuffer(dtype, std::move(dims), buffer.take());
  }

  // Exactly one encoding may carry the data.
  Field carrier = carrierField(dtype);
  std::vector<Field> present;
  for (Field f : {Field::Float, Field::Int32, Field::String, Field::Int64, Field::Double, Field::UInt64})
    if (fieldSize(t, f) > 0) present.push_back(f);
  if (t.has_raw_data() && !present.empty())
    return Status::error(what + " has both raw_data and " + fieldName(present[0]));
  if (present.size() > 1)
    return Status::error(what + " has both " + std::string(fieldName(present[0])) + " and " + fieldName(present[1]));

  if (t.has_raw_data()) {
    if (dtype == DType::String) return Status::error(what + " is a string tensor in raw_data; strings belong in string_data");
    if (t.raw_data().size() != bytes)
      return Status::error(what + ": raw_data has " + std::to_string(t.raw_data().size()) + " bytes, " +
                           typeText(dtype, dims) + " needs " + std::to_string(bytes) + " (size mismatch)");
    auto buffer = std::make_shared<StringBuffer>(std::move(*t.mutable_raw_data()));
    t.clear_raw_data();
    return Tensor::fromBuffer(dtype, std::move(dims), std::move(buffer));
  }

  int perElement = dtype == DType::Complex64 || dtype == DType::Complex128 ? 2 : 1;
  int64_t need = count * perElement;
  if (present.empty()) {
    if (count == 0) return Tensor::zeros(dtype, std::move(dims));
    return Status::error(what + " has no data (" + typeText(dtype, dims) + " needs " + std::to_string(count) +
                         (count == 1 ? " value)" : " values)"));
  }
  if (present[0] != carrier)
    return Status::error(what + " is " + std::string(dtypeName(dtype)) + " but its data is in " +
                         fieldName(present[0]) + " (expected " + fieldName(carrier) + " or raw_data)");
  int have = fieldSize(t, carrier);
  if (have != need)
    return Status::error(what + ": " + fieldName(carrier) + " has " + std::to_string(have) + " values, " +
                         typeText(dtype, dims) + " needs " + std::to_string(need) + " (size mismatch)");

  if (dtype == DType::String) {
    std::vector<std::string> strings;
    strings.reserve(static_cast<size_t>(count));
    for (auto& s : *t.mutable_string_data()) strings.push_back(std::move(s));
    return Tensor::fromStrings(std::move(dims), std::move(strings));
  }
  Tensor out = Tensor::zeros(dtype, std::move(dims));
  fillFromTypedField(t, out);
  return out;
}

}  // namespace kiln::onnx_frontend
