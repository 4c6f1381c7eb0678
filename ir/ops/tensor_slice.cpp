// Ops that join, cut or grow tensors along axes: Concat, Split, Slice, Tile, Pad, and Trilu.

#include <algorithm>
#include <limits>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// Two dims that must be equal at run time: the more specific one, or nullopt when both are
/// static and differ.
std::optional<Dim> unifyDims(const Dim& a, const Dim& b) {
  if (a.isStatic() && b.isStatic()) return a.value() == b.value() ? std::optional<Dim>(a) : std::nullopt;
  if (a.isStatic() || b.isUnknown()) return a;
  if (b.isStatic() || a.isUnknown()) return b;
  return a;  // two symbolic sizes the model asserts equal: either names the size
}

// ---- Concat -------------------------------------------------------------------------------

Status inferConcat(InferenceContext& ctx) {
  std::vector<Shape> shapes;
  DType dtype = DType::Undefined;
  std::optional<size_t> rank;
  bool allRanked = true;
  for (size_t i = 0; i < ctx.numInputs(); ++i) {
    shapes.push_back(shapeOf(ctx.inputType(i)));
    if (dtype == DType::Undefined) dtype = inputDtype(ctx, i);
    if (!shapes.back().isRanked()) {
      allRanked = false;
      continue;
    }
    if (rank && *rank != shapes.back().rank())
      return ctx.error("input ranks differ (" + std::to_string(*rank) + " vs " +
                       std::to_string(shapes.back().rank()) + ")");
    rank = shapes.back().rank();
  }
  if (!rank) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  int64_t axisAttr = ctx.node().intAttr("axis", 0);
  auto axis = normalizeAxis(axisAttr, static_cast<int64_t>(*rank));
  if (!axis)
    return ctx.error("axis " + std::to_string(axisAttr) + " is out of range for rank " + std::to_string(*rank));
  std::vector<Dim> out(*rank);
  bool first = true;
  for (const Shape& s : shapes) {
    if (!s.isRanked()) continue;
    for (size_t d = 0; d < *rank; ++d) {
      if (first) {
        out[d] = s[d];
      } else if (static_cast<int64_t>(d) == *axis) {
        out[d] = out[d] + s[d];
      } else if (auto u = unifyDims(out[d], s[d])) {
        out[d] = *u;
      } else {
        return ctx.error("inputs differ in dim " + std::to_string(d) + " (" + out[d].str() + " vs " +
                         s[d].str() + ")");
      }
    }
    first = false;
  }
  if (!allRanked) out[*axis] = Dim();
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));

  // Concatenated shape tensors keep their contents: Concat(Unsqueeze(batch), [-1, 768]).
  if (*rank == 1) {
    std::vector<Dim> value;
    for (size_t i = 0; i < ctx.numInputs(); ++i) {
      auto v = inputShapeValue(ctx, i);
      if (!v) return Status::ok();
      value.insert(value.end(), v->begin(), v->end());
    }
    setOutputShapeValue(ctx, 0, std::move(value));
  }
  return Status::ok();
}

// ---- Split --------------------------------------------------------------------------------

