// Kernels of kiln's fused ops: each runs the op's expansion (ir/kiln_expand.h) on a one-node
// graph, so the interpreter, constant folding and --check-numerics read the same definition as
// the ONNX emitter. Correct rather than fast: the native backend is where fused ops pay.

#include "backends/reference/families.h"
#include "backends/reference/interpreter.h"
#include "ir/kiln_expand.h"
#include "ir/op_registry.h"
#include "ir/shape_inference.h"

namespace kiln::reference {
namespace {

Status expandedKernel(KernelContext& ctx) {
  Model model;
  Graph& g = *model.graph;
  std::vector<Value*> inputs;
  std::vector<RuntimeValue> values;
  for (size_t i = 0; i < ctx.node.numInputs(); ++i) {
    if (!ctx.hasInput(i)) {
      inputs.push_back(nullptr);
      continue;
    }
    const Tensor& t = ctx.input(i);
    std::vector<Dim> dims(t.dims().begin(), t.dims().end());
    inputs.push_back(g.addInput("input" + std::to_string(i), Type::tensor(t.dtype(), Shape(dims))));
    values.push_back(t);
  }
  Node* n = g.createNode(ctx.node.domain(), ctx.node.opType(), inputs);
  n->setName(ctx.node.name().empty() ? "fused" : ctx.node.name());
  n->setSchema(OpRegistry::builtin().lookup(ctx.node.domain(), ctx.node.opType()));
  for (const auto& [name, a] : ctx.node.attributes()) n->setAttr(name, a);
  n->addOutput("output");
  KILN_RETURN_IF_ERROR(inferNodeShapes(*n));
  g.addOutput(n->output(0));
  opset::NameGen names(model);
  KILN_RETURN_IF_ERROR(expandKilnNode(n, names));
  auto out = ctx.interpreter.run(g, values);
  if (!out) return out.takeStatus();
  ctx.outputs[0] = std::move((*out)[0]);
  return Status::ok();
}

}  // namespace

void registerFusedKernels(KernelRegistry& r) {
  for (const char* op : {"FusedConv", "Attention", "MultiHeadAttention", "RMSNorm", "Silu", "FusedElementwise"}) r.add("kiln", op, expandedKernel);
}

}  // namespace kiln::reference
