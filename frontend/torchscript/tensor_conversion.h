#pragma once
// Conversions between libtorch's tensors and dtypes and kiln's.

#include <ATen/core/Tensor.h>

#include <optional>

#include "ir/tensor.h"

namespace kiln::torchscript {

/// kiln's dtype for a torch scalar type; nullopt for types kiln does not model (complex, qint).
std::optional<DType> dtypeFromTorch(c10::ScalarType type);
std::optional<c10::ScalarType> dtypeToTorch(DType dtype);
/// Copies a (CPU) torch tensor into a kiln tensor with owned bytes.
Expected<Tensor> tensorFromTorch(const at::Tensor& t);
/// A torch tensor sharing nothing with `t` (a copy of its bytes).
Expected<at::Tensor> tensorToTorch(const Tensor& t);

}  // namespace kiln::torchscript
