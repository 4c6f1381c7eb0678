// Ops that rearrange a tensor without computing on its elements: Reshape, Flatten,
// Transpose, Squeeze, Unsqueeze, Expand, DepthToSpace, SpaceToDepth; and Shape and Size,
// which read only the shape. Concat, Split, Slice, Tile, Pad live in tensor_slice.cpp.

#include <algorithm>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// Reshaping ops of shape tensors keep their tracked contents (`Unsqueeze(Gather(Shape))`).
void forwardShapeValue(InferenceContext& ctx) {
  if (auto v = inputShapeValue(ctx, 0)) setOutputShapeValue(ctx, 0, std::move(*v));
}

Status inferReshape(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  auto target = inputShapeValue(ctx, 1);
  if (!target) {
    auto n = staticLength(ctx, 1);
    ctx.setOutputType(0, n ? unknownDimsTensor(dtype, static_cast<size_t>(*n)) : Type::tensor(dtype));
    return Status::ok();
  }
  auto shape = reshapeShape(shapeOf(ctx.inputType(0)), *target, ctx.node().intAttr("allowzero", 0) != 0);
  if (!shape) return atNode(ctx, shape.takeStatus());
  ctx.setOutputType(0, Type::tensor(dtype, shape.take()));
  forwardShapeValue(ctx);
  return Status::ok();
}

Status inferFlatten(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  if (!x.isRanked()) {
    ctx.setOutputType(0, unknownDimsTensor(dtype, 2));
    return Status::ok();
  }
  auto rank = static_cast<int64_t>(x.rank());
  int64_t axis = ctx.node().intAttr("axis", 1);
  if (axis < -rank || axis > rank)
    return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  Dim outer(1), inner(1);
  for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) = (i < axis ? outer : inner) * x[i];
  ctx.setOutputType(0, Type::tensor(dtype, Shape({outer, inner})));
  forwardShapeValue(ctx);
  return Status::ok();
}

