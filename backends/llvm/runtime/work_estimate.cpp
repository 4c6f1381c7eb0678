// FLOP and byte estimates per op kind. Exact for the GEMM-shaped ops, which dominate the
// models benchmarked; the per-element costs of the rest are conventions (one FLOP per
// elementwise op, a handful for normalizations), good enough to tell memory-bound from
// compute-bound steps, which is what a roofline is for.

#include "backends/llvm/work_estimate.h"

#include <string_view>

namespace kiln::llvmjit {
namespace {

double elements(const std::vector<int64_t>& dims) {
  double n = 1;
  for (int64_t d : dims) n *= static_cast<double>(d);
  return n;
}

double bytesOf(std::span<const OperandShape> operands) {
  double b = 0;
  for (const auto& o : operands) b += elements(o.dims) * static_cast<double>(o.elementBytes);
  return b;
}

/// Elements of the first output, or 0.
double outputElements(std::span<const OperandShape> outputs) {
  return outputs.empty() ? 0 : elements(outputs[0].dims);
}

/// 2 * output elements * the reduced length, the cost of every product-sum op.
double productSumFlops(std::span<const OperandShape> outputs, double reduced) {
  return 2 * outputElements(outputs) * reduced;
}

/// Ops that move or view data without arithmetic.
bool isDataMovement(std::string_view op) {
  for (std::string_view m : {"Reshape", "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements",
                             "GatherND", "Squeeze", "Unsqueeze", "Flatten", "Expand", "Tile", "Pad", "Identity",
                             "Shape", "Size", "Cast", "ConstantOfShape", "ScatterND", "ScatterElements",
                             "DepthToSpace", "SpaceToDepth", "Range", "Where", "Resize", "Dropout"})
    if (op == m) return true;
  return false;
}

/// Nodes in a FusedElementwise body: one FLOP each per output element.
double bodyOps(const Node& node) {
  const Attribute* body = node.attr("body");
  if (!body || body->kind() != AttrKind::Graph) return 1;
  double n = 0;
  for (const Node* inner : body->g().nodes()) n += inner ? 1 : 0;
  return n > 0 ? n : 1;
}

double flopsOf(const Node& node, std::span<const OperandShape> in, std::span<const OperandShape> out) {
  const std::string& op = node.opType();
  const auto inDims = [&](size_t i) -> const std::vector<int64_t>& {
    static const std::vector<int64_t> none;
    return i < in.size() ? in[i].dims : none;
  };
  if (op == "MatMul" || op == "Gemm") {
    const auto& a = inDims(0);
    if (a.empty()) return 0;
    int64_t k = a.back();
    if (op == "Gemm" && a.size() == 2) {
      const Attribute* transA = node.attr("transA");
      if (transA && transA->kind() == AttrKind::Int && transA->i() != 0) k = a[0];
    }
    return productSumFlops(out, static_cast<double>(k));
  }
  if (op == "Conv" || op == "FusedConv") {
    const auto& w = inDims(1);  // [M, C/group, k...]
    double reduced = 1;
    for (size_t i = 1; i < w.size(); ++i) reduced *= static_cast<double>(w[i]);
    return productSumFlops(out, reduced) + outputElements(out) * (in.size() > 2 ? 1 : 0);
  }
  if (op == "Attention") {  // Q K^T then P V, plus the softmax
    const auto& q = inDims(0);
    const auto& k = inDims(1);
    if (q.size() < 2 || k.size() < 2) return 0;
    const double sk = static_cast<double>(k[k.size() - 2]), d = static_cast<double>(q.back());
    const double rows = elements(q) / d;
    const double dv = out.empty() || out[0].dims.empty() ? d : static_cast<double>(out[0].dims.back());
    return 2 * rows * sk * d + 2 * rows * sk * dv + 5 * rows * sk;
  }
  if (op == "LSTM" || op == "GRU" || op == "RNN") {  // X W^T + H R^T per step and direction
    const auto& x = inDims(0), &w = inDims(1), &r = inDims(2);
    if (x.size() < 3 || w.size() < 3 || r.size() < 3) return 0;
    const double steps = static_cast<double>(x[0]) * static_cast<double>(x[1]);
    return 2 * steps * static_cast<double>(w[0]) * static_cast<double>(w[1]) *
           (static_cast<double>(w[2]) + static_cast<double>(r[2]));
  }
  if (isDataMovement(op)) return 0;
  if (op == "FusedElementwise") return outputElements(out) * bodyOps(node);
  if (op == "MaxPool" || op == "AveragePool") {
    const Attribute* kernel = node.attr("kernel_shape");
    double window = 1;
    if (kernel && kernel->kind() == AttrKind::Ints)
      for (int64_t k : kernel->ints()) window *= static_cast<double>(k);
    return outputElements(out) * window;
  }
  if (op == "Softmax" || op == "LogSoftmax" || op == "LayerNormalization" || op == "RMSNorm" ||
      op == "BatchNormalization" || op == "InstanceNormalization")
    return 5 * outputElements(out);
  if (op.starts_with("Reduce") || op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "ArgMax" ||
      op == "ArgMin")
    return in.empty() ? 0 : elements(in[0].dims);
  return outputElements(out);  // elementwise and anything else: one FLOP per output element
}

}  // namespace

WorkEstimate estimateWork(const Node& node, std::span<const OperandShape> inputs, std::span<const OperandShape> outputs) {
  return {.flops = flopsOf(node, inputs, outputs), .bytes = bytesOf(inputs) + bytesOf(outputs)};
}

}  // namespace kiln::llvmjit
