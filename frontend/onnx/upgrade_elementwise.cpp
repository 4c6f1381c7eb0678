// Upgrades of elementwise ops: the opset-1 `consumed_inputs` hint, legacy axis broadcasting
// (before opset 7), Clip bounds as attributes (before 11), Gemm's broadcast flag (before 7).

#include "frontend/onnx/upgrade_steps.h"

namespace kiln::onnx_frontend {
namespace {

using opset::rawAttr;
using opset::rawInt;

/// Opset 6 dropped `consumed_inputs`, a memory-reuse hint with no effect on values.
Status dropConsumedInputs(UpgradeContext&, Node*& node) {
  node->attributes().erase("consumed_inputs");
  return Status::ok();
}

/// Before opset 7, B broadcast to A only with broadcast=1: aligned to A's trailing dims, or,
/// with `axis`, to A's dims starting at `axis`. Numpy broadcasting aligns trailing dims, so
/// the trailing case is the same and the axis case needs B extended with trailing 1-dims.
Status legacyBroadcastToNumpy(UpgradeContext& ctx, Node*& node) {
  int64_t broadcast = rawInt(*node, "broadcast", 0);
  const Attribute* axisAttr = rawAttr(*node, "axis");
  std::optional<int64_t> axis = axisAttr && axisAttr->kind() == AttrKind::Int ? std::optional(axisAttr->i()) : std::nullopt;
  node->attributes().erase("broadcast");
  node->attributes().erase("axis");
  if (broadcast == 0 || !axis) return Status::ok();
  auto rankA = opset::knownRank(node->input(0)), rankB = opset::knownRank(node->input(1));
  if (!rankA || !rankB) return Status::error("legacy broadcasting with an axis needs the ranks of both inputs");
  int64_t start = *axis < 0 ? *axis + *rankA : *axis;
  int64_t trailing = *rankA - start - *rankB;
  if (trailing < 0 || start < 0) return Status::error("legacy broadcast axis " + std::to_string(*axis) + " does not fit the input ranks");
  if (trailing == 0) return Status::ok();
  std::vector<int64_t> axes;
  for (int64_t i = 0; i < trailing; ++i) axes.push_back(*rankB + i);
  opset::Builder b(ctx.names, node);
  node->setInput(1, b.op("Unsqueeze", {node->input(1), b.int64s(axes, "broadcast_axes")}, "broadcast"));
  return Status::ok();
}

/// Clip-11 made min and max optional inputs; the opset-6 attributes defaulted to the float
/// range, which is what an omitted input means.
Status clipAttrsToInputs(UpgradeContext& ctx, Node*& node) {
  opset::Builder b(ctx.names, node);
  Value* x = node->input(0);
  for (auto [name, index] : {std::pair{"min", size_t{1}}, std::pair{"max", size_t{2}}}) {
    const Attribute* a = rawAttr(*node, name);
    if (!a) continue;
    setInputAt(node, index, scalarLike(b, opset::rawFloat(*node, name, 0.f), x, name));
    node->attributes().erase(name);
  }
  return Status::ok();
}

/// Gemm-7 broadcasts C unidirectionally in every case; the flag only allowed it before.
Status gemmDropBroadcast(UpgradeContext&, Node*& node) {
  node->attributes().erase("broadcast");
  return Status::ok();
}

}  // namespace

std::vector<UpgradeStep> elementwiseUpgrades() {
  std::vector<UpgradeStep> steps;
  for (const char* op : {"Abs", "Add", "BatchNormalization", "Ceil", "Clip", "Div", "Dropout", "Elu", "Exp",
                         "Floor", "HardSigmoid", "InstanceNormalization", "LeakyRelu", "Log", "Max", "Mean",
                         "Min", "Mul", "Neg", "PRelu", "Reciprocal", "Relu", "Selu", "Sigmoid", "Sqrt", "Sub",
                         "Sum", "Tanh"})
    steps.push_back({op, 6, "dropConsumedInputs", dropConsumedInputs});
  for (const char* op : {"Add", "And", "Div", "Equal", "Greater", "Less", "Mul", "Or", "Pow", "Sub", "Xor"})
    steps.push_back({op, 7, "legacyBroadcastToNumpy", legacyBroadcastToNumpy});
  steps.push_back({"Clip", 11, "clipAttrsToInputs", clipAttrsToInputs});
  steps.push_back({"Gemm", 7, "gemmDropBroadcast", gemmDropBroadcast});
  return steps;
}

}  // namespace kiln::onnx_frontend
