// Upgrades of neural-network ops: Softmax-family 2-D coercion (before 13), BatchNormalization
// and Dropout flags and outputs, recurrent nets' output_sequence, LpPool's float p, RoiAlign's
// old default, GroupNormalization's per-group scale (before 21), GridSample's mode names and
// DFT's axis input (before 20).

#include "frontend/onnx/upgrade_steps.h"

namespace kiln::onnx_frontend {
namespace {

using opset::rawAttr;
using opset::rawInt;
using opset::rawString;

/// Before opset 13, Softmax/LogSoftmax/Hardmax flattened the input to 2-D at `axis` (default
/// 1) and normalized each row; since 13 they normalize along `axis` alone (default -1). The
/// two agree when `axis` is the last dim. Otherwise the old meaning is spelled out exactly:
///   y = Reshape(Softmax(Flatten(x, axis), axis=-1), Shape(x))
Status softmaxCoercedToAxis(UpgradeContext& ctx, Node*& node) {
  int64_t axis = rawInt(*node, "axis", 1);
  Value* x = node->input(0);
  auto rank = opset::knownRank(x);
  bool isLast = rank ? (axis < 0 ? axis + *rank : axis) == *rank - 1 : axis == -1;
  if (isLast || (rank && *rank <= 1)) {
    node->setAttr("axis", Attribute(axis));
    return Status::ok();
  }
  opset::Builder b(ctx.names, node);
  Value* shape = b.op("Shape", {x}, "shape");
  Node* flatten = b.node("Flatten", {x}, "flatten");
  flatten->setAttr("axis", Attribute(axis));
  Node* rows = b.node(node->opType(), {flatten->output(0)}, "rows");
  rows->setAttr("axis", Attribute(int64_t{-1}));
  Value* y = b.op("Reshape", {rows->output(0), shape}, "reshape");
  std::string name = node->name();
  opset::replaceNodeWith(node, {y});
  rows->setName(name);  // the old node is gone: its name now labels the op that does its work
  node = rows;
  return Status::ok();
}

/// BatchNormalization-7 dropped `is_test`: the op is an inference op unless training_mode.
Status batchNormDropIsTest(UpgradeContext&, Node*& node) {
  node->attributes().erase("is_test");
  return Status::ok();
}

/// BatchNormalization-9 dropped `spatial`: statistics are always per channel. spatial=0
/// (per activation) is expressible only when its statistics are per channel anyway.
Status batchNormDropSpatial(UpgradeContext&, Node*& node) {
  if (rawInt(*node, "spatial", 1) == 0)
    for (size_t i = 1; i < 5; ++i)
      if (auto r = opset::knownRank(node->input(i)); !r || *r != 1)
        return Status::error("spatial=0 with per-activation statistics has no opset-9 form");
  node->attributes().erase("spatial");
  return Status::ok();
}

/// BatchNormalization-14 returns running statistics only with training_mode=1 and has no
/// saved_mean/saved_var outputs; inference graphs use only Y, so the others go.
Status batchNormTrainingOutputs(UpgradeContext&, Node*& node) {
  bool statsUsed = !opset::unused(node->output(1)) || !opset::unused(node->output(2));
  if (!opset::unused(node->output(3)) || !opset::unused(node->output(4)))
    return Status::error("saved_mean/saved_var outputs have no opset-14 form");
  if (statsUsed) {
    node->setAttr("training_mode", Attribute(int64_t{1}));
    if (node->numOutputs() > 3) node = opset::rebuildNode(node, node->opType(), node->inputs(), 3);
  } else if (node->numOutputs() > 1) {
    node = opset::rebuildNode(node, node->opType(), node->inputs(), 1);
  }
  return Status::ok();
}

/// Dropout-7 dropped `is_test`: Dropout is the identity outside training.
Status dropoutDropIsTest(UpgradeContext&, Node*& node) {
  node->attributes().erase("is_test");
  return Status::ok();
}

/// Dropout-10 returns its mask as bool; before, in the data type. A used mask gets a Cast
/// back to the data type so its users see what they saw.
Status dropoutMaskToBool(UpgradeContext& ctx, Node*& node) {
  Value* mask = node->output(1);
  if (opset::unused(mask)) return Status::ok();
  std::vector<Use> uses = mask->uses();
  opset::Builder b(ctx.names, node);
  Node* cast = b.node("CastLike", {mask, node->input(0)}, "mask_like_data");
  node->graph()->moveBefore(cast, node->next());
  for (const Use& u : uses) {
    if (u.isGraphOutput()) u.graph->setOutput(u.index, cast->output(0));
    else u.user->setInput(u.index, cast->output(0));
  }
  std::string maskName = mask->name();
  mask->setName(cast->output(0)->name());
  cast->output(0)->setName(maskName);
  return Status::ok();
}

/// Dropout-12 reads the ratio from optional input 1 (float) and training_mode from input 2.
Status dropoutRatioToInput(UpgradeContext& ctx, Node*& node) {
  if (const Attribute* a = rawAttr(*node, "ratio")) {
    opset::Builder b(ctx.names, node);
    float ratio = a->kind() == AttrKind::Float ? a->f() : 0.5f;
    setInputAt(node, 1, b.constant(opset::floatTensor({ratio}, true), "ratio"));
    node->attributes().erase("ratio");
  }
  return Status::ok();
}

/// RNN/GRU/LSTM-7 dropped `output_sequence`: Y is simply an optional output.
Status rnnDropOutputSequence(UpgradeContext&, Node*& node) {
  node->attributes().erase("output_sequence");
  return Status::ok();
}

/// LpPool-2 and GlobalLpPool-2 take p as an integer (it was a float).
Status lpPoolIntegerP(UpgradeContext&, Node*& node) {
  if (const Attribute* a = rawAttr(*node, "p"); a && a->kind() == AttrKind::Float) {
    float p = a->f();
    if (p != static_cast<float>(static_cast<int64_t>(p))) return Status::error("non-integer p has no opset-2 form");
    node->setAttr("p", Attribute(static_cast<int64_t>(p)));
  }
  return Status::ok();
}

/// RoiAlign-16 added coordinate_transformation_mode with default "half_pixel"; RoiAlign-10
/// behaved as "output_half_pixel", so that is made explicit.
Status roiAlignExplicitCoordinateMode(UpgradeContext&, Node*& node) {
  if (!rawAttr(*node, "coordinate_transformation_mode"))
    node->setAttr("coordinate_transformation_mode", Attribute("output_half_pixel"));
  return Status::ok();
}

/// GroupNormalization-21 takes scale and bias per channel [C]; GroupNormalization-18 took
/// them per group [G]. Each group's value is repeated for its C/G channels:
///   perChannel = Reshape(Expand(Unsqueeze(perGroup, [1]), [G, C/G]), [-1])
Status groupNormScaleToChannels(UpgradeContext& ctx, Node*& node) {
  int64_t groups = rawInt(*node, "num_groups", 0);
  if (groups <= 0) return Status::error("GroupNormalization without a positive num_groups");
  Value* x = node->input(0);
  std::optional<int64_t> channels;
  if (x && x->type().isTensor() && x->shape().isRanked() && x->shape().rank() >= 2 && x->shape()[1].isStatic())
    channels = x->shape()[1].value();
  opset::Builder b(ctx.names, node);
  for (size_t i : {size_t{1}, size_t{2}}) {
    Value* perGroup = node->input(i);
    if (!perGroup) continue;
    auto values = opset::constantDoubles(perGroup);
    const Tensor* t = opset::constantTensor(perGroup);
    if (values && channels && *channels % groups == 0 && static_cast<int64_t>(values->size()) == groups) {
      std::vector<double> repeated;
      for (double v : *values)
        for (int64_t k = 0; k < *channels / groups; ++k) repeated.push_back(v);
      if (auto rt = opset::numericTensor(t->dtype(), {*channels}, repeated)) {
        node->setInput(i, b.constant(std::move(*rt), i == 1 ? "scale_per_channel" : "bias_per_channel"));
        opset::eraseUnusedConstants({perGroup});
        continue;
      }
    }
    Node* channelDim = b.node("Shape", {node->input(0)}, "channels");
    channelDim->setAttr("start", Attribute(int64_t{1}));
    channelDim->setAttr("end", Attribute(int64_t{2}));
    Value* g = b.int64s({groups}, "groups");
    Value* perGroupCount = b.op("Div", {channelDim->output(0), g}, "channels_per_group");
    Value* target = b.op("Concat", {g, perGroupCount}, "expand_shape");
    target->producer()->setAttr("axis", Attribute(int64_t{0}));
    Value* column = b.op("Unsqueeze", {perGroup, b.int64s({1}, "unsqueeze_axes")}, "column");
    Value* expanded = b.op("Expand", {column, target}, "expanded");
    node->setInput(i, b.op("Reshape", {expanded, b.int64s({-1}, "flat")}, i == 1 ? "scale_per_channel" : "bias_per_channel"));
  }
  return Status::ok();
}

/// Scan-9 dropped the batch axis of Scan-8; kiln does not rewrite batched scans.
Status scanRejectBatched(UpgradeContext&, Node*&) {
  return Status::error("Scan-8 (with a batch axis) is not supported; re-export the model at opset 9 or later");
}

/// GridSample-20 renamed modes "bilinear" -> "linear" and "bicubic" -> "cubic".
Status gridSampleModeNames(UpgradeContext&, Node*& node) {
  std::string mode = rawString(*node, "mode", "bilinear");
  if (mode == "bilinear") node->setAttr("mode", Attribute("linear"));
  if (mode == "bicubic") node->setAttr("mode", Attribute("cubic"));
  return Status::ok();
}

/// DFT-20 reads the axis from optional input 2 (its default became -2); DFT-17's attribute
/// defaulted to 1, so the axis is always made explicit.
Status dftAxisToInput(UpgradeContext& ctx, Node*& node) {
  int64_t axis = rawInt(*node, "axis", 1);
  node->attributes().erase("axis");
  opset::Builder b(ctx.names, node);
  setInputAt(node, 2, b.constant(opset::int64Tensor({axis}, true), "axis"));
  return Status::ok();
}

}  // namespace

std::vector<UpgradeStep> nnUpgrades() {
  std::vector<UpgradeStep> steps;
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"})
    steps.push_back({op, 13, "softmaxCoercedToAxis", softmaxCoercedToAxis});
  for (const char* op : {"GRU", "LSTM", "RNN"}) steps.push_back({op, 7, "rnnDropOutputSequence", rnnDropOutputSequence});
  for (const char* op : {"LpPool", "GlobalLpPool"}) steps.push_back({op, 2, "lpPoolIntegerP", lpPoolIntegerP});
  std::vector<UpgradeStep> rest = {
      {"BatchNormalization", 7, "batchNormDropIsTest", batchNormDropIsTest},
      {"BatchNormalization", 9, "batchNormDropSpatial", batchNormDropSpatial},
      {"BatchNormalization", 14, "batchNormTrainingOutputs", batchNormTrainingOutputs},
      {"Dropout", 7, "dropoutDropIsTest", dropoutDropIsTest},
      {"Dropout", 10, "dropoutMaskToBool", dropoutMaskToBool},
      {"Dropout", 12, "dropoutRatioToInput", dropoutRatioToInput},
      {"RoiAlign", 16, "roiAlignExplicitCoordinateMode", roiAlignExplicitCoordinateMode},
      {"GroupNormalization", 21, "groupNormScaleToChannels", groupNormScaleToChannels},
      {"Scan", 9, "scanRejectBatched", scanRejectBatched},
      {"GridSample", 20, "gridSampleModeNames", gridSampleModeNames},
      {"DFT", 20, "dftAxisToInput", dftAxisToInput},
  };
  for (auto& s : rest) steps.push_back(std::move(s));
  return steps;
}

}  // namespace kiln::onnx_frontend
