// Upgrades of Upsample (removed at opset 10) and Resize: Upsample's scales move from
// attributes to an input (7, 9), Upsample becomes Resize-10, Resize-11 adds roi and the
// coordinate/rounding attributes, and Resize-13 makes roi and scales optional.

#include "frontend/onnx/upgrade_steps.h"

namespace kiln::onnx_frontend {
namespace {

using opset::rawAttr;
using opset::rawString;

/// Upsample-7 takes one scale per dim in `scales`; Upsample-1 took height_scale and
/// width_scale of an NCHW input, and called linear interpolation "bilinear".
Status upsampleScalesAttr(UpgradeContext&, Node*& node) {
  const Attribute* h = rawAttr(*node, "height_scale");
  const Attribute* w = rawAttr(*node, "width_scale");
  if (!h || !w) return Status::error("Upsample-1 needs height_scale and width_scale");
  node->setAttr("scales", Attribute(std::vector<float>{1.f, 1.f, opset::rawFloat(*node, "height_scale", 1.f),
                                                       opset::rawFloat(*node, "width_scale", 1.f)}));
  node->attributes().erase("height_scale");
  node->attributes().erase("width_scale");
  if (rawString(*node, "mode", "nearest") == "bilinear") node->setAttr("mode", Attribute("linear"));
  return Status::ok();
}

/// Upsample-9 reads the scales from input 1.
Status upsampleScalesToInput(UpgradeContext& ctx, Node*& node) {
  auto scales = opset::rawFloats(*node, "scales");
  if (!scales) return Status::error("Upsample-7 without 'scales'");
  opset::Builder b(ctx.names, node);
  setInputAt(node, 1, b.constant(opset::floatTensor(*scales), "scales"));
  node->attributes().erase("scales");
  return Status::ok();
}

/// Resize-10 is Upsample-9 under a new name (and allows scales below 1).
Status upsampleToResize(UpgradeContext&, Node*& node) {
  if (!node->input(1)) return Status::error("Upsample-9 without scales");
  node = opset::rebuildNode(node, "Resize", {node->input(0), node->input(1)}, 1);
  return Status::ok();
}

/// Resize-11 inserted `roi` before `scales` and named what Resize-10 did implicitly: pixel
/// coordinates map as x_in = x_out / scale ("asymmetric"), and nearest rounding (ONNX
/// Runtime's opset-10 kernel) truncates when upsampling and rounds up when downsampling.
/// Each dim is one or the other, so mixed scales need a rounding Resize-11 cannot name.
Status resizeV10ToV11(UpgradeContext& ctx, Node*& node) {
  Value* scales = node->input(1);
  if (!scales) return Status::error("Resize-10 without scales");
  std::string rounding = "floor";
  if (auto values = opset::constantDoubles(scales)) {
    bool up = false, down = false;
    for (double s : *values) {
      up = up || s > 1.0;
      down = down || s < 1.0;
    }
    if (up && down) return Status::error("Resize-10 scaling some dims up and others down has no opset-11 form");
    if (down) rounding = "ceil";
  }
  opset::Builder b(ctx.names, node);
  node->setInput(1, b.constant(opset::floatTensor({}), "roi"));
  setInputAt(node, 2, scales);
  node->setAttr("coordinate_transformation_mode", Attribute("asymmetric"));
  if (rawString(*node, "mode", "nearest") == "nearest") node->setAttr("nearest_mode", Attribute(rounding));
  return Status::ok();
}

/// Resize-13 made roi and scales optional (an empty tensor meant "absent" before) and dropped
/// "tf_half_pixel_for_nn", which is half_pixel shifted by half a pixel:
///   (x + 0.5) / s = half_pixel(x) + 0.5, so floor of it rounds half_pixel half up, and
///   round_prefer_floor of it is ceil of half_pixel.
Status resizeV11ToV13(UpgradeContext&, Node*& node) {
  auto isEmptyConstant = [](Value* v) {
    const Tensor* t = opset::constantTensor(v);
    return t && t->numElements() == 0;
  };
  std::string coord = rawString(*node, "coordinate_transformation_mode", "half_pixel");
  Value* roi = node->input(1);
  Value* scales = node->input(2);
  if (roi && (isEmptyConstant(roi) || coord != "tf_crop_and_resize")) node->setInput(1, nullptr);
  if (scales && isEmptyConstant(scales)) node->setInput(2, nullptr);
  while (node->numInputs() > 1 && !node->input(node->numInputs() - 1)) node->truncateInputs(node->numInputs() - 1);
  opset::eraseUnusedConstants({roi, scales});
  if (coord == "tf_half_pixel_for_nn") {
    std::string rounding = rawString(*node, "nearest_mode", "round_prefer_floor");
    if (rounding == "floor") node->setAttr("nearest_mode", Attribute("round_prefer_ceil"));
    else if (rounding == "round_prefer_floor") node->setAttr("nearest_mode", Attribute("ceil"));
    else return Status::error("tf_half_pixel_for_nn with nearest_mode '" + rounding + "' has no opset-13 form");
    node->setAttr("coordinate_transformation_mode", Attribute("half_pixel"));
  }
  return Status::ok();
}

}  // namespace

std::vector<UpgradeStep> resizeUpgrades() {
  return {
      {"Upsample", 7, "upsampleScalesAttr", upsampleScalesAttr},
      {"Upsample", 9, "upsampleScalesToInput", upsampleScalesToInput},
      {"Upsample", 10, "upsampleToResize", upsampleToResize},
      {"Resize", 11, "resizeV10ToV11", resizeV10ToV11},
      {"Resize", 13, "resizeV11ToV13", resizeV11ToV13},
  };
}

}  // namespace kiln::onnx_frontend
