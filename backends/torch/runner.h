#pragma once
// Runs a TorchScript module with libtorch: the independent judge for `kiln validate` and
// `kiln run --backend torch`.

#include <string>
#include <vector>

#include "frontend/torchscript/torch_api.h"

namespace kiln::torch_runner {

Expected<std::vector<Tensor>> runTorchScriptFile(const std::string& path, const std::vector<Tensor>& inputs,
                                                 const torchscript::RunOptions& options);

}  // namespace kiln::torch_runner
