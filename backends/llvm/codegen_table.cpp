#include "backends/llvm/codegen_table.h"

#include <map>
#include <utility>

#include "backends/llvm/elementwise_expr.h"

namespace kiln::llvmjit {

Emitter findEmitter(const std::string& domain, const std::string& op) {
  static const std::map<std::pair<std::string, std::string>, Emitter> table = [] {
    std::map<std::pair<std::string, std::string>, Emitter> t;
    for (const char* name :
         {"Add", "Sub", "Mul", "Div", "Pow", "Sum", "Mean", "Max", "Min", "Neg", "Abs", "Sign", "Reciprocal", "Sqrt",
          "Exp", "Log", "Ceil", "Floor", "Round", "Sin", "Cos", "Tanh", "Erf", "Identity", "Relu", "LeakyRelu",
          "PRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Gelu", "Clip",
          "Where", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN"})
      t[{"", name}] = emitElementwise;
    t[{"kiln", "FusedElementwise"}] = emitFusedElementwise;
    for (const char* name : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare",
                             "ReduceL1", "ReduceL2", "GlobalAveragePool", "GlobalMaxPool"})
      t[{"", name}] = emitReduction;
    t[{"", "Softmax"}] = emitSoftmax;
    t[{"", "LogSoftmax"}] = emitSoftmax;
    t[{"", "LayerNormalization"}] = emitNormalization;
    t[{"", "BatchNormalization"}] = emitNormalization;
    t[{"", "Slice"}] = emitSlice;
    t[{"", "MaxPool"}] = emitPool;
    t[{"", "AveragePool"}] = emitPool;
    for (const char* name : {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat"})
      t[{"", name}] = emitDataMovement;
    for (const char* name : {"MatMul", "Gemm"}) t[{"", name}] = emitGemmFamily;
    t[{"", "Conv"}] = emitConvFamily;  // group > 1 to emit_grouped_conv.cpp, the rest to the GEMM
    t[{"kiln", "FusedConv"}] = emitConvFamily;
    // Shape chains and indexing (emit_shape_ops.cpp, emit_gather.cpp, emit_pad.cpp).
    for (const char* name : {"Shape", "ConstantOfShape", "Cast", "Expand"}) t[{"", name}] = emitShapeOps;
    for (const char* name : {"Gather", "ScatterND"}) t[{"", name}] = emitIndexed;
    t[{"", "Pad"}] = emitPad;
    t[{"", "Div"}] = emitDivision;
    for (const char* name : {"LSTM", "GRU", "RNN"}) t[{"", name}] = emitRecurrent;
    t[{"", "Einsum"}] = emitEinsum;
    return t;
  }();
  auto it = table.find({domain, op});
  return it == table.end() ? nullptr : it->second;
}

namespace {

std::unique_ptr<KernelLaunch> emitExpr(CodegenContext& cg, const Node& node, const std::string& name,
                                       const ElementwiseExpr& expr, std::string* whyNot) {
  const Value* out = node.output(0);
  std::vector<const Shape*> shapes;
  for (size_t i = 0; i < node.numInputs(); ++i) shapes.push_back(node.input(i) ? &node.input(i)->shape() : nullptr);
  auto plan = BroadcastPlan::build(shapes, out->shape());
  if (!plan) {
    *whyNot = "operand or result rank unknown";
    return nullptr;
  }
  emitElementwiseKernel(cg, name, expr, *plan);
  return std::make_unique<ElementwiseLaunch>(std::move(*plan));
}

}  // namespace

std::unique_ptr<KernelLaunch> emitElementwise(CodegenContext& cg, const Node& node, const std::string& name,
                                              std::string* whyNot) {
  auto expr = exprFromNode(node, whyNot);
  return expr ? emitExpr(cg, node, name, *expr, whyNot) : nullptr;
}

std::unique_ptr<KernelLaunch> emitFusedElementwise(CodegenContext& cg, const Node& node, const std::string& name,
                                                   std::string* whyNot) {
  std::vector<Graph*> bodies = node.subgraphs();
  if (bodies.size() != 1 || bodies[0]->numInputs() != node.numInputs() || node.numOutputs() != 1) {
    *whyNot = "expected one body subgraph with one input per operand and one output";
    return nullptr;
  }
  auto expr = exprFromGraph(*bodies[0], whyNot);
  return expr ? emitExpr(cg, node, name, *expr, whyNot) : nullptr;
}

}  // namespace kiln::llvmjit
