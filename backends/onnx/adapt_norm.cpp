// Down adapters and expansions of normalizations: LayerNormalization (17) and
// GroupNormalization (18, per-channel scale at 21) spelled out with reductions, and
// BatchNormalization's training flag and old inference flags.

#include "backends/onnx/adapt_steps.h"

namespace kiln::onnx_backend {
namespace {

Value* scalar(PendingBuilder& b, DType dtype, double value, std::string_view hint) {
  auto t = opset::numericTensor(dtype, {}, std::span<const double>(&value, 1));
  KILN_ASSERT(t.has_value());
  return b.constant(std::move(*t), hint);
}

Value* castTo(PendingBuilder& b, Value* v, DType dtype, std::string_view hint) {
  Node* c = b.node("Cast", {v}, hint);
  c->setAttr("to", Attribute(static_cast<int64_t>(dtypeToOnnx(dtype))));
  return c->output(0);
}

/// The type statistics are computed in: stash_type (a TensorProto code, default float32).
std::optional<DType> stashType(const Node& node) {
  return dtypeFromOnnx(static_cast<int32_t>(opset::rawInt(node, "stash_type", 1)));
}

/// Normalizes `x` over `axes` (keepdims): returns (x - mean) / sqrt(var + eps), with the mean
/// and the standard deviation through out-parameters.
Value* standardize(PendingBuilder& b, Value* x, const std::vector<int64_t>& axes, DType dtype, float epsilon,
                   Value** meanOut = nullptr, Value** stdDevOut = nullptr) {
  Value* axesValue = b.int64s(axes, "axes");
  Node* mean = b.node("ReduceMean", {x, axesValue}, "mean");
  mean->setAttr("keepdims", Attribute(int64_t{1}));
  Value* centered = b.op("Sub", {x, mean->output(0)}, "centered");
  Value* squared = b.op("Pow", {centered, scalar(b, dtype, 2.0, "two")}, "squared");
  Node* var = b.node("ReduceMean", {squared, axesValue}, "variance");
  var->setAttr("keepdims", Attribute(int64_t{1}));
  Value* stdDev = b.op("Sqrt", {b.op("Add", {var->output(0), scalar(b, dtype, epsilon, "epsilon")}, "variance_eps")}, "std_dev");
  if (meanOut) *meanOut = mean->output(0);
  if (stdDevOut) *stdDevOut = stdDev;
  return b.op("Div", {centered, stdDev}, "normalized");
}

/// LayerNormalization over dims axis..rank-1, statistics in stash_type:
///   xs = Cast(x, stash); n = (xs - mean) / sqrt(var + eps); y = Cast(n, T) * scale + bias
/// with mean and var from ReduceMean over those dims (the ONNX function body's algebra).
Outcome layerNormExpansion(AdaptContext& ctx, Node*& node) {
  Value* x = node->input(0);
  int64_t axis = opset::rawInt(*node, "axis", -1);
  auto rank = opset::knownRank(x);
  std::vector<int64_t> axes;
  if (rank) {
    for (int64_t a = axis < 0 ? axis + *rank : axis; a < *rank; ++a) axes.push_back(a);
  } else if (axis < 0) {
    for (int64_t a = axis; a < 0; ++a) axes.push_back(a);
  } else {
    return Outcome::blocked(17, "a non-negative axis needs the input rank");
  }
  DType dtype = opset::knownDType(x);
  auto stash = stashType(*node);
  if (!isFloat(dtype) || !stash || !isFloat(*stash))
    return Outcome::blocked(17, "its element type is not known, so its constants cannot be typed");
  PendingBuilder b(ctx, node);
  Value* xs = dtype == *stash ? x : castTo(b, x, *stash, "stash");
  Value *mean = nullptr, *stdDev = nullptr;
  Value* n = standardize(b, xs, axes, *stash, opset::rawFloat(*node, "epsilon", 1e-5f), &mean, &stdDev);
  if (dtype != *stash) n = castTo(b, n, dtype, "normalized_t");
  Value* y = b.op("Mul", {n, node->input(1)}, "scaled");
  if (node->input(2)) y = b.op("Add", {y, node->input(2)}, "biased");
  Value* invStdDev = opset::unused(node->output(2)) ? nullptr : b.op("Reciprocal", {stdDev}, "inv_std_dev");
  opset::replaceNodeWith(node, {y, opset::unused(node->output(1)) ? nullptr : mean, invStdDev});
  node = nullptr;
  return Outcome::expanded();
}

/// GroupNormalization-21: channels split into num_groups groups, each standardized over its
/// channels and spatial dims, then scaled per channel:
///   g = Reshape(x, [0, G, -1]); n = Reshape(standardize(g, axis 2), Shape(x))
///   y = n * Reshape(scale, [-1, 1...]) + Reshape(bias, [-1, 1...])
Outcome groupNormExpansion(AdaptContext& ctx, Node*& node) {
  Value* x = node->input(0);
  auto rank = opset::knownRank(x);
  int64_t groups = opset::rawInt(*node, "num_groups", 0);
  if (!rank || *rank < 2 || groups <= 0) return Outcome::blocked(0, "its expansion needs the input rank");
  DType dtype = opset::knownDType(x);
  auto stash = stashType(*node);
  if (!isFloat(dtype) || !stash || !isFloat(*stash))
    return Outcome::blocked(0, "its element type is not known, so its constants cannot be typed");
  PendingBuilder b(ctx, node);
  Value* xs = dtype == *stash ? x : castTo(b, x, *stash, "stash");
  Value* grouped = b.op("Reshape", {xs, b.int64s({0, groups, -1}, "group_shape")}, "grouped");
  Value* n = standardize(b, grouped, {2}, *stash, opset::rawFloat(*node, "epsilon", 1e-5f));
  n = b.op("Reshape", {n, b.op("Shape", {x}, "shape")}, "ungrouped");
  if (dtype != *stash) n = castTo(b, n, dtype, "normalized_t");
  std::vector<int64_t> channelShape(static_cast<size_t>(*rank - 1), 1);
  channelShape[0] = -1;
  Value* perChannel = b.int64s(channelShape, "channel_shape");
  Value* y = b.op("Mul", {n, b.op("Reshape", {node->input(1), perChannel}, "scale_c")}, "scaled");
  y = b.op("Add", {y, b.op("Reshape", {node->input(2), perChannel}, "bias_c")}, "biased");
  opset::replaceNodeWith(node, {y});
  node = nullptr;
  return Outcome::expanded();
}

/// GroupNormalization-18 scales per group. Per-channel constants that repeat one value across
/// each group's channels say the same thing per group; anything else is expanded.
Outcome groupNormPerChannelToPerGroup(AdaptContext& ctx, Node*& node) {
  int64_t groups = opset::rawInt(*node, "num_groups", 0);
  DType dtype = opset::knownDType(node->input(0));
  auto stash = stashType(*node);
  // Opset 18 says nothing of stash_type; only float32 inputs are sure to compute alike.
  bool sameMath = dtype == DType::Float32 || (stash && dtype == *stash);
  std::vector<std::optional<Tensor>> perGroup;
  for (size_t i : {size_t{1}, size_t{2}}) {
    auto values = opset::constantDoubles(node->input(i));
    const Tensor* t = opset::constantTensor(node->input(i));
    if (!values || groups <= 0 || values->size() % static_cast<size_t>(groups) != 0) break;
    size_t per = values->size() / static_cast<size_t>(groups);
    std::vector<double> reduced;
    bool uniform = true;
    for (size_t g = 0; g < static_cast<size_t>(groups); ++g) {
      reduced.push_back((*values)[g * per]);
      for (size_t k = 1; k < per; ++k) uniform = uniform && (*values)[g * per + k] == (*values)[g * per];
    }
    if (!uniform) break;
    perGroup.push_back(opset::numericTensor(t->dtype(), {groups}, reduced));
  }
  if (!sameMath || perGroup.size() != 2 || !perGroup[0] || !perGroup[1]) return groupNormExpansion(ctx, node);
  PendingBuilder b(ctx, node);
  for (size_t i : {size_t{1}, size_t{2}}) {
    ctx.detached.push_back(node->input(i));
    node->setInput(i, b.constant(std::move(*perGroup[i - 1]), i == 1 ? "scale_per_group" : "bias_per_group"));
  }
  node->attributes().erase("stash_type");
  return Outcome::changed();
}

/// BatchNormalization-14 added training_mode; before, the op was inference-only in form.
Outcome batchNormDropTrainingMode(AdaptContext&, Node*& node) {
  if (opset::rawInt(*node, "training_mode", 0) != 0)
    return Outcome::blocked(14, "training_mode=1 needs opset 14");
  bool changed = node->attributes().erase("training_mode");
  if (node->numOutputs() > 1) {
    for (size_t i = 1; i < node->numOutputs(); ++i)
      if (!opset::unused(node->output(i))) return Outcome::blocked(14, "running statistics outputs need opset 14");
    node = opset::rebuildNode(node, node->opType(), node->inputs(), 1);
    changed = true;
  }
  return changed ? Outcome::changed() : Outcome::kept();
}

/// Before opset 7 BatchNormalization computed batch statistics unless is_test=1.
Outcome batchNormSetIsTest(AdaptContext&, Node*& node) {
  node->setAttr("is_test", Attribute(int64_t{1}));
  return Outcome::changed();
}

/// BatchNormalization-1 requires consumed_inputs (none are consumed in inference).
Outcome batchNormConsumedInputs(AdaptContext&, Node*& node) {
  node->setAttr("consumed_inputs", Attribute(std::vector<int64_t>{0, 0, 0, 0, 0}));
  return Outcome::changed();
}

}  // namespace

void addNormalizationAdapters(AdaptTables& t) {
  t.expansions.push_back({"LayerNormalization", "layerNormExpansion", 7, layerNormExpansion});
  t.expansions.push_back({"GroupNormalization", "groupNormExpansion", 7, groupNormExpansion});
  t.steps.push_back({"GroupNormalization", 21, "groupNormPerChannelToPerGroup", groupNormPerChannelToPerGroup});
  t.steps.push_back({"BatchNormalization", 14, "batchNormDropTrainingMode", batchNormDropTrainingMode});
  t.steps.push_back({"BatchNormalization", 7, "batchNormSetIsTest", batchNormSetIsTest});
  t.steps.push_back({"BatchNormalization", 6, "batchNormConsumedInputs", batchNormConsumedInputs});
}

}  // namespace kiln::onnx_backend
