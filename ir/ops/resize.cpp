// Resize (v19): interpolation to target scales or sizes over all or some axes. The importer
// turns Upsample into Resize, so there is no Upsample entry.

#include <algorithm>
#include <cmath>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// floor(in * scale), symbolically when the scale or its inverse is an integer.
Dim scaleDim(const Dim& in, double scale) {
  if (in.isStatic()) return Dim(static_cast<int64_t>(std::floor(static_cast<double>(in.value()) * scale)));
  if (scale > 0 && scale == std::floor(scale)) return in * Dim(static_cast<int64_t>(scale));
  if (scale > 0 && 1.0 / scale == std::floor(1.0 / scale)) return floorDiv(in, static_cast<int64_t>(1.0 / scale));
  return Dim();
}

Status inferResize(InferenceContext& ctx) {
  const Type& in = ctx.inputType(0);
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(in);
  if (!x.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  auto rank = static_cast<int64_t>(x.rank());
  std::vector<int64_t> axes = ctx.node().intsAttr("axes");
  if (axes.empty())
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  auto normalized = normalizeAxes(axes, rank);
  if (!normalized) return atNode(ctx, normalized.takeStatus());
  axes = normalized.take();

  std::vector<Dim> out = x.dims();
  for (int64_t a : axes) out[static_cast<size_t>(a)] = Dim();
  auto lengthError = [&](const char* what, size_t n) {
    return ctx.error(std::string(what) + " has " + std::to_string(n) + " values for " +
                     std::to_string(axes.size()) + " axes");
  };

  // An empty sizes or scales tensor stands for an omitted input.
  auto sizes = ctx.hasInput(3) ? inputShapeValue(ctx, 3) : std::nullopt;
  bool useSizes = ctx.hasInput(3) && !(sizes && sizes->empty());
  const Tensor* scales = ctx.constantInput(2);
  if (useSizes) {
    if (sizes && sizes->size() != axes.size()) return lengthError("sizes", sizes->size());
    std::string policy = ctx.node().stringAttr("keep_aspect_ratio_policy", "stretch");
    if (sizes && policy == "stretch") {
      for (size_t k = 0; k < axes.size(); ++k) out[static_cast<size_t>(axes[k])] = (*sizes)[k];
    } else if (sizes) {
      // One scale for all axes, the largest (not_larger: smallest) that fits: every size static.
      std::optional<double> scale;
      bool known = true;
      for (size_t k = 0; k < axes.size(); ++k) {
        const Dim& d = x[static_cast<size_t>(axes[k])];
        if (!d.isStatic() || !(*sizes)[k].isStatic() || d.value() == 0) {
          known = false;
          break;
        }
        double s = static_cast<double>((*sizes)[k].value()) / static_cast<double>(d.value());
        scale = !scale ? s : policy == "not_larger" ? std::min(*scale, s) : std::max(*scale, s);
      }
      for (size_t k = 0; known && k < axes.size(); ++k) {
        double d = static_cast<double>(x[static_cast<size_t>(axes[k])].value());
        out[static_cast<size_t>(axes[k])] = Dim(static_cast<int64_t>(std::round(*scale * d)));
      }
    }
  } else if (scales && isFloat(scales->dtype()) && scales->numElements() > 0) {
    if (scales->numElements() != static_cast<int64_t>(axes.size()))
      return lengthError("scales", static_cast<size_t>(scales->numElements()));
    for (size_t k = 0; k < axes.size(); ++k) {
      double s = scales->scalarAsDouble(static_cast<int64_t>(k));
      if (!(s > 0)) return ctx.error("scale " + std::to_string(s) + " must be positive");
      out[static_cast<size_t>(axes[k])] = scaleDim(x[static_cast<size_t>(axes[k])], s);
    }
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

}  // namespace

void registerResizeOps(OpRegistry& r) {
  r.add({.domain = "", .name = "Resize", .sinceVersion = 19,
         .summary = "Resizes by scales or to sizes with nearest, linear or cubic interpolation.",
         .minInputs = 1, .maxInputs = 4,
         .attributes = {attrInt("antialias", 0), attrOptional("axes", AttrKind::Ints),
                        attrString("coordinate_transformation_mode", "half_pixel"), attrFloat("cubic_coeff_a", -0.75f),
                        attrInt("exclude_outside", 0), attrFloat("extrapolation_value", 0.0f),
                        attrString("keep_aspect_ratio_policy", "stretch"), attrString("mode", "nearest"),
                        attrString("nearest_mode", "round_prefer_floor")},
         .inferShapes = inferResize,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
