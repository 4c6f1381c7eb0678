#include "backends/torch/tensor_convert.h"

#include <cstring>

namespace kiln::torch_runner {

std::optional<at::ScalarType> toScalarType(DType dtype) {
  switch (dtype) {
    case DType::Float32: return at::kFloat;
    case DType::Float64: return at::kDouble;
    case DType::Float16: return at::kHalf;
    case DType::BFloat16: return at::kBFloat16;
    case DType::Int8: return at::kChar;
    case DType::UInt8: return at::kByte;
    case DType::Int16: return at::kShort;
    case DType::Int32: return at::kInt;
    case DType::Int64: return at::kLong;
    case DType::Bool: return at::kBool;
    case DType::Complex64: return at::kComplexFloat;
    case DType::Complex128: return at::kComplexDouble;
    default: return std::nullopt;
  }
}

std::optional<DType> fromScalarType(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return DType::Float32;
    case at::kDouble: return DType::Float64;
    case at::kHalf: return DType::Float16;
    case at::kBFloat16: return DType::BFloat16;
    case at::kChar: return DType::Int8;
    case at::kByte: return DType::UInt8;
    case at::kShort: return DType::Int16;
    case at::kInt: return DType::Int32;
    case at::kLong: return DType::Int64;
    case at::kBool: return DType::Bool;
    case at::kComplexFloat: return DType::Complex64;
    case at::kComplexDouble: return DType::Complex128;
    default: return std::nullopt;
  }
}

Expected<at::Tensor> toAtTensor(const Tensor& t, const std::string& what) {
  auto type = toScalarType(t.dtype());
  if (!type)
    return Status::error(what + ": dtype " + std::string(dtypeName(t.dtype())) + " has no libtorch equivalent");
  if (!t.hasData() || t.isElided()) return Status::error(what + ": tensor has no data");
  at::Tensor out = at::empty(t.dims(), at::TensorOptions().dtype(*type));
  // Bool is one byte in both (kiln stores 0/1 as uint8), so a byte copy covers every dtype.
  if (t.byteSize() > 0) std::memcpy(out.data_ptr(), t.rawData(), t.byteSize());
  return out;
}

Expected<Tensor> fromAtTensor(const at::Tensor& t, const std::string& what) {
  at::Tensor dense = t.detach();
  if (dense.is_sparse()) dense = dense.to_dense();
  if (dense.is_quantized()) dense = dense.dequantize();
  dense = dense.cpu().contiguous();
  auto dtype = fromScalarType(dense.scalar_type());
  if (!dtype)
    return Status::error(what + ": libtorch dtype " + std::string(c10::toString(dense.scalar_type())) +
                         " has no kiln equivalent");
  std::vector<int64_t> dims(dense.sizes().begin(), dense.sizes().end());
  Tensor out = Tensor::zeros(*dtype, dims);
  size_t bytes = out.byteSize();
  if (bytes != static_cast<size_t>(dense.numel()) * dense.element_size())
    return Status::error(what + ": element size of " + std::string(c10::toString(dense.scalar_type())) + " differs from kiln's");
  if (bytes > 0) std::memcpy(out.mutableRawData(), dense.data_ptr(), bytes);
  return out;
}

}  // namespace kiln::torch_runner
