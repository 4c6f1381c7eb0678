// Down adapters of Resize, and Resize back to Upsample below opset 10: the attributes of
// Resize-18/19 that older forms lack, Resize-11's required roi/scales inputs, Resize-10's
// fixed coordinate mapping, and Upsample's attribute forms (9, 7, 1).

#include <algorithm>
#include <cmath>

#include "backends/onnx/adapt_steps.h"

namespace kiln::onnx_backend {
namespace {

using opset::rawString;

/// Resize-19 added coordinate_transformation_mode "half_pixel_symmetric".
Outcome resizeNoHalfPixelSymmetric(AdaptContext&, Node*& node) {
  if (rawString(*node, "coordinate_transformation_mode", "half_pixel") == "half_pixel_symmetric")
    return Outcome::blocked(19, "coordinate_transformation_mode 'half_pixel_symmetric' needs opset 19");
  return Outcome::kept();
}

/// Resize-18 added antialias, keep_aspect_ratio_policy and axes. Constant scales, sizes or roi
/// for some axes become full-rank ones (1, the input dim, or the whole range elsewhere).
Outcome resizeV18ToV13(AdaptContext& ctx, Node*& node) {
  if (opset::rawInt(*node, "antialias", 0) != 0) return Outcome::blocked(18, "antialias needs opset 18");
  bool changed = node->attributes().erase("antialias");
  if (rawString(*node, "keep_aspect_ratio_policy", "stretch") != "stretch" && node->input(3))
    return Outcome::blocked(18, "keep_aspect_ratio_policy other than 'stretch' needs opset 18");
  changed = node->attributes().erase("keep_aspect_ratio_policy") || changed;
  auto axes = opset::rawInts(*node, "axes");
  if (!axes) return changed ? Outcome::changed() : Outcome::kept();
  auto rank = opset::knownRank(node->input(0));
  if (!rank) return Outcome::blocked(18, "'axes' with an input of unknown rank needs opset 18");
  for (int64_t& a : *axes)
    if (a < 0) a += *rank;
  PendingBuilder b(ctx, node);
  auto widen = [&](size_t index, auto fill, std::string_view hint) -> bool {
    Value* v = node->input(index);
    if (!v) return true;
    auto values = opset::constantDoubles(v);
    const Tensor* t = opset::constantTensor(v);
    size_t per = index == 1 ? 2 : 1;  // roi holds starts then ends
    if (!values || values->size() != per * axes->size()) return false;
    std::vector<double> full;
    for (size_t half = 0; half < per; ++half)
      for (int64_t d = 0; d < *rank; ++d) {
        auto it = std::find(axes->begin(), axes->end(), d);
        if (it != axes->end()) full.push_back((*values)[half * axes->size() + static_cast<size_t>(it - axes->begin())]);
        else full.push_back(fill(d, half));
      }
    auto tensor = opset::numericTensor(t->dtype(), {static_cast<int64_t>(full.size())}, full);
    if (!tensor) return false;
    ctx.detached.push_back(v);
    node->setInput(index, b.constant(std::move(*tensor), hint));
    return true;
  };
  auto inDims = opset::staticDims(node->input(0));
  bool ok = widen(1, [](int64_t, size_t half) { return half == 0 ? 0.0 : 1.0; }, "roi") &&
            widen(2, [](int64_t, size_t) { return 1.0; }, "scales");
  if (ok && node->input(3)) {
    ok = inDims.has_value() &&
         widen(3, [&](int64_t d, size_t) { return static_cast<double>((*inDims)[static_cast<size_t>(d)]); }, "sizes");
  }
  if (!ok) return Outcome::blocked(18, "'axes' with computed scales, sizes or roi needs opset 18");
  node->attributes().erase("axes");
  return Outcome::changed();
}

/// Resize-11 requires roi and scales inputs; an empty tensor stands for an absent one.
Outcome resizeEmptyRoiScales(AdaptContext& ctx, Node*& node) {
  bool changed = false;
  PendingBuilder b(ctx, node);
  for (auto [index, hint] : {std::pair{size_t{1}, "roi"}, std::pair{size_t{2}, "scales"}}) {
    if (node->input(index)) continue;
    setInputAt(node, index, b.constant(opset::floatTensor({}), hint));
    changed = true;
  }
  return changed ? Outcome::changed() : Outcome::kept();
}

/// Resize-10 maps coordinates as x_in = x_out / scale ("asymmetric") and rounds nearest
/// neighbours down when upsampling and up when downsampling (ONNX Runtime's opset-10 kernel);
/// it takes only scales, and output dims are floor(in * scale).
Outcome resizeV11ToV10(AdaptContext& ctx, Node*& node) {
  std::string coord = rawString(*node, "coordinate_transformation_mode", "half_pixel");
  std::string mode = rawString(*node, "mode", "nearest");
  if (coord != "asymmetric")
    return Outcome::blocked(11, "coordinate_transformation_mode '" + coord + "' needs opset 11");
  if (mode != "nearest" && mode != "linear") return Outcome::blocked(11, "mode '" + mode + "' needs opset 11");
  Value* scalesValue = node->input(2);
  const Tensor* scalesTensor = opset::constantTensor(scalesValue);
  bool scalesGiven = scalesValue && !(scalesTensor && scalesTensor->numElements() == 0);
  std::optional<std::vector<double>> scales = scalesGiven ? opset::constantDoubles(scalesValue) : std::nullopt;
  PendingBuilder b(ctx, node);
  if (!scalesGiven) {
    // Sizes only: scales that floor back to exactly those sizes, as Resize-10 computes them.
    auto sizes = opset::constantInts(node->input(3));
    auto inDims = opset::staticDims(node->input(0));
    if (!sizes || !inDims || sizes->size() != inDims->size())
      return Outcome::blocked(11, "computed output sizes need opset 11");
    std::vector<float> fs;
    for (size_t i = 0; i < sizes->size(); ++i) {
      float in = static_cast<float>((*inDims)[i]);
      float s = static_cast<float>((*sizes)[i]) / in;
      for (int tries = 0; tries < 4 && static_cast<int64_t>(in * s) < (*sizes)[i]; ++tries)
        s = std::nextafter(s, INFINITY);
      if (static_cast<int64_t>(in * s) != (*sizes)[i])
        return Outcome::blocked(11, "output sizes that no scale reproduces need opset 11");
      fs.push_back(s);
    }
    scales = std::vector<double>(fs.begin(), fs.end());
    ctx.detached.push_back(scalesValue);
    scalesValue = b.constant(opset::floatTensor(fs), "scales");
  }
  if (mode == "nearest") {
    std::string rounding = rawString(*node, "nearest_mode", "round_prefer_floor");
    bool up = !scales, down = false;  // computed scales: Resize-10 is used for upsampling
    if (scales)
      for (double s : *scales) {
        up = up || s > 1.0;
        down = down || s < 1.0;
      }
    bool fits = (rounding == "floor" && !down) || (rounding == "ceil" && !up) || (!up && !down);
    if (!fits) return Outcome::blocked(11, "nearest_mode '" + rounding + "' for these scales needs opset 11");
  }
  Value* roi = node->input(1);
  Value* sizes = node->input(3);
  node->truncateInputs(1);
  node->addInput(scalesValue);
  ctx.detached.push_back(roi);
  ctx.detached.push_back(sizes);
  for (const char* attr : {"coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside",
                           "extrapolation_value"})
    node->attributes().erase(attr);
  return Outcome::changed();
}

/// Upsample-9 is Resize-10 restricted to scales of at least 1.
Outcome resizeToUpsample(AdaptContext&, Node*& node) {
  if (auto scales = opset::constantDoubles(node->input(1)))
    if (std::any_of(scales->begin(), scales->end(), [](double s) { return s < 1.0; }))
      return Outcome::blocked(10, "downsampling needs Resize, from opset 10");
  node = opset::rebuildNode(node, "Upsample", {node->input(0), node->input(1)}, 1);
  return Outcome::changed();
}

/// Upsample-7 takes the scales as an attribute.
Outcome upsampleScalesInputToAttr(AdaptContext& ctx, Node*& node) {
  auto scales = opset::constantDoubles(node->input(1));
  if (!scales) return Outcome::blocked(9, "computed scales need opset 9");
  node->setAttr("scales", Attribute(std::vector<float>(scales->begin(), scales->end())));
  ctx.detached.push_back(node->input(1));
  node->truncateInputs(1);
  return Outcome::changed();
}

/// Upsample-1 scales the last two dims of a 4-D input (height_scale, width_scale) and calls
/// linear interpolation "bilinear".
Outcome upsampleHeightWidth(AdaptContext&, Node*& node) {
  auto scales = opset::rawFloats(*node, "scales");
  if (!scales || scales->size() != 4 || (*scales)[0] != 1.f || (*scales)[1] != 1.f)
    return Outcome::blocked(7, "scaling other than the last two dims of a 4-D input needs opset 7");
  node->setAttr("height_scale", Attribute((*scales)[2]));
  node->setAttr("width_scale", Attribute((*scales)[3]));
  node->attributes().erase("scales");
  if (rawString(*node, "mode", "nearest") == "linear") node->setAttr("mode", Attribute("bilinear"));
  return Outcome::changed();
}

}  // namespace

void addResizeAdapters(AdaptTables& t) {
  t.steps.push_back({"Resize", 19, "resizeNoHalfPixelSymmetric", resizeNoHalfPixelSymmetric});
  t.steps.push_back({"Resize", 18, "resizeV18ToV13", resizeV18ToV13});
  t.steps.push_back({"Resize", 13, "resizeEmptyRoiScales", resizeEmptyRoiScales});
  t.steps.push_back({"Resize", 11, "resizeV11ToV10", resizeV11ToV10});
  t.steps.push_back({"Upsample", 9, "upsampleScalesInputToAttr", upsampleScalesInputToAttr});
  t.steps.push_back({"Upsample", 7, "upsampleHeightWidth", upsampleHeightWidth});
  t.expansions.push_back({"Resize", "resizeToUpsample", 7, resizeToUpsample, 9});
}

}  // namespace kiln::onnx_backend
