#pragma once
// kiln IR -> ONNX. Adapts every op to the target opset, serializes a ModelProto, runs the
// ONNX checker (full check with shape inference) and writes the file atomically.

#include <cstdint>
#include <optional>
#include <string>

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::onnx_backend {

struct EmitOptions {
  /// Default-domain opset to write; nullopt keeps the opset the model was imported at.
  std::optional<int64_t> targetOpset;
  /// Run onnx::checker (full check with shape inference) for opsets the checker knows.
  bool check = true;
  /// Write initializers over this many bytes to `<output>.data` beside the model; models whose
  /// proto would pass 2 GiB always use external data.
  std::optional<uint64_t> externalDataThreshold;
};

/// Serializes `model` to bytes (no file I/O; external data is not possible here).
Expected<std::string> emitModelBytes(const Model& model, const EmitOptions& options = {});
/// Writes `model` to `path` atomically: a temporary file in the same folder, then rename.
Status emitModelFile(const Model& model, const std::string& path, const EmitOptions& options = {});

}  // namespace kiln::onnx_backend