Status inferSplit(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  size_t outputs = ctx.node().numOutputs();
  auto setAll = [&](const std::vector<Dim>& sizes, size_t axis) {
    for (size_t i = 0; i < outputs; ++i) {
      std::vector<Dim> dims = x.dims();
      dims[axis] = i < sizes.size() ? sizes[i] : Dim();
      ctx.setOutputType(i, Type::tensor(dtype, Shape(std::move(dims))));
    }
  };
  if (!x.isRanked()) {
    for (size_t i = 0; i < outputs; ++i) ctx.setOutputType(i, Type::tensor(dtype));
    return Status::ok();
  }
  int64_t axisAttr = ctx.node().intAttr("axis", 0);
  auto axis = normalizeAxis(axisAttr, static_cast<int64_t>(x.rank()));
  if (!axis) return ctx.error("axis " + std::to_string(axisAttr) + " is out of range for rank " + x.str());
  const Dim& d = x[*axis];

  if (ctx.hasInput(1)) {
    auto split = inputShapeValue(ctx, 1);
    if (!split) {
      setAll({}, *axis);
      return Status::ok();
    }
    if (split->size() != outputs)
      return ctx.error("split has " + std::to_string(split->size()) + " sizes for " + std::to_string(outputs) + " outputs");
    Dim total(0);
    for (const Dim& s : *split) total = total + s;
    if (total.isStatic() && d.isStatic() && total.value() != d.value())
      return ctx.error("split sizes sum to " + total.str() + " but the axis has size " + d.str());
    setAll(*split, *axis);
    return Status::ok();
  }
  // Equal parts; with num_outputs the last part may be smaller (v18).
  bool hasNumOutputs = ctx.node().attr("num_outputs") != nullptr;
  auto n = static_cast<int64_t>(outputs);
  if (hasNumOutputs && ctx.node().intAttr("num_outputs", n) != n)
    return ctx.error("num_outputs is " + std::to_string(ctx.node().intAttr("num_outputs", n)) + " but the node has " +
                     std::to_string(n) + " outputs");
  std::vector<Dim> sizes;
  if (n > 0 && d.isStatic()) {
    if (d.value() % n != 0 && !hasNumOutputs)
      return ctx.error("axis size " + d.str() + " does not split evenly into " + std::to_string(n) + " outputs");
    int64_t chunk = (d.value() + n - 1) / n;
    for (int64_t i = 0; i < n; ++i) sizes.push_back(Dim(std::clamp(d.value() - i * chunk, int64_t{0}, chunk)));
  } else if (n > 0) {
    sizes.assign(static_cast<size_t>(n), exactDiv(d, Dim(n)));
  }
  setAll(sizes, *axis);
  return Status::ok();
}

// ---- Slice --------------------------------------------------------------------------------

/// Indices at or beyond this magnitude mean "to the end" (exporters write INT64_MAX, or
/// INT32_MAX when they think in 32 bits).
constexpr int64_t kSliceInfinity = std::numeric_limits<int32_t>::max();

/// The length of slicing a dim of size `d` with [start, end) and `step`, following ONNX's
/// clamping. With a symbolic size, symbolic indices and a static start are taken to be in
/// range (what exporters emit: `x[:, 1:]` has `sequence-1` elements); a static end is not,
/// since it often truncates (`x[:, :512]`), so that gives `?`.
Dim sliceLength(const Dim& d, const Dim& start, const Dim& end, int64_t step) {
  auto isPlusInf = [](const Dim& i) { return i.isStatic() && i.value() >= kSliceInfinity; };
  auto isMinusInf = [](const Dim& i) { return i.isStatic() && i.value() <= -kSliceInfinity; };
  if (d.isStatic() && start.isStatic() && end.isStatic()) {
    int64_t n = d.value();
    if (n <= 0) return Dim(0);
    int64_t s = start.value() < 0 ? std::max<int64_t>(start.value(), -kSliceInfinity) + n : start.value();
    int64_t e = end.value() < 0 ? std::max<int64_t>(end.value(), -kSliceInfinity) + n : end.value();
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, n);
      e = std::clamp<int64_t>(e, 0, n);
      return Dim(e > s ? (e - s + step - 1) / step : 0);
    }
    s = std::clamp<int64_t>(s, 0, n - 1);
    e = std::clamp<int64_t>(e, -1, n - 1);
    return Dim(s > e ? (s - e - step - 1) / -step : 0);
  }
  if (d.isUnknown() || start.isUnknown() || end.isUnknown()) return Dim();
  // Resolves an index against the symbolic size; unknown where it cannot be done safely.
  auto resolve = [&](const Dim& i, bool isEnd) -> Dim {
    if (d.provablyEqual(i)) return d;
    if (!i.isStatic()) return i;
    if (isPlusInf(i)) return step > 0 ? d : d - Dim(1);
    if (isMinusInf(i)) return step > 0 ? Dim(0) : Dim(-1);
    if (i.value() < 0) return d + i;
    if (d.isStatic()) return Dim(std::min(i.value(), step > 0 ? d.value() : d.value() - 1));
    return isEnd == (step > 0) ? Dim() : i;
  };
  Dim s = resolve(start, false);
  Dim e = resolve(end, true);
  Dim len = step > 0 ? ceilDiv(e - s, step) : ceilDiv(s - e, -step);
  if (len.isStatic() && len.value() < 0) return Dim(0);
  return len;
}

