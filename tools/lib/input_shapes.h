#pragma once
// `--input-shape NAME=1x3x224x224[:dtype]`: the example shapes a `.pt` model is read and run
// with (a TorchScript file carries no input signature of its own).

#include <string>
#include <vector>

#include "frontend/torchscript/torch_api.h"
#include "ir/model.h"

namespace kiln::tools {

/// Parses `NAME=1x3x224x224`, `NAME=1x128:int64` or a bare `1x3x8x8` (matched by position).
/// dtype: kiln names (f32, i64, bool...) or torch/numpy names (float32, int64, long, half...);
/// default float32.
Expected<std::vector<torchscript::InputSpec>> parseInputShapes(const std::vector<std::string>& entries);

/// A model with no nodes whose graph inputs have exactly `specs`' names, dtypes and static
/// shapes (unnamed ones become `input_<i>`): a signature bindInputs can read and generate from.
Model signatureFromInputShapes(const std::vector<torchscript::InputSpec>& specs);

}  // namespace kiln::tools
