#include "frontend/torchscript/graph_lowering.h"

#include <unordered_set>

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

/// Nodes that produce no IR themselves: constants and list/tuple literals are materialized
/// where a converter reads them.
bool isLazy(const torch::jit::Node* n) {
  auto k = n->kind();
  return k == c10::prim::Constant || k == c10::prim::ListConstruct || k == c10::prim::TupleConstruct;
}

/// Appends the unsupported nodes of `block` to `out`, recursing into the branches of the
/// control flow kiln maps (prim::If).
void collectUnsupported(const torch::jit::Block* block, std::vector<UnsupportedUse>& out) {
  for (const torch::jit::Node* n : block->nodes()) {
    if (isLazy(n)) continue;
    if (!findConverter(n->kind().toQualString())) {
      out.push_back({n->kind().toQualString(), sourceLocation(n)});
      continue;
    }
    for (const torch::jit::Block* b : n->blocks()) collectUnsupported(b, out);
  }
}

/// Appends the tensors `tv` stands for (tuples and lists flattened) to `out`.
Status flattenOutput(LoweringContext& ctx, const torch::jit::Value* tv, std::vector<Value*>& out) {
  auto k = tv->node()->kind();
  if (k == c10::prim::TupleConstruct || (k == c10::prim::ListConstruct && tv->type()->kind() == c10::TypeKind::ListType &&
                                         tv->type()->castRaw<c10::ListType>()->getElementType()->kind() ==
                                             c10::TypeKind::TensorType)) {
    for (const torch::jit::Value* in : tv->node()->inputs()) KILN_RETURN_IF_ERROR(flattenOutput(ctx, in, out));
    return Status::ok();
  }
  if (tv->type()->kind() == c10::TypeKind::ListType) {
    auto items = ctx.tensorList(tv);
    if (!items) return items.takeStatus();
    out.insert(out.end(), items->begin(), items->end());
    return Status::ok();
  }
  auto v = ctx.tensor(tv);
  if (!v) return v.takeStatus();
  out.push_back(*v);
  return Status::ok();
}

}  // namespace

std::string sourceLocation(const torch::jit::Node* node) {
  torch::jit::SourceRange range = node->sourceRange();
  if (auto generated = range.findSourceRangeThatGenerated()) range = *generated;
  auto flc = range.file_line_col();
  if (!flc) return "";
  auto& [file, line, col] = *flc;
  if (file.empty()) return "";
  return file + ":" + std::to_string(line);
}

std::vector<UnsupportedUse> findUnsupportedNodes(const torch::jit::Graph& graph) {
  std::vector<UnsupportedUse> out;
  collectUnsupported(graph.block(), out);
  return out;
}

Status lowerBlock(LoweringContext& ctx, const torch::jit::Block& block) {
  for (const torch::jit::Node* n : block.nodes()) {
    if (isLazy(n)) continue;
    ctx.setCurrent(n, sourceLocation(n));
    const AtenConverter* convert = findConverter(n->kind().toQualString());
    if (!convert) return ctx.error("no lowering for this op");
    KILN_RETURN_IF_ERROR((*convert)(ctx, *n));
  }
  return Status::ok();
}

Status lowerGraph(const torch::jit::Graph& graph, const std::vector<InputSpec>& inputs,
                  const std::vector<std::string>& outputNames, const std::string& file, Graph& out) {
  LoweringContext ctx(out, file);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputSpec& s = inputs[i];
    Value* v = out.addInput(s.name, Type::tensor(s.dtype, Shape(std::vector<Dim>(s.dims.begin(), s.dims.end()))));
    ctx.define(graph.inputs()[i + 1], v);
  }
  KILN_RETURN_IF_ERROR(lowerBlock(ctx, *graph.block()));
  ctx.setCurrent(nullptr, "");

  std::vector<Value*> results;
  for (const torch::jit::Value* tv : graph.outputs()) KILN_RETURN_IF_ERROR(flattenOutput(ctx, tv, results));
  if (outputNames.size() > results.size())
    return Diagnostic{.file = file, .message = "--output-names gives " + std::to_string(outputNames.size()) +
                                               " names, but the model has " + std::to_string(results.size()) +
                                               " outputs"};
  std::unordered_set<const Value*> used;
  for (size_t i = 0; i < results.size(); ++i) {
    Value* v = results[i];
    // A graph input, or a value returned twice, needs its own node to carry the output name.
    if (!v->producer() || !used.insert(v).second) v = ctx.emit("Identity", {v});
    std::string name = i < outputNames.size() && !outputNames[i].empty() ? outputNames[i]
                       : i == 0                                          ? "output"
                                                                         : "output_" + std::to_string(i);
    v->setName(name);
    out.addOutput(v);
  }
  return Status::ok();
}

}  // namespace kiln::torchscript