Status inferSlice(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  if (!x.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  auto rank = static_cast<int64_t>(x.rank());
  auto starts = inputShapeValue(ctx, 1);
  auto ends = inputShapeValue(ctx, 2);
  std::optional<std::vector<int64_t>> axes;
  if (ctx.hasInput(3)) {
    axes = ctx.constantInts(3);
  } else {
    // Without an axes input the first len(starts) axes are sliced.
    std::optional<size_t> count;
    if (starts || ends) count = starts ? starts->size() : ends->size();
    const Shape startsShape = shapeOf(ctx.inputType(1));
    if (!count && startsShape.isRanked() && startsShape.rank() == 1 && startsShape[0].isStatic())
      count = static_cast<size_t>(startsShape[0].value());
    if (count) {
      axes.emplace();
      for (size_t i = 0; i < *count; ++i) axes->push_back(static_cast<int64_t>(i));
    }
  }
  std::optional<std::vector<int64_t>> steps;
  if (ctx.hasInput(4)) steps = ctx.constantInts(4);
  else if (axes) steps = std::vector<int64_t>(axes->size(), 1);

  if (axes) {
    auto normalized = normalizeAxes(*axes, rank);
    if (!normalized) return atNode(ctx, normalized.takeStatus());
    axes = normalized.take();
  }
  std::vector<Dim> out = x.dims();
  if (!axes) {
    ctx.setOutputType(0, unknownDimsTensor(dtype, x.rank()));
    return Status::ok();
  }
  for (const auto* v : {starts ? &*starts : nullptr, ends ? &*ends : nullptr})
    if (v && v->size() != axes->size())
      return ctx.error("starts, ends and axes have different lengths");
  if (steps && steps->size() != axes->size()) return ctx.error("steps and axes have different lengths");
  for (size_t k = 0; k < axes->size(); ++k) {
    size_t a = static_cast<size_t>((*axes)[k]);
    if (steps && (*steps)[k] == 0) return ctx.error("slice step must not be 0");
    if (!starts || !ends || !steps) {
      out[a] = Dim();
      continue;
    }
    out[a] = sliceLength(x[a], (*starts)[k], (*ends)[k], (*steps)[k]);
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape(out)));

  // A slice of a tracked shape tensor (`Shape(x)[2:]`) keeps the sliced contents.
  auto value = inputShapeValue(ctx, 0);
  if (value && rank == 1 && starts && ends && steps && axes->size() == 1 && out[0].isStatic() &&
      (*starts)[0].isStatic() && (*steps)[0] > 0) {
    int64_t n = static_cast<int64_t>(value->size());
    int64_t s = (*starts)[0].value();
    s = std::clamp<int64_t>(s < 0 ? s + n : s, 0, n);
    std::vector<Dim> sliced;
    for (int64_t i = 0; i < out[0].value(); ++i) {
      int64_t k = s + i * (*steps)[0];
      if (k >= n) return Status::ok();  // the tracked contents disagree with the type: track nothing
      sliced.push_back((*value)[static_cast<size_t>(k)]);
    }
    setOutputShapeValue(ctx, 0, std::move(sliced));
  }
  return Status::ok();
}

