// Scripted control flow: prim::If on a tensor (or size-derived) predicate becomes an IR If with
// two branch subgraphs that read outer values directly, as ONNX If does. Loops over a constant
// range are unrolled by libtorch before lowering (module_loading.cpp); other prim::Loop nodes
// are refused by the unsupported-op scan.

#include "frontend/torchscript/aten_converters.h"
#include "frontend/torchscript/graph_lowering.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;

bool isValueType(const c10::TypePtr& t) {
  auto k = t->kind();
  return k == c10::TypeKind::TensorType || k == c10::TypeKind::IntType || k == c10::TypeKind::FloatType ||
         k == c10::TypeKind::BoolType;
}

/// Materializes the tensor constants (weights) `block` reads in the current, outer graph, so
/// that both branches and the code after the If share one copy instead of each branch
/// holding its own.
Status hoistTensorConstants(LoweringContext& ctx, const torch::jit::Block& block) {
  for (const Node* n : block.nodes()) {
    for (const torch::jit::Value* in : n->inputs())
      if (in->node()->kind() == c10::prim::Constant && in->type()->kind() == c10::TypeKind::TensorType)
        if (auto v = ctx.tensor(in); !v) return v.takeStatus();
    for (const torch::jit::Block* b : n->blocks()) KILN_RETURN_IF_ERROR(hoistTensorConstants(ctx, *b));
  }
  return Status::ok();
}

/// Lowers one branch into a fresh subgraph: its nodes, then one Identity per block output (a
/// branch may return an outer value or a constant, and every branch output needs a producer
/// in the branch).
Expected<std::unique_ptr<Graph>> lowerBranch(LoweringContext& ctx, const Node& n, const torch::jit::Block& block,
                                             const std::string& name) {
  KILN_RETURN_IF_ERROR(hoistTensorConstants(ctx, block));
  auto g = std::make_unique<Graph>(name);
  LoweringContext::Scope outer = ctx.enterGraph(*g);
  Status s = lowerBlock(ctx, block);
  std::vector<Value*> outputs;
  for (const torch::jit::Value* tv : block.outputs()) {
    if (!s) break;
    ctx.setCurrent(&n, sourceLocation(&n));
    auto v = ctx.tensor(tv);
    if (!v) {
      s = v.takeStatus();
      break;
    }
    outputs.push_back(ctx.emit("Identity", {*v}));
  }
  ctx.leaveGraph(std::move(outer));
  if (!s) return s;
  for (Value* v : outputs) g->addOutput(v);
  return g;
}

Status lowerIf(LoweringContext& ctx, const Node& n) {
  // A graph from a hostile archive need not have the two branches libtorch builds.
  if (n.blocks().size() != 2)
    return ctx.error("an if with " + std::to_string(n.blocks().size()) + " branches (prim::If has two)");
  for (const torch::jit::Block* b : n.blocks())
    if (b->outputs().size() != n.outputs().size())
      return ctx.error("an if branch returns " + std::to_string(b->outputs().size()) + " values for the if's " +
                       std::to_string(n.outputs().size()));
  for (const torch::jit::Value* out : n.outputs())
    if (!isValueType(out->type()))
      return ctx.error("an if whose result is a " + out->type()->repr_str() +
                       " is not supported (tensors, ints, floats and bools are)");
  auto cond = ctx.tensor(n.input(0));
  if (!cond) return cond.takeStatus();
  Value* predicate = ctx.emit("Reshape", {ctx.cast(*cond, DType::Bool), ctx.i64s({})});
  const Node* self = &n;
  auto thenBranch = lowerBranch(ctx, n, *n.blocks()[0], "then_branch");
  if (!thenBranch) return thenBranch.takeStatus();
  auto elseBranch = lowerBranch(ctx, n, *n.blocks()[1], "else_branch");
  if (!elseBranch) return elseBranch.takeStatus();
  ctx.setCurrent(self, sourceLocation(self));
  kiln::Node* node = ctx.emitNode("If", {predicate},
                                  {{"then_branch", Attribute(thenBranch.take())}, {"else_branch", Attribute(elseBranch.take())}},
                                  n.outputs().size());
  for (size_t i = 0; i < n.outputs().size(); ++i) ctx.define(n.output(i), node->output(i));
  return Status::ok();
}

// aten::Bool(Tensor): a one-element tensor as a predicate.
Status lowerBool(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  ctx.define(n.output(), ctx.cast(*x, DType::Bool));
  return Status::ok();
}

}  // namespace

void registerControlFlowConverters(ConverterTable& t) {
  t["prim::If"] = lowerIf;
  t["aten::Bool"] = lowerBool;
}

}  // namespace kiln::torchscript
