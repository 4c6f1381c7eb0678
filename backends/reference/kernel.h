#pragma once
// The reference interpreter's kernel interface: one plain function per op, registered per
// family (backends/reference/<family>.cpp) by an explicit call, looked up once per node.

#include <map>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace kiln::reference {

/// A run-time value: a tensor, or a sequence of tensors (SequenceConstruct, Loop scan lists).
using RuntimeValue = std::variant<Tensor, std::vector<Tensor>>;

class Interpreter;

/// What a kernel sees: the node (attributes), its inputs (null for an omitted optional input)
/// and the outputs to fill, one per node output.
struct KernelContext {
  const Node& node;
  std::span<const RuntimeValue* const> inputs;
  std::vector<RuntimeValue>& outputs;
  Interpreter& interpreter;  ///< for kernels that run subgraphs (If, Loop, Scan)
  /// Every value visible at this node, enclosing graphs included: what a subgraph captures.
  const std::map<const Value*, const RuntimeValue*>* scope = nullptr;

  bool hasInput(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  const Tensor& input(size_t i) const { return std::get<Tensor>(*inputs[i]); }
  void setOutput(size_t i, Tensor t) { outputs[i] = std::move(t); }
  Status error(std::string message) const {
    return Status::nodeError(node.name(), node.qualifiedOp(), std::move(message));
  }
};

using Kernel = Status (*)(KernelContext&);

class KernelRegistry {
 public:
  /// Every built-in kernel family registered (built once, then read-only).
  static const KernelRegistry& builtin();
  void add(std::string domain, std::string op, Kernel kernel);
  Kernel lookup(std::string_view domain, std::string_view op) const;
  size_t size() const { return kernels_.size(); }

 private:
  std::map<std::pair<std::string, std::string>, Kernel, std::less<>> kernels_;
};

}  // namespace kiln::reference
