#pragma once
// Writes a model in the format its output path asks for, atomically, never over its input
// unless forced.

#include <cstdint>
#include <optional>
#include <string>

#include "ir/diagnostic.h"
#include "ir/model.h"
#include "tools/lib/model_loader.h"

namespace kiln::tools {

struct WriteOptions {
  ModelFormat format = ModelFormat::Onnx;
  std::optional<int64_t> opset;  ///< ONNX default-domain opset; nullopt keeps the source's
  bool force = false;            ///< allow overwriting the model's own input file
  bool onnxRuntime = false;      ///< --target-runtime onnxruntime: ORT contrib ops where exact
};

/// Writes `model` to `path` (temporary file + rename: a failure leaves no partial file and
/// an existing file untouched).
Status writeModel(const Model& model, const std::string& path, const WriteOptions& options);

/// Refuses `output` when it is the same file as `input`, unless `force`.
Status checkNotOverwritingInput(const std::string& input, const std::string& output, bool force);

}  // namespace kiln::tools