Status inferTranspose(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  std::vector<int64_t> perm = ctx.node().intsAttr("perm");
  if (!x.isRanked()) {
    ctx.setOutputType(0, perm.empty() ? Type::tensor(dtype) : unknownDimsTensor(dtype, perm.size()));
    return Status::ok();
  }
  if (perm.empty())
    for (size_t i = x.rank(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool isPermutation = sorted.size() == x.rank();
  for (size_t i = 0; isPermutation && i < sorted.size(); ++i) isPermutation = sorted[i] == static_cast<int64_t>(i);
  if (!isPermutation)
    return ctx.error("perm " + Shape(std::vector<Dim>(perm.begin(), perm.end())).str() +
                     " is not a permutation of " + std::to_string(x.rank()) + " axes");
  std::vector<Dim> out;
  for (int64_t p : perm) out.push_back(x[static_cast<size_t>(p)]);
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

Status inferSqueeze(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  std::optional<std::vector<int64_t>> axes = std::vector<int64_t>{};
  if (ctx.hasInput(1)) axes = ctx.constantInts(1);
  if (!x.isRanked() || !axes) {
    auto n = ctx.hasInput(1) ? staticLength(ctx, 1) : std::nullopt;
    bool rankKnown = x.isRanked() && n && *n <= static_cast<int64_t>(x.rank());
    ctx.setOutputType(0, rankKnown ? unknownDimsTensor(dtype, x.rank() - *n) : Type::tensor(dtype));
    return Status::ok();
  }
  std::vector<Dim> out;
  if (axes->empty()) {
    // Squeeze every axis of size 1: only decidable when no size is symbolic or unknown.
    for (const Dim& d : x.dims()) {
      if (!d.isStatic()) {
        ctx.setOutputType(0, Type::tensor(dtype));
        return Status::ok();
      }
      if (d.value() != 1) out.push_back(d);
    }
  } else {
    auto normalized = normalizeAxes(*axes, static_cast<int64_t>(x.rank()));
    if (!normalized) return atNode(ctx, normalized.takeStatus());
    for (size_t i = 0; i < x.rank(); ++i) {
      bool squeezed = std::count(normalized->begin(), normalized->end(), static_cast<int64_t>(i)) > 0;
      if (squeezed && x[i].isStatic() && x[i].value() != 1)
        return ctx.error("cannot squeeze axis " + std::to_string(i) + " of size " + x[i].str());
      if (!squeezed) out.push_back(x[i]);
    }
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  forwardShapeValue(ctx);
  return Status::ok();
}

Status inferUnsqueeze(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  auto axes = ctx.constantInts(1);
  if (!x.isRanked() || !axes) {
    auto n = staticLength(ctx, 1);
    ctx.setOutputType(0, x.isRanked() && n ? unknownDimsTensor(dtype, x.rank() + *n) : Type::tensor(dtype));
    return Status::ok();
  }
  auto rank = static_cast<int64_t>(x.rank() + axes->size());
  auto normalized = normalizeAxes(*axes, rank);
  if (!normalized) return atNode(ctx, normalized.takeStatus());
  std::vector<Dim> out;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i) {
    bool inserted = std::count(normalized->begin(), normalized->end(), i) > 0;
    out.push_back(inserted ? Dim(1) : x[next++]);
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  forwardShapeValue(ctx);
  return Status::ok();
}

Status inferExpand(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  auto target = inputShapeValue(ctx, 1);
  if (!target) {
    auto n = staticLength(ctx, 1);
    if (!n) {
      ctx.setOutputType(0, Type::tensor(dtype));
      return Status::ok();
    }
    target = std::vector<Dim>(static_cast<size_t>(*n));
  }
  auto shape = broadcastShapes({x, Shape(*target)});
  if (!shape) return atNode(ctx, shape.takeStatus());
  ctx.setOutputType(0, Type::tensor(dtype, shape.take()));
  return Status::ok();
}

/// DepthToSpace (`toSpace`) and SpaceToDepth: [N,C,H,W] <-> [N,C/b^2,H*b,W*b].
Status inferBlockRearrange(InferenceContext& ctx, bool toSpace) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  if (!x.isRanked()) {
    ctx.setOutputType(0, unknownDimsTensor(dtype, 4));
    return Status::ok();
  }
  if (x.rank() != 4) return ctx.error("input must have rank 4, got " + x.str());
  int64_t b = ctx.node().intAttr("blocksize", 0);
  if (b < 1) return ctx.error("blocksize must be positive, got " + std::to_string(b));
  auto divide = [&](const Dim& d, int64_t by, const char* what) -> Expected<Dim> {
    if (d.isStatic() && d.value() % by != 0)
      return Status::error(std::string(what) + " " + d.str() + " is not a multiple of " + std::to_string(by));
    return exactDiv(d, Dim(by));
  };
  std::vector<Dim> out = {x[0]};
  if (toSpace) {
    auto c = divide(x[1], b * b, "channel count");
    if (!c) return atNode(ctx, c.takeStatus());
    out.insert(out.end(), {*c, x[2] * Dim(b), x[3] * Dim(b)});
  } else {
    auto h = divide(x[2], b, "height");
    if (!h) return atNode(ctx, h.takeStatus());
    auto w = divide(x[3], b, "width");
    if (!w) return atNode(ctx, w.takeStatus());
    out.insert(out.end(), {x[1] * Dim(b * b), *h, *w});
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

Status inferShapeOp(InferenceContext& ctx) {
  const Shape x = shapeOf(ctx.inputType(0));
  if (!x.isRanked()) {
    ctx.setOutputType(0, unknownDimsTensor(DType::Int64, 1));
    return Status::ok();
  }
  auto rank = static_cast<int64_t>(x.rank());
  auto clampIndex = [&](int64_t i) { return std::clamp(i < 0 ? i + rank : i, int64_t{0}, rank); };
  int64_t start = clampIndex(ctx.node().intAttr("start", 0));
  int64_t end = clampIndex(ctx.node().intAttr("end", rank));
  std::vector<Dim> dims;
  for (int64_t i = start; i < end; ++i) dims.push_back(x[static_cast<size_t>(i)]);
  ctx.setOutputType(0, Type::tensor(DType::Int64, Shape({Dim(static_cast<int64_t>(dims.size()))})));
  setOutputShapeValue(ctx, 0, std::move(dims));
  return Status::ok();
}

Status inferSize(InferenceContext& ctx) {
  ctx.setOutputType(0, Type::tensor(DType::Int64, Shape::scalar()));
  setOutputShapeValue(ctx, 0, {shapeOf(ctx.inputType(0)).numElements()});
  return Status::ok();
}

}  // namespace

void registerTensorShapeOps(OpRegistry& r) {
  r.add({.domain = "", .name = "Reshape", .sinceVersion = 21,
         .summary = "Same elements, new shape; 0 copies an input dim (unless allowzero), -1 is inferred.",
         .minInputs = 2, .maxInputs = 2,
         .attributes = {attrInt("allowzero", 0)},
         .inferShapes = inferReshape,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Flatten", .sinceVersion = 21,
         .summary = "Reshapes to 2-D: the axes before `axis`, and the rest.",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrInt("axis", 1)},
         .inferShapes = inferFlatten,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Transpose", .sinceVersion = 21,
         .summary = "Permutes the axes (default: reverses them).",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrOptional("perm", AttrKind::Ints)},
         .inferShapes = inferTranspose,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Squeeze", .sinceVersion = 21,
         .summary = "Removes size-1 axes: those listed in the optional axes input, else all.",
         .minInputs = 1, .maxInputs = 2,
         .inferShapes = inferSqueeze,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Unsqueeze", .sinceVersion = 21,
         .summary = "Inserts size-1 axes at the positions of the axes input (in the output).",
         .minInputs = 2, .maxInputs = 2,
         .inferShapes = inferUnsqueeze,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Expand", .sinceVersion = 13,
         .summary = "Broadcasts the input to (the broadcast of) the given shape.",
         .minInputs = 2, .maxInputs = 2,
         .inferShapes = inferExpand,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "DepthToSpace", .sinceVersion = 13,
         .summary = "Moves channel blocks into spatial blocks (DCR or CRD order).",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrRequired("blocksize", AttrKind::Int), attrString("mode", "DCR")},
         .inferShapes = [](InferenceContext& ctx) { return inferBlockRearrange(ctx, true); },
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "SpaceToDepth", .sinceVersion = 13,
         .summary = "Moves spatial blocks into channels.",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrRequired("blocksize", AttrKind::Int)},
         .inferShapes = [](InferenceContext& ctx) { return inferBlockRearrange(ctx, false); },
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Shape", .sinceVersion = 21,
         .summary = "The input's dims [start, end) as a 1-D int64 tensor.",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrOptional("end", AttrKind::Int), attrInt("start", 0)},
         .inferShapes = inferShapeOp,
         .traits = OpTrait::Pure | OpTrait::ShapeOnly});
  r.add({.domain = "", .name = "Size", .sinceVersion = 21,
         .summary = "The input's element count as an int64 scalar.",
         .minInputs = 1, .maxInputs = 1,
         .inferShapes = inferSize,
         .traits = OpTrait::Pure | OpTrait::ShapeOnly});
}

}  // namespace kiln
