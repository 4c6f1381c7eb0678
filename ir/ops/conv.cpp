// Convolutions: Conv and ConvTranspose over any number of spatial axes.

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// The window attributes of a Conv-like node for `spatial` axes, defaults filled in.
struct Window {
  std::vector<int64_t> kernel;  ///< empty when neither kernel_shape nor static weight dims say
  std::vector<int64_t> strides, dilations, pads;
  std::string autoPad;
};

Expected<Window> readWindow(const Node& node, size_t spatial, const Shape& weight) {
  Window w;
  w.kernel = node.intsAttr("kernel_shape");
  if (w.kernel.empty() && weight.isRanked() && weight.rank() == spatial + 2) {
    for (size_t i = 0; i < spatial; ++i) {
      if (!weight[i + 2].isStatic()) {
        w.kernel.clear();
        break;
      }
      w.kernel.push_back(weight[i + 2].value());
    }
  }
  w.strides = node.intsAttr("strides", std::vector<int64_t>(spatial, 1));
  w.dilations = node.intsAttr("dilations", std::vector<int64_t>(spatial, 1));
  w.pads = node.intsAttr("pads", std::vector<int64_t>(2 * spatial, 0));
  w.autoPad = node.stringAttr("auto_pad", "NOTSET");
  auto check = [&](const char* name, const std::vector<int64_t>& v, size_t want) -> Status {
    if (v.size() == want) return Status::ok();
    return Status::error(std::string(name) + " has " + std::to_string(v.size()) + " values for " +
                         std::to_string(spatial) + " spatial axes");
  };
  if (!w.kernel.empty()) KILN_RETURN_IF_ERROR(check("kernel_shape", w.kernel, spatial));
  KILN_RETURN_IF_ERROR(check("strides", w.strides, spatial));
  KILN_RETURN_IF_ERROR(check("dilations", w.dilations, spatial));
  KILN_RETURN_IF_ERROR(check("pads", w.pads, 2 * spatial));
  if (w.autoPad != "NOTSET" && w.autoPad != "SAME_UPPER" && w.autoPad != "SAME_LOWER" && w.autoPad != "VALID")
    return Status::error("unknown auto_pad '" + w.autoPad + "'");
  return w;
}

/// An output size below 1 means the window does not fit the (padded) input.
Status checkFits(const InferenceContext& ctx, const Dim& out, const Dim& in, size_t axis) {
  if (!out.isStatic() || out.value() >= 1) return Status::ok();
  return ctx.error("spatial axis " + std::to_string(axis) + " of size " + in.str() + " gives output size " +
                   out.str() + ": the window does not fit");
}

/// Common to Conv and ConvTranspose: the ranks, and a ranked X. Returns false when the
/// output was set to what little is known.
Expected<bool> checkRanks(InferenceContext& ctx, const Shape& x, const Shape& w, DType dtype) {
  if (x.isRanked() && x.rank() < 3) return Status::error("input must have rank >= 3, got " + x.str());
  if (x.isRanked() && w.isRanked() && w.rank() != x.rank())
    return Status::error("weight " + w.str() + " and input " + x.str() + " ranks differ");
  if (!x.isRanked()) {
    ctx.setOutputType(0, w.isRanked() ? unknownDimsTensor(dtype, w.rank()) : Type::tensor(dtype));
    return false;
  }
  return true;
}

