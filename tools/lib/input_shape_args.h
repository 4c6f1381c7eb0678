#pragma once
// The `--input-shape NAME=1x3x224x224[:dtype]` and `--output-names a,b` options: what a traced
// TorchScript module needs to be read (it records no input shapes of its own).

#include <string>
#include <vector>

#include "frontend/torchscript/torch_api.h"
#include "ir/model.h"

namespace kiln::tools {

/// Parses one `NAME=1x3x224x224[:dtype]` (NAME optional: `1x3x224x224` binds in argument
/// order). dtype: float32, float16, float64, int64, int32, bool... or f32/i64-style short names.
Expected<torchscript::InputSpec> parseInputShape(const std::string& text);
Expected<std::vector<torchscript::InputSpec>> parseInputShapes(const std::vector<std::string>& texts);

/// `a,b,c` -> {a, b, c}; empty entries are kept (they take the default name).
std::vector<std::string> parseOutputNames(const std::string& text);

/// A model with no nodes whose graph inputs have exactly `specs`' names, dtypes and static
/// shapes (unnamed ones become `input_<i>`): a signature bindInputs can read and generate from.
Model signatureFromInputShapes(const std::vector<torchscript::InputSpec>& specs);

}  // namespace kiln::tools
