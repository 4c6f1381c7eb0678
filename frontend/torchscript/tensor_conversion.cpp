#include "frontend/torchscript/tensor_conversion.h"

#include <ATen/ATen.h>

#include <cstring>

namespace kiln::torchscript {

std::optional<DType> dtypeFromTorch(c10::ScalarType type) {
  switch (type) {
    case c10::ScalarType::Float: return DType::Float32;
    case c10::ScalarType::Double: return DType::Float64;
    case c10::ScalarType::Half: return DType::Float16;
    case c10::ScalarType::BFloat16: return DType::BFloat16;
    case c10::ScalarType::Long: return DType::Int64;
    case c10::ScalarType::Int: return DType::Int32;
    case c10::ScalarType::Short: return DType::Int16;
    case c10::ScalarType::Char: return DType::Int8;
    case c10::ScalarType::Byte: return DType::UInt8;
    case c10::ScalarType::Bool: return DType::Bool;
    default: return std::nullopt;
  }
}

std::optional<c10::ScalarType> dtypeToTorch(DType dtype) {
  for (auto t : {c10::ScalarType::Float, c10::ScalarType::Double, c10::ScalarType::Half, c10::ScalarType::BFloat16,
                 c10::ScalarType::Long, c10::ScalarType::Int, c10::ScalarType::Short, c10::ScalarType::Char,
                 c10::ScalarType::Byte, c10::ScalarType::Bool})
    if (dtypeFromTorch(t) == dtype) return t;
  return std::nullopt;
}

Expected<Tensor> tensorFromTorch(const at::Tensor& t) {
  auto dtype = dtypeFromTorch(t.scalar_type());
  if (!dtype) return Status::error(std::string("tensors of type ") + c10::toString(t.scalar_type()) + " are not supported");
  at::Tensor dense = t.to(at::kCPU).contiguous();
  std::vector<int64_t> dims(dense.sizes().begin(), dense.sizes().end());
  Tensor out = Tensor::zeros(*dtype, dims);
  if (out.byteSize() > 0) std::memcpy(out.mutableRawData(), dense.data_ptr(), out.byteSize());
  return out;
}

Expected<at::Tensor> tensorToTorch(const Tensor& t) {
  auto type = dtypeToTorch(t.dtype());
  if (!type) return Status::error("tensors of type " + std::string(dtypeName(t.dtype())) + " cannot go to libtorch");
  at::Tensor out = at::empty(t.dims(), at::TensorOptions().dtype(*type));
  if (t.byteSize() > 0) std::memcpy(out.data_ptr(), t.rawData(), t.byteSize());
  return out;
}

}  // namespace kiln::torchscript
