#pragma once
// The TorchScript frontend: a traced module (`torch.jit.trace(...).save(path)`) is loaded with
// libtorch, frozen and inlined, and its aten graph mapped onto canonical IR ops.

#include <string>
#include <vector>

#include "frontend/torchscript/torch_api.h"

namespace torch::jit {
struct Graph;
}

namespace kiln::torchscript {

/// Every failure is one diagnostic naming the file (and the aten node where there is one).
Expected<Model> importTorchScriptFile(const std::string& path, const ImportOptions& options);

/// The mapping part of importTorchScriptFile on a graph already prepared (input 0 is the
/// module, `inputs` has one spec for each other input): the unsupported-op scan, lowering and
/// shape inference, without loading or running anything. Errors, libtorch's exceptions
/// included, are one diagnostic naming `path`. The entry of fuzz/torchscript_fuzzer.cpp.
Expected<Model> importGraph(const torch::jit::Graph& graph, const std::vector<InputSpec>& inputs,
                            const std::vector<std::string>& outputNames, const std::string& path);

}  // namespace kiln::torchscript
