#pragma once
// kiln IR -> ONNX. Adapts every op to the target opset, serializes a ModelProto, runs the
// ONNX checker (full check with shape inference) and writes the file atomically.

#include <cstdint>
#include <optional>
#include <string>

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::onnx_backend {

/// Which runtime the file is for: any (standard ONNX only) or ONNX Runtime, whose com.microsoft
/// contrib ops then stand for kiln's fused ops where they are exact (backends/onnx/ort_contrib.h).
enum class TargetRuntime { Standard, OnnxRuntime };

struct EmitOptions {
  /// Default-domain opset to write; nullopt keeps the opset the model was imported at.
  std::optional<int64_t> targetOpset;
  /// Run onnx::checker (full check with shape inference) for opsets the checker knows.
  bool check = true;
  /// Write initializers over this many bytes to `<output>.data` beside the model; models whose
  /// proto would pass 2 GiB always use external data.
  std::optional<uint64_t> externalDataThreshold;
  TargetRuntime runtime = TargetRuntime::Standard;
};

/// Serializes `model` to bytes (no file I/O; external data is not possible here).
Expected<std::string> emitModelBytes(const Model& model, const EmitOptions& options = {});
/// Writes `model` to `path` atomically: a temporary file in the same folder, then rename.
Status emitModelFile(const Model& model, const std::string& path, const EmitOptions& options = {});

}  // namespace kiln::onnx_backend