Status inferConv(InferenceContext& ctx) {
  DType dtype = firstKnownDtype(ctx, {0, 1});
  const Shape x = shapeOf(ctx.inputType(0));
  const Shape w = shapeOf(ctx.inputType(1));
  auto ranked = checkRanks(ctx, x, w, dtype);
  if (!ranked) return atNode(ctx, ranked.takeStatus());
  if (!*ranked) return Status::ok();
  size_t spatial = x.rank() - 2;
  auto window = readWindow(ctx.node(), spatial, w);
  if (!window) return atNode(ctx, window.takeStatus());
  int64_t group = ctx.node().intAttr("group", 1);
  if (group < 1) return ctx.error("group must be positive, got " + std::to_string(group));
  if (w.isRanked() && x[1].isStatic() && w[1].isStatic() && x[1].value() != w[1].value() * group)
    return ctx.error("input has " + x[1].str() + " channels but the weight expects " +
                     std::to_string(w[1].value() * group) + " (" + w[1].str() + " x group " +
                     std::to_string(group) + ")");

  std::vector<Dim> out = {x[0], w.isRanked() ? w[0] : Dim()};
  for (size_t i = 0; i < spatial; ++i) {
    if (window->kernel.empty()) {
      out.push_back(Dim());
      continue;
    }
    out.push_back(windowOutputDim(x[i + 2], window->kernel[i], window->strides[i], window->dilations[i],
                                  window->pads[i], window->pads[i + spatial], window->autoPad,
                                  /*ceilMode=*/false));
    KILN_RETURN_IF_ERROR(checkFits(ctx, out.back(), x[i + 2], i));
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

Status inferConvTranspose(InferenceContext& ctx) {
  DType dtype = firstKnownDtype(ctx, {0, 1});
  const Shape x = shapeOf(ctx.inputType(0));
  const Shape w = shapeOf(ctx.inputType(1));
  auto ranked = checkRanks(ctx, x, w, dtype);
  if (!ranked) return atNode(ctx, ranked.takeStatus());
  if (!*ranked) return Status::ok();
  size_t spatial = x.rank() - 2;
  auto window = readWindow(ctx.node(), spatial, w);
  if (!window) return atNode(ctx, window.takeStatus());
  int64_t group = ctx.node().intAttr("group", 1);
  if (group < 1) return ctx.error("group must be positive, got " + std::to_string(group));
  if (w.isRanked() && x[1].isStatic() && w[0].isStatic() && x[1].value() != w[0].value())
    return ctx.error("input has " + x[1].str() + " channels but the weight expects " + w[0].str());
  auto outputPadding = ctx.node().intsAttr("output_padding", std::vector<int64_t>(spatial, 0));
  auto outputShape = ctx.node().intsAttr("output_shape");
  if (outputPadding.size() != spatial)
    return ctx.error("output_padding has " + std::to_string(outputPadding.size()) + " values for " +
                     std::to_string(spatial) + " spatial axes");
  // output_shape lists the spatial sizes (some exporters include N and C as well).
  if (outputShape.size() == spatial + 2) outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
  if (!outputShape.empty() && outputShape.size() != spatial)
    return ctx.error("output_shape has " + std::to_string(outputShape.size()) + " values for " +
                     std::to_string(spatial) + " spatial axes");

  std::vector<Dim> out = {x[0], w.isRanked() ? w[1] * Dim(group) : Dim()};
  for (size_t i = 0; i < spatial; ++i) {
    if (!outputShape.empty()) {
      out.push_back(Dim(outputShape[i]));
    } else if (window->autoPad == "SAME_UPPER" || window->autoPad == "SAME_LOWER") {
      out.push_back(x[i + 2] * Dim(window->strides[i]));
    } else if (window->kernel.empty()) {
      out.push_back(Dim());
    } else {
      int64_t pads = window->autoPad == "VALID" ? 0 : window->pads[i] + window->pads[i + spatial];
      int64_t effectiveKernel = window->dilations[i] * (window->kernel[i] - 1) + 1;
      // stride * (in - 1) + output_padding + effective kernel - pads
      out.push_back(Dim(window->strides[i]) * (x[i + 2] - Dim(1)) +
                    Dim(outputPadding[i] + effectiveKernel - pads));
    }
    KILN_RETURN_IF_ERROR(checkFits(ctx, out.back(), x[i + 2], i));
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

std::vector<AttrSpec> convAttributes() {
  return {attrString("auto_pad", "NOTSET"), attrOptional("dilations", AttrKind::Ints), attrInt("group", 1),
          attrOptional("kernel_shape", AttrKind::Ints), attrOptional("pads", AttrKind::Ints),
          attrOptional("strides", AttrKind::Ints)};
}

}  // namespace

void registerConvOps(OpRegistry& r) {
  r.add({.domain = "", .name = "Conv", .sinceVersion = 11,
         .summary = "N-d convolution of X [N,C,...] with W [M,C/group,k...] plus optional bias B [M].",
         .minInputs = 2, .maxInputs = 3,
         .attributes = convAttributes(),
         .inferShapes = inferConv,
         .traits = OpTrait::Pure});
  std::vector<AttrSpec> transposeAttrs = convAttributes();
  transposeAttrs.insert(transposeAttrs.begin() + 4, {attrOptional("output_padding", AttrKind::Ints),
                                                     attrOptional("output_shape", AttrKind::Ints)});
  r.add({.domain = "", .name = "ConvTranspose", .sinceVersion = 11,
         .summary = "N-d transposed convolution of X [N,C,...] with W [C,M/group,k...] plus optional bias.",
         .minInputs = 2, .maxInputs = 3,
         .attributes = std::move(transposeAttrs),
         .inferShapes = inferConvTranspose,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
