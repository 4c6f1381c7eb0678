#pragma once
// kiln Tensor <-> at::Tensor, by copy. Includes ATen: only for backends/torch and
// frontend/torchscript.

#include <ATen/ATen.h>

#include <optional>

#include "ir/tensor.h"

namespace kiln::torch_runner {

/// The libtorch scalar type of `dtype`; nullopt where torch 1.13 has none (u16, u32, u64,
/// string).
std::optional<at::ScalarType> toScalarType(DType dtype);
/// The kiln dtype of `type`; nullopt for torch-only types (quantized, complex32...).
std::optional<DType> fromScalarType(at::ScalarType type);

/// A contiguous CPU at::Tensor owning a copy of `t`'s bytes. `what` names it in errors.
Expected<at::Tensor> toAtTensor(const Tensor& t, const std::string& what);
/// A kiln Tensor owning a copy of `t` (any device, layout or strides). `what` names it in errors.
Expected<Tensor> fromAtTensor(const at::Tensor& t, const std::string& what);

}  // namespace kiln::torch_runner
