#pragma once
// Finds and loads libkiln_torch.so (once per process) the first time a command needs libtorch.

#include "frontend/torchscript/torch_api.h"

namespace kiln::tools {

/// The module beside the running `kiln` executable, or the file named by $KILN_TORCH_MODULE.
/// The error says which file was tried and why it could not be used.
Expected<const torchscript::TorchApi*> loadTorchApi();

}  // namespace kiln::tools
