// Pooling: MaxPool and AveragePool over sliding windows, and the global pools.

#include <tuple>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

Status inferPool(InferenceContext& ctx) {
  const Type& in = ctx.inputType(0);
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(in);
  if (!x.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    ctx.setOutputType(1, Type::tensor(DType::Int64));
    return Status::ok();
  }
  if (x.rank() < 3) return ctx.error("input must have rank >= 3, got " + x.str());
  size_t spatial = x.rank() - 2;
  const Node& node = ctx.node();
  auto kernel = node.intsAttr("kernel_shape");
  auto strides = node.intsAttr("strides", std::vector<int64_t>(spatial, 1));
  auto dilations = node.intsAttr("dilations", std::vector<int64_t>(spatial, 1));
  auto pads = node.intsAttr("pads", std::vector<int64_t>(2 * spatial, 0));
  std::string autoPad = node.stringAttr("auto_pad", "NOTSET");
  bool ceilMode = node.intAttr("ceil_mode", 0) != 0;
  for (auto [name, size, want] : {std::tuple{"kernel_shape", kernel.size(), spatial},
                                  std::tuple{"strides", strides.size(), spatial},
                                  std::tuple{"dilations", dilations.size(), spatial},
                                  std::tuple{"pads", pads.size(), 2 * spatial}})
    if (size != want)
      return ctx.error(std::string(name) + " has " + std::to_string(size) + " values for " +
                       std::to_string(spatial) + " spatial axes");
  if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER" && autoPad != "VALID")
    return ctx.error("unknown auto_pad '" + autoPad + "'");

  std::vector<Dim> out = {x[0], x[1]};
  for (size_t i = 0; i < spatial; ++i) {
    out.push_back(windowOutputDim(x[i + 2], kernel[i], strides[i], dilations[i], pads[i], pads[i + spatial],
                                  autoPad, ceilMode));
    if (out.back().isStatic() && out.back().value() < 1)
      return ctx.error("spatial axis " + std::to_string(i) + " of size " + x[i + 2].str() + " gives output size " +
                       out.back().str() + ": the window does not fit");
  }
  Shape shape(std::move(out));
  ctx.setOutputType(0, Type::tensor(dtype, shape));
  ctx.setOutputType(1, Type::tensor(DType::Int64, shape));
  return Status::ok();
}

Status inferGlobalPool(InferenceContext& ctx) {
  const Type& in = ctx.inputType(0);
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(in);
  if (!x.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  if (x.rank() < 2) return ctx.error("input must have rank >= 2, got " + x.str());
  std::vector<Dim> out = {x[0], x[1]};
  out.resize(x.rank(), Dim(1));
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

}  // namespace

void registerPoolOps(OpRegistry& r) {
  r.add({.domain = "", .name = "MaxPool", .sinceVersion = 12,
         .summary = "Maximum over sliding windows; the optional second output holds flat argmax indices.",
         .minInputs = 1, .maxInputs = 1, .minOutputs = 1, .maxOutputs = 2,
         .attributes = {attrString("auto_pad", "NOTSET"), attrInt("ceil_mode", 0),
                        attrOptional("dilations", AttrKind::Ints), attrRequired("kernel_shape", AttrKind::Ints),
                        attrOptional("pads", AttrKind::Ints), attrInt("storage_order", 0),
                        attrOptional("strides", AttrKind::Ints)},
         .inferShapes = inferPool,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "AveragePool", .sinceVersion = 19,
         .summary = "Mean over sliding windows (count_include_pad: whether padding counts).",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrString("auto_pad", "NOTSET"), attrInt("ceil_mode", 0), attrInt("count_include_pad", 0),
                        attrOptional("dilations", AttrKind::Ints), attrRequired("kernel_shape", AttrKind::Ints),
                        attrOptional("pads", AttrKind::Ints), attrOptional("strides", AttrKind::Ints)},
         .inferShapes = inferPool,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "LpPool", .sinceVersion = 18,
         .summary = "p-norm over sliding windows: (sum |x|^p)^(1/p).",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrString("auto_pad", "NOTSET"), attrInt("ceil_mode", 0),
                        attrOptional("dilations", AttrKind::Ints), attrRequired("kernel_shape", AttrKind::Ints),
                        attrInt("p", 2), attrOptional("pads", AttrKind::Ints), attrOptional("strides", AttrKind::Ints)},
         .inferShapes = inferPool,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "GlobalAveragePool", .sinceVersion = 1,
         .summary = "Mean over all spatial axes, kept as size 1.",
         .minInputs = 1, .maxInputs = 1,
         .inferShapes = inferGlobalPool,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "GlobalMaxPool", .sinceVersion = 1,
         .summary = "Maximum over all spatial axes, kept as size 1.",
         .minInputs = 1, .maxInputs = 1,
         .inferShapes = inferGlobalPool,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "GlobalLpPool", .sinceVersion = 2,
         .summary = "p-norm over all spatial axes, kept as size 1.",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrInt("p", 2)},
         .inferShapes = inferGlobalPool,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
