#pragma once
// Internal to the ONNX emitter: runs the linked ONNX library's checker on an emitted model.

#include <cstdint>
#include <string>

#include "ir/diagnostic.h"

namespace ONNX_NAMESPACE {
class ModelProto;
}  // namespace ONNX_NAMESPACE

namespace kiln::onnx_backend {

class ExternalDataLayout;

/// Highest default-domain opset the linked ONNX checker knows (17 for libonnx 1.12).
int64_t checkerMaxOpset();
/// Highest IR version the linked ONNX checker accepts (8 for libonnx 1.12).
int64_t checkerMaxIrVersion();

/// What `onnx.checker.check_model(model, full_check=True)` does: the structural check, then
/// strict shape inference with type checks. With a non-empty `modelPath` the structural check
/// reads that file instead of `proto` (it must, to resolve external data beside it); the
/// inference still runs on `proto`, whose small external tensors are read back from
/// `external`. `proto` is left as it was. Failures read
/// "emitted model fails the ONNX checker: ...".
Status runOnnxChecker(ONNX_NAMESPACE::ModelProto& proto, const std::string& modelPath,
                      const ExternalDataLayout* external);

}  // namespace kiln::onnx_backend
