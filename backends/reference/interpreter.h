#pragma once
// Runs a whole IR graph with the reference kernels: the semantic oracle inside kiln
// (constant folding, validation, `kiln run --backend reference`). Correct first; not slow for
// no reason.

#include <map>
#include <span>
#include <string>
#include <vector>

#include "backends/reference/kernel.h"
#include "ir/model.h"

namespace kiln::reference {

class Interpreter {
 public:
  Interpreter() : kernels_(KernelRegistry::builtin()) {}

  /// Runs `graph` on `inputs` (one per graph input, in order). `outer` supplies values of
  /// enclosing graphs that a subgraph captures. Returns one value per graph output.
  Expected<std::vector<RuntimeValue>> run(const Graph& graph, std::span<const RuntimeValue> inputs,
                                          const std::map<const Value*, const RuntimeValue*>* outer = nullptr);

  /// Runs one node whose inputs are all given (used by constant folding).
  Expected<std::vector<RuntimeValue>> runNode(const Node& node, std::span<const RuntimeValue* const> inputs);

 private:
  const KernelRegistry& kernels_;
};

/// Convenience for tensors-only models: runs model.graph on named-in-order tensors.
Expected<std::vector<Tensor>> runModel(const Model& model, const std::vector<Tensor>& inputs);

}  // namespace kiln::reference
