#pragma once
// External tensor data (TensorProto.data_location = EXTERNAL): safe path resolution and mapping.
// Internal to frontend/onnx.

#include <cstdint>
#include <memory>
#include <string>

#include "frontend/onnx/import_context.h"
#include "ir/tensor.h"

namespace kiln::onnx_frontend {

/// Maps the `byteSize` bytes the external_data entries of `proto` point at. The location must be
/// a relative path without `..` components that resolves (symlinks followed) inside the model's
/// folder; offset + length must lie inside the file. `what` names the tensor in errors.
Expected<std::shared_ptr<const Buffer>> mapExternalData(const onnx::TensorProto& proto, const std::string& what,
                                                        uint64_t byteSize, ImportContext& ctx);

}  // namespace kiln::onnx_frontend
