// Upgrades of shape and data-movement ops, most of them attributes that became inputs so that
// shapes can be computed: Squeeze/Unsqueeze axes (13), Reshape shape (5), Slice starts/ends/
// axes (10), Split sizes (13) and count (18), Pad pads/value (11), TopK k (10), Tile repeats
// (6); plus Concat's default axis (4), Cast's type names (6) and Scatter's rename (11).

#include <algorithm>
#include <cctype>

#include "frontend/onnx/upgrade_steps.h"

namespace kiln::onnx_frontend {
namespace {

using opset::rawAttr;
using opset::rawInt;

/// Squeeze-13 and Unsqueeze-13 read `axes` from input 1.
Status axesAttrToInput(UpgradeContext& ctx, Node*& node) { return attrToInt64Input(ctx, node, "axes", 1); }

/// Reshape-5 reads the target shape from input 1.
Status reshapeShapeAttrToInput(UpgradeContext& ctx, Node*& node) {
  node->attributes().erase("consumed_inputs");
  if (!rawAttr(*node, "shape")) return Status::error("Reshape-1 without a 'shape' attribute");
  return attrToInt64Input(ctx, node, "shape", 1);
}

/// Slice-10 reads starts, ends and axes from inputs 1..3 (steps, input 4, defaults to 1).
Status sliceAttrsToInputs(UpgradeContext& ctx, Node*& node) {
  if (!rawAttr(*node, "starts") || !rawAttr(*node, "ends")) return Status::error("Slice-1 needs 'starts' and 'ends'");
  KILN_RETURN_IF_ERROR(attrToInt64Input(ctx, node, "starts", 1));
  KILN_RETURN_IF_ERROR(attrToInt64Input(ctx, node, "ends", 2));
  return attrToInt64Input(ctx, node, "axes", 3);
}

/// Split-1 also accepted the sizes as an optional input; Split-2 takes only the attribute.
Status splitInputToAttr(UpgradeContext&, Node*& node) {
  Value* split = node->input(1);
  if (!split) return Status::ok();
  auto sizes = opset::constantInts(split);
  if (!sizes) return Status::error("Split-1 with computed sizes has no opset-2 form");
  node->setAttr("split", Attribute(*sizes));
  node->truncateInputs(1);
  opset::eraseUnusedConstants({split});
  return Status::ok();
}

/// Split-13 reads the sizes from optional input 1.
Status splitAttrToInput(UpgradeContext& ctx, Node*& node) { return attrToInt64Input(ctx, node, "split", 1); }

/// Split-18 requires `num_outputs` when the sizes are not given; before, an absent `split`
/// meant equal parts, one per output.
Status splitNumOutputs(UpgradeContext&, Node*& node) {
  if (node->input(1)) return Status::ok();
  node->setAttr("num_outputs", Attribute(static_cast<int64_t>(node->numOutputs())));
  return Status::ok();
}

/// Pad-2 renamed `paddings` to `pads`.
Status padRenamePaddings(UpgradeContext&, Node*& node) {
  if (const Attribute* a = rawAttr(*node, "paddings")) {
    Attribute copy = *a;
    node->attributes().erase("paddings");
    node->setAttr("pads", std::move(copy));
  }
  return Status::ok();
}

/// Pad-11 reads pads (int64) and the constant value (the data's type) from inputs 1 and 2.
Status padAttrsToInputs(UpgradeContext& ctx, Node*& node) {
  if (!rawAttr(*node, "pads")) return Status::error("Pad-2 without 'pads'");
  KILN_RETURN_IF_ERROR(attrToInt64Input(ctx, node, "pads", 1));
  if (rawAttr(*node, "value")) {
    opset::Builder b(ctx.names, node);
    setInputAt(node, 2, scalarLike(b, opset::rawFloat(*node, "value", 0.f), node->input(0), "value"));
    node->attributes().erase("value");
  }
  return Status::ok();
}

/// Concat-4 made `axis` required; before, it defaulted to 1.
Status concatDefaultAxis(UpgradeContext&, Node*& node) {
  if (!rawAttr(*node, "axis")) node->setAttr("axis", Attribute(int64_t{1}));
  return Status::ok();
}

/// Tile-1 repeated along one axis (scalar inputs `tiles` and `axis`); Tile-6 takes one repeat
/// count per dim, so the count goes to `axis` and every other dim gets 1.
Status tileAxisToRepeats(UpgradeContext& ctx, Node*& node) {
  auto tiles = opset::constantInts(node->input(1)), axis = opset::constantInts(node->input(2));
  auto rank = opset::knownRank(node->input(0));
  if (!tiles || !axis || tiles->size() != 1 || axis->size() != 1 || !rank)
    return Status::error("Tile-1 needs constant scalar tiles and axis and a known input rank");
  int64_t a = (*axis)[0] < 0 ? (*axis)[0] + *rank : (*axis)[0];
  if (a < 0 || a >= *rank) return Status::error("Tile-1 axis out of range");
  std::vector<int64_t> repeats(static_cast<size_t>(*rank), 1);
  repeats[static_cast<size_t>(a)] = (*tiles)[0];
  Value* oldTiles = node->input(1);
  Value* oldAxis = node->input(2);
  opset::Builder b(ctx.names, node);
  node->setInput(1, b.int64s(repeats, "repeats"));
  node->truncateInputs(2);
  opset::eraseUnusedConstants({oldTiles, oldAxis});
  return Status::ok();
}

/// TopK-10 reads k from input 1, a 1-element int64 tensor.
Status topkAttrToInput(UpgradeContext& ctx, Node*& node) {
  if (!rawAttr(*node, "k")) return Status::error("TopK-1 without 'k'");
  return attrToInt64Input(ctx, node, "k", 1);
}

/// Cast-1 named the target type with a string ("FLOAT"); Cast-6 uses the TensorProto code.
Status castToNameToCode(UpgradeContext&, Node*& node) {
  const Attribute* a = rawAttr(*node, "to");
  if (!a || a->kind() != AttrKind::String) return Status::ok();
  static const std::pair<const char*, int64_t> kNames[] = {
      {"FLOAT", 1},  {"UINT8", 2},   {"INT8", 3},     {"UINT16", 4}, {"INT16", 5},      {"INT32", 6},
      {"INT64", 7},  {"STRING", 8},  {"BOOL", 9},     {"FLOAT16", 10}, {"DOUBLE", 11},  {"UINT32", 12},
      {"UINT64", 13}, {"COMPLEX64", 14}, {"COMPLEX128", 15}};
  std::string upper = a->s();
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (auto [name, code] : kNames)
    if (upper == name) {
      node->setAttr("to", Attribute(code));
      return Status::ok();
    }
  return Status::error("Cast-1 to unknown type '" + a->s() + "'");
}

/// ScatterElements-11 is Scatter-9 renamed (Scatter was deprecated at 11).
Status scatterToScatterElements(UpgradeContext&, Node*& node) {
  node = opset::rebuildNode(node, "ScatterElements", node->inputs(), node->numOutputs());
  return Status::ok();
}

}  // namespace

std::vector<UpgradeStep> shapeUpgrades() {
  return {
      {"Squeeze", 13, "axesAttrToInput", axesAttrToInput},
      {"Unsqueeze", 13, "axesAttrToInput", axesAttrToInput},
      {"Reshape", 5, "reshapeShapeAttrToInput", reshapeShapeAttrToInput},
      {"Slice", 10, "sliceAttrsToInputs", sliceAttrsToInputs},
      {"Split", 2, "splitInputToAttr", splitInputToAttr},
      {"Split", 13, "splitAttrToInput", splitAttrToInput},
      {"Split", 18, "splitNumOutputs", splitNumOutputs},
      {"Pad", 2, "padRenamePaddings", padRenamePaddings},
      {"Pad", 11, "padAttrsToInputs", padAttrsToInputs},
      {"Concat", 4, "concatDefaultAxis", concatDefaultAxis},
      {"Tile", 6, "tileAxisToRepeats", tileAxisToRepeats},
      {"TopK", 10, "topkAttrToInput", topkAttrToInput},
      {"Cast", 6, "castToNameToCode", castToNameToCode},
      {"Scatter", 11, "scatterToScatterElements", scatterToScatterElements},
  };
}

}  // namespace kiln::onnx_frontend
