#pragma once
// Loading a traced TorchScript file with libtorch and preparing its forward() graph for
// lowering: eval mode, frozen (parameters become constants), inlined, tuples lowered, dead
// code and dropout removed. Files that are not TorchScript get an error that says what they
// are and how to make a traced module.

#include <torch/csrc/jit/api/module.h>

#include <string>
#include <vector>

#include "frontend/torchscript/torch_api.h"

namespace kiln::torchscript {

struct PreparedModule {
  torch::jit::Module module;                 ///< frozen, eval mode
  std::shared_ptr<torch::jit::Graph> graph;  ///< forward(), inlined and cleaned; input 0 is self
  std::vector<std::string> inputNames;       ///< forward() argument names, self excluded
};

/// Loads and prepares `path`. Errors name the file and say what to do.
Expected<PreparedModule> loadTracedModule(const std::string& path);

/// Matches `--input-shape` specs to forward() arguments (by name, or in order where a spec has
/// no name): one spec per argument, in argument order. Errors name the inputs lacking one.
Expected<std::vector<InputSpec>> matchInputSpecs(const std::string& path, const std::vector<std::string>& inputNames,
                                                 const std::vector<InputSpec>& specs);

/// Runs forward() once on zeros of the given shapes, so that a wrong rank or dtype is reported
/// as libtorch sees it, naming the inputs, before lowering.
Status checkRunsOnShapes(const std::string& path, PreparedModule& prepared, const std::vector<InputSpec>& inputs);

}  // namespace kiln::torchscript
