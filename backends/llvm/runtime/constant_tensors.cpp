#include "backends/llvm/constant_tensors.h"

namespace kiln::llvmjit {

void visitConstantTensors(Graph& graph, const TensorVisitor& visit) {
  for (Node* node : graph.nodes()) {
    for (auto& [name, attr] : node->attributes()) {
      if (attr.kind() == AttrKind::Tensor) {
        if (auto replacement = visit(attr.t())) attr = Attribute(std::move(*replacement));
      } else if (attr.kind() == AttrKind::Graph) {
        visitConstantTensors(attr.g(), visit);
      } else if (attr.kind() == AttrKind::Graphs) {
        for (const auto& g : attr.graphs()) visitConstantTensors(*g, visit);
      }
    }
  }
  for (auto& [value, tensor] : graph.inputDefaults())
    if (auto replacement = visit(tensor)) tensor = std::move(*replacement);
}

}  // namespace kiln::llvmjit
