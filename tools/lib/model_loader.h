#pragma once
// Loads a model for any command, whatever its format, and writes one back atomically.

#include <string>

#include "frontend/torchscript/torch_api.h"
#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::tools {

enum class ModelFormat { Onnx, TextIR, TorchScript };

/// Picks the format from the file name: `.kir` is textual IR, `.pt`/`.pth` a TorchScript
/// module (read through libkiln_torch.so), anything else is read as ONNX.
ModelFormat formatFromPath(const std::string& path);

/// Reads a model; every failure is one diagnostic naming the file. `torch` says how to read a
/// TorchScript module (its input shapes, output names); other formats ignore it.
Expected<Model> loadModel(const std::string& path, const torchscript::ImportOptions& torch = {});

}  // namespace kiln::tools
