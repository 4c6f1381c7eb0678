#include "backends/torch/runner.h"

namespace kiln::torch_runner {

Expected<std::vector<Tensor>> runTorchScriptFile(const std::string& path, const std::vector<Tensor>&,
                                                 const torchscript::RunOptions&) {
  return Diagnostic{.file = path, .message = "the libtorch runner is not built yet"};
}

}  // namespace kiln::torch_runner
