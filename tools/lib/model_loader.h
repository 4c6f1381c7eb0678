#pragma once
// Loads a model for any command, whatever its format, and writes one back atomically.

#include <string>

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::tools {

enum class ModelFormat { Onnx, TextIR };

/// Picks the format from the file name: `.kir` is textual IR, anything else is read as ONNX.
ModelFormat formatFromPath(const std::string& path);

/// Reads a model; every failure is one diagnostic naming the file.
Expected<Model> loadModel(const std::string& path);

}  // namespace kiln::tools
