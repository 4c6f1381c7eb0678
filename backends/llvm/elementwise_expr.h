#pragma once
// An elementwise computation as an expression tree evaluated once per output element: a
// single node (its operands are the leaves), or the body of a kiln.FusedElementwise node (its
// subgraph inputs are the leaves). Either becomes one loop nest with no intermediate buffers.

#include <optional>
#include <string>
#include <vector>

#include "backends/llvm/broadcast_plan.h"
#include "backends/llvm/codegen_context.h"
#include "ir/graph.h"

namespace kiln::llvmjit {

struct ExprTerm {
  int leaf = -1;               ///< >= 0: the kernel operand this term loads
  const Node* op = nullptr;    ///< otherwise: the op (type and attributes) applied to operands
  std::vector<int> operands;   ///< term indices, -1 for an omitted optional operand
  DType dtype = DType::Undefined;
};

struct ElementwiseExpr {
  std::vector<ExprTerm> terms;  ///< operands before users; the last term is the result
  std::vector<DType> leafTypes;
};

/// The expression of one elementwise node, or why it has none.
std::optional<ElementwiseExpr> exprFromNode(const Node& node, std::string* whyNot);
/// The expression of a single-output subgraph of elementwise nodes (kiln.FusedElementwise).
std::optional<ElementwiseExpr> exprFromGraph(const Graph& body, std::string* whyNot);

/// Emits kernel `name`: buffers = the leaves then the output, dims = the plan's loop dims.
void emitElementwiseKernel(CodegenContext& cg, const std::string& name, const ElementwiseExpr& expr,
                           const BroadcastPlan& plan);

}  // namespace kiln::llvmjit
