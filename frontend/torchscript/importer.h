#pragma once
// The TorchScript frontend: a traced module (`torch.jit.trace(...).save(path)`) is loaded with
// libtorch, frozen and inlined, and its aten graph mapped onto canonical IR ops.

#include <string>

#include "frontend/torchscript/torch_api.h"

namespace kiln::torchscript {

/// Every failure is one diagnostic naming the file (and the aten node where there is one).
Expected<Model> importTorchScriptFile(const std::string& path, const ImportOptions& options);

}  // namespace kiln::torchscript
