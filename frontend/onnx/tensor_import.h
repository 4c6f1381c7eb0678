#pragma once
// ONNX TensorProto -> kiln Tensor, for initializers and tensor attributes. Internal to
// frontend/onnx.

#include <string>

#include "frontend/onnx/import_context.h"
#include "ir/tensor.h"

namespace kiln::onnx_frontend {

/// Converts `proto`, reading whichever encoding holds its data: raw_data (little-endian, moved
/// out of the proto, not copied), the typed fields (float_data, int32_data for every type of 16
/// bits or fewer, int64_data, double_data, uint64_data, string_data) or external data (mapped,
/// never read into memory). Checks dims, element count, byte size against the dims and against
/// ImportOptions::maxTensorBytes. `what` names the tensor in errors ("initializer 'w'").
Expected<Tensor> tensorFromProto(onnx::TensorProto& proto, const std::string& what, ImportContext& ctx);

}  // namespace kiln::onnx_frontend