// ---- Tile, Pad ----------------------------------------------------------------------------

Status inferTile(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  if (!x.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  auto repeats = inputShapeValue(ctx, 1);
  if (!repeats) {
    ctx.setOutputType(0, unknownDimsTensor(dtype, x.rank()));
    return Status::ok();
  }
  if (repeats->size() != x.rank())
    return ctx.error("repeats has " + std::to_string(repeats->size()) + " entries for rank " + std::to_string(x.rank()));
  std::vector<Dim> out;
  for (size_t i = 0; i < x.rank(); ++i) out.push_back(x[i] * (*repeats)[i]);
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

Status inferPad(InferenceContext& ctx) {
  DType dtype = inputDtype(ctx, 0);
  const Shape x = shapeOf(ctx.inputType(0));
  if (!x.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  auto rank = static_cast<int64_t>(x.rank());
  std::optional<std::vector<int64_t>> axes;
  if (ctx.hasInput(3)) {
    axes = ctx.constantInts(3);
  } else {
    axes.emplace();
    for (int64_t i = 0; i < rank; ++i) axes->push_back(i);
  }
  if (axes) {
    auto normalized = normalizeAxes(*axes, rank);
    if (!normalized) return atNode(ctx, normalized.takeStatus());
    axes = normalized.take();
  }
  auto pads = inputShapeValue(ctx, 1);
  std::vector<Dim> out = x.dims();
  if (!axes) {
    ctx.setOutputType(0, unknownDimsTensor(dtype, x.rank()));
    return Status::ok();
  }
  if (pads && pads->size() != 2 * axes->size())
    return ctx.error("pads has " + std::to_string(pads->size()) + " values for " + std::to_string(axes->size()) + " axes");
  for (size_t k = 0; k < axes->size(); ++k) {
    size_t a = static_cast<size_t>((*axes)[k]);
    out[a] = pads ? out[a] + (*pads)[k] + (*pads)[k + axes->size()] : Dim();
    if (out[a].isStatic() && out[a].value() < 0)
      return ctx.error("pads leave axis " + std::to_string(a) + " with negative size " + out[a].str());
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

}  // namespace

void registerTensorSliceOps(OpRegistry& r) {
  r.add({.domain = "", .name = "Concat", .sinceVersion = 13,
         .summary = "Joins the inputs along an axis.",
         .minInputs = 1, .maxInputs = OpSchema::kVariadic,
         .attributes = {attrRequired("axis", AttrKind::Int)},
         .inferShapes = inferConcat,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Split", .sinceVersion = 18,
         .summary = "Cuts the input along an axis, by the optional split sizes or into equal parts.",
         .minInputs = 1, .maxInputs = 2, .minOutputs = 1, .maxOutputs = OpSchema::kVariadic,
         .attributes = {attrInt("axis", 0), attrOptional("num_outputs", AttrKind::Int)},
         .inferShapes = inferSplit,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Slice", .sinceVersion = 13,
         .summary = "Strided slice by starts, ends and the optional axes and steps inputs.",
         .minInputs = 3, .maxInputs = 5,
         .inferShapes = inferSlice,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Tile", .sinceVersion = 13,
         .summary = "Repeats the input along each axis as often as repeats says.",
         .minInputs = 2, .maxInputs = 2,
         .inferShapes = inferTile,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Pad", .sinceVersion = 21,
         .summary = "Pads (or crops, with negative pads) the given axes: constant, reflect, edge or wrap.",
         .minInputs = 2, .maxInputs = 4,
         .attributes = {attrString("mode", "constant")},
         .inferShapes = inferPad,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Trilu", .sinceVersion = 14,
         .summary = "Keeps the upper (or lower) triangle of the last two axes, offset by the optional k.",
         .minInputs = 1, .maxInputs = 2,
         .attributes = {attrInt("upper", 1)},
         .inferShapes = inferSameAsInput,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
