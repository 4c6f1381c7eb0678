// Down adapters of shape and data-movement ops: inputs back to attributes (Squeeze/Unsqueeze
// axes below 13, Reshape shape below 5, Slice below 10, Split sizes below 13, Pad below 11,
// TopK k below 10), non-negative axes below 11, Split's num_outputs and Pad's axes (below
// 18), Shape's start/end (below 15), and the scatter/gather attributes added later.

#include <algorithm>
#include <limits>

#include "backends/onnx/adapt_steps.h"

namespace kiln::onnx_backend {
namespace {

Outcome axesInputToAttr(AdaptContext& ctx, Node*& node) { return inputToIntsAttr(ctx, node, 1, "axes", 13); }

Outcome reshapeShapeInputToAttr(AdaptContext& ctx, Node*& node) {
  if (!opset::constantInts(node->input(1)))
    return Outcome::blocked(5, "its target shape is computed, and before opset 5 it must be a constant attribute");
  return inputToIntsAttr(ctx, node, 1, "shape", 5);
}

/// Reshape-14 added allowzero. With allowzero=1 a 0 in the shape means a 0-sized dim; when
/// the shape has no 0 the flag changes nothing.
Outcome reshapeDropAllowZero(AdaptContext&, Node*& node) {
  if (opset::rawInt(*node, "allowzero", 0) != 0) {
    auto shape = opset::constantInts(node->input(1));
    if (!shape || std::find(shape->begin(), shape->end(), 0) != shape->end())
      return Outcome::blocked(14, "allowzero=1 with a shape that may hold 0 needs opset 14");
  }
  return node->attributes().erase("allowzero") ? Outcome::changed() : Outcome::kept();
}

/// Shape-15 added start/end; Shape(x, start, end) = Slice(Shape(x), [start], [end]).
Outcome shapeStartEndToSlice(AdaptContext& ctx, Node*& node) {
  const Attribute* start = opset::rawAttr(*node, "start");
  const Attribute* end = opset::rawAttr(*node, "end");
  int64_t s = start ? start->i() : 0;
  if (s == 0 && !end) {
    bool changed = node->attributes().erase("start");
    return changed ? Outcome::changed() : Outcome::kept();
  }
  PendingBuilder b(ctx, node);
  Value* full = b.op("Shape", {node->input(0)}, "full");
  Value* sliced = b.op("Slice", {full, b.int64s({s}, "start"),
                                 b.int64s({end ? end->i() : std::numeric_limits<int64_t>::max()}, "end"),
                                 b.int64s({0}, "axis")},
                       "slice");
  opset::replaceNodeWith(node, {sliced});
  node = nullptr;
  return Outcome::expanded();
}

/// Slice-11 allows negative axes; Slice-10 needs them non-negative.
Outcome sliceNormalizeAxes(AdaptContext& ctx, Node*& node) {
  auto axes = opset::constantInts(node->input(3));
  if (!axes || std::none_of(axes->begin(), axes->end(), [](int64_t a) { return a < 0; })) return Outcome::kept();
  auto rank = opset::knownRank(node->input(0));
  if (!rank) return Outcome::blocked(11, "negative axes need the input rank before opset 11");
  for (int64_t& a : *axes)
    if (a < 0) a += *rank;
  PendingBuilder b(ctx, node);
  ctx.detached.push_back(node->input(3));
  node->setInput(3, b.int64s(*axes, "axes"));
  return Outcome::changed();
}

/// Slice-1 takes starts, ends and axes as attributes and has no steps.
Outcome sliceInputsToAttrs(AdaptContext& ctx, Node*& node) {
  if (Value* steps = node->input(4)) {
    auto values = opset::constantInts(steps);
    if (!values || std::any_of(values->begin(), values->end(), [](int64_t s) { return s != 1; }))
      return Outcome::blocked(10, "steps other than 1 need opset 10");
    node->setInput(4, nullptr);
    ctx.detached.push_back(steps);
  }
  for (size_t i = 1; i <= 3; ++i)
    if (node->input(i) && !opset::constantInts(node->input(i)))
      return Outcome::blocked(10, "computed starts, ends or axes need opset 10");
  for (auto [index, name] : {std::pair{size_t{3}, "axes"}, std::pair{size_t{2}, "ends"}, std::pair{size_t{1}, "starts"}}) {
    Outcome o = inputToIntsAttr(ctx, node, index, name, 10);
    if (o.isBlocked()) return o;
  }
  return Outcome::changed();
}

/// Split-18 added num_outputs, which also allows a shorter last part when the dim does not
/// divide; before, an absent `split` meant equal parts. Known dims that do not divide get
/// explicit sizes.
Outcome splitNumOutputsToSizes(AdaptContext& ctx, Node*& node) {
  const Attribute* n = opset::rawAttr(*node, "num_outputs");
  if (!n) return Outcome::kept();
  int64_t parts = n->i();
  node->attributes().erase("num_outputs");
  if (node->input(1)) return Outcome::changed();
  auto dims = opset::staticDims(node->input(0));
  int64_t axis = opset::rawInt(*node, "axis", 0);
  if (dims && parts > 0) {
    int64_t rank = static_cast<int64_t>(dims->size());
    int64_t dim = (*dims)[static_cast<size_t>(axis < 0 ? axis + rank : axis)];
    if (dim % parts != 0) {
      int64_t chunk = (dim + parts - 1) / parts;
      std::vector<int64_t> sizes(static_cast<size_t>(parts), chunk);
      sizes.back() = dim - chunk * (parts - 1);
      PendingBuilder b(ctx, node);
      setInputAt(node, 1, b.int64s(sizes, "split"));
    }
  }
  return Outcome::changed();
}

Outcome splitInputToAttr(AdaptContext& ctx, Node*& node) { return inputToIntsAttr(ctx, node, 1, "split", 13); }

/// Pad-19 added mode "wrap".
Outcome padNoWrap(AdaptContext&, Node*& node) {
  if (opset::rawString(*node, "mode", "constant") == "wrap") return Outcome::blocked(19, "mode 'wrap' needs opset 19");
  return Outcome::kept();
}

/// Pad-18 added `axes` (pads cover only those dims); before, pads cover every dim.
Outcome padAxesToAllDims(AdaptContext& ctx, Node*& node) {
  Value* axesValue = node->input(3);
  if (!axesValue) return Outcome::kept();
  auto axes = opset::constantInts(axesValue);
  auto pads = opset::constantInts(node->input(1));
  auto rank = opset::knownRank(node->input(0));
  if (!axes || !pads || !rank || pads->size() != 2 * axes->size())
    return Outcome::blocked(18, "'axes' with computed pads or an unknown rank needs opset 18");
  std::vector<int64_t> full(static_cast<size_t>(2 * *rank), 0);
  for (size_t i = 0; i < axes->size(); ++i) {
    int64_t a = (*axes)[i] < 0 ? (*axes)[i] + *rank : (*axes)[i];
    full[static_cast<size_t>(a)] = (*pads)[i];
    full[static_cast<size_t>(a + *rank)] = (*pads)[i + axes->size()];
  }
  PendingBuilder b(ctx, node);
  ctx.detached.push_back(node->input(1));
  ctx.detached.push_back(axesValue);
  node->setInput(1, b.int64s(full, "pads"));
  node->setInput(3, nullptr);
  trimTrailingNulls(node);
  return Outcome::changed();
}

/// Pad-2 takes pads (ints) and the fill value (float) as attributes.
Outcome padInputsToAttrs(AdaptContext& ctx, Node*& node) {
  if (!opset::constantInts(node->input(1)))
    return Outcome::blocked(11, "computed pads need opset 11");
  if (Value* v = node->input(2)) {
    Value* source = v;
    if (v->producer() && (v->producer()->opType() == "CastLike" || v->producer()->opType() == "Cast"))
      source = v->producer()->input(0);
    auto value = opset::constantDoubles(source);
    if (!value || value->size() > 1) return Outcome::blocked(11, "a computed constant_value needs opset 11");
    node->setAttr("value", Attribute(static_cast<float>(value->empty() ? 0.0 : (*value)[0])));
    node->setInput(2, nullptr);
    ctx.detached.push_back(v);
  }
  return inputToIntsAttr(ctx, node, 1, "pads", 11);
}

/// Pad-1 called the pads attribute `paddings`.
Outcome padRenameToPaddings(AdaptContext&, Node*& node) {
  const Attribute* a = opset::rawAttr(*node, "pads");
  if (!a) return Outcome::kept();
  Attribute copy = *a;
  node->attributes().erase("pads");
  node->setAttr("paddings", std::move(copy));
  return Outcome::changed();
}

/// Tile-1 repeats along one axis given as scalar inputs; Tile-6 takes a count per dim.
Outcome tileRepeatsToAxis(AdaptContext& ctx, Node*& node) {
  auto repeats = opset::constantInts(node->input(1));
  if (!repeats) return Outcome::blocked(6, "computed repeats need opset 6");
  int64_t axis = 0, tiles = 1, others = 0;
  for (size_t i = 0; i < repeats->size(); ++i)
    if ((*repeats)[i] != 1) {
      axis = static_cast<int64_t>(i);
      tiles = (*repeats)[i];
      ++others;
    }
  if (others > 1) return Outcome::blocked(6, "tiling more than one axis needs opset 6");
  PendingBuilder b(ctx, node);
  ctx.detached.push_back(node->input(1));
  node->setInput(1, b.constant(opset::int64Tensor({tiles}, true), "tiles"));
  setInputAt(node, 2, b.constant(opset::int64Tensor({axis}, true), "axis"));
  return Outcome::changed();
}

/// TopK-11 added largest (1) and sorted (1) and negative axes. Sorted results are a valid
/// answer for sorted=0, so only largest=0 needs opset 11.
Outcome topkLargestSortedAxis(AdaptContext& ctx, Node*& node) {
  if (opset::rawInt(*node, "largest", 1) != 1) return Outcome::blocked(11, "largest=0 needs opset 11");
  bool changed = node->attributes().erase("largest");
  changed = node->attributes().erase("sorted") || changed;
  Outcome o = normalizeNegativeAxes("axis", 11)(ctx, node);
  if (o.isBlocked()) return o;
  return changed || o.kind == Outcome::Kind::Changed ? Outcome::changed() : Outcome::kept();
}

/// TopK-1 takes k as an int attribute.
Outcome topkInputToAttr(AdaptContext& ctx, Node*& node) {
  auto k = opset::constantInts(node->input(1));
  if (!k || k->size() != 1) return Outcome::blocked(10, "a computed k needs opset 10");
  node->setAttr("k", Attribute((*k)[0]));
  ctx.detached.push_back(node->input(1));
  node->truncateInputs(1);
  return Outcome::changed();
}

/// ScatterElements-18 and ScatterND-18 added reductions "max" and "min".
Outcome reductionNoMaxMin(AdaptContext&, Node*& node) {
  std::string r = opset::rawString(*node, "reduction", "none");
  if (r == "max" || r == "min") return Outcome::blocked(18, "reduction '" + r + "' needs opset 18");
  return Outcome::kept();
}

/// Scatter-9 is ScatterElements-11 under its old name.
Outcome scatterElementsToScatter(AdaptContext&, Node*& node) {
  node = opset::rebuildNode(node, "Scatter", node->inputs(), node->numOutputs());
  return Outcome::changed();
}

/// Trilu keeps the upper (or lower) triangle of the last two dims from diagonal k. With those
/// dims and k known, that is Where(mask, x, 0) with a constant mask.
Outcome triluExpansion(AdaptContext& ctx, Node*& node) {
  Value* x = node->input(0);
  std::vector<Dim> dims;
  if (x && x->type().isTensor() && x->shape().isRanked()) dims = x->shape().dims();
  std::vector<int64_t> k = {0};
  if (node->input(1)) {
    auto kv = opset::constantInts(node->input(1));
    if (!kv || kv->size() != 1) return Outcome::blocked(14, "a computed k needs opset 14");
    k = *kv;
  }
  DType dtype = opset::knownDType(x);
  if (dims.size() < 2 || !dims[dims.size() - 2].isStatic() || !dims.back().isStatic() || dtype == DType::Undefined)
    return Outcome::blocked(14, "its expansion needs the last two dims and the element type");
  int64_t rows = dims[dims.size() - 2].value(), cols = dims.back().value();
  bool upper = opset::rawInt(*node, "upper", 1) != 0;
  std::vector<double> mask;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) mask.push_back(upper ? (j - i >= k[0]) : (j - i <= k[0]));
  double zero = 0;
  auto zeroTensor = opset::numericTensor(dtype, {}, std::span<const double>(&zero, 1));
  if (!zeroTensor) return Outcome::blocked(14, "its element type has no zero constant");
  PendingBuilder b(ctx, node);
  Value* maskValue = b.constant(*opset::numericTensor(DType::Bool, {rows, cols}, mask), "mask");
  Value* y = b.op("Where", {maskValue, x, b.constant(std::move(*zeroTensor), "zero")}, "trilu");
  opset::replaceNodeWith(node, {y});
  node = nullptr;
  return Outcome::expanded();
}

}  // namespace

void addShapeAdapters(AdaptTables& t) {
  for (const char* op : {"Squeeze", "Unsqueeze"}) t.steps.push_back({op, 13, "axesInputToAttr", axesInputToAttr});
  t.steps.push_back({"Squeeze", 11, "normalizeNegativeAxes", normalizeNegativeAxes("axes", 11)});
  t.steps.push_back({"Unsqueeze", 11, "normalizeNegativeAxes", normalizeNegativeAxes("axes", 11, true)});
  t.steps.push_back({"Reshape", 14, "reshapeDropAllowZero", reshapeDropAllowZero});
  t.steps.push_back({"Reshape", 5, "reshapeShapeInputToAttr", reshapeShapeInputToAttr});
  t.steps.push_back({"Shape", 15, "shapeStartEndToSlice", shapeStartEndToSlice});
  t.steps.push_back({"Slice", 11, "sliceNormalizeAxes", sliceNormalizeAxes});
  t.steps.push_back({"Slice", 10, "sliceInputsToAttrs", sliceInputsToAttrs});
  t.steps.push_back({"Split", 18, "splitNumOutputsToSizes", splitNumOutputsToSizes});
  t.steps.push_back({"Split", 13, "splitInputToAttr", splitInputToAttr});
  t.steps.push_back({"Split", 11, "normalizeNegativeAxes", normalizeNegativeAxes("axis", 11)});
  t.steps.push_back({"Pad", 19, "padNoWrap", padNoWrap});
  t.steps.push_back({"Pad", 18, "padAxesToAllDims", padAxesToAllDims});
  t.steps.push_back({"Pad", 11, "padInputsToAttrs", padInputsToAttrs});
  t.steps.push_back({"Pad", 2, "padRenameToPaddings", padRenameToPaddings});
  t.steps.push_back({"Concat", 11, "normalizeNegativeAxes", normalizeNegativeAxes("axis", 11)});
  t.steps.push_back({"Flatten", 11, "normalizeNegativeAxes", normalizeNegativeAxes("axis", 11)});
  t.steps.push_back({"Compress", 11, "normalizeNegativeAxes", normalizeNegativeAxes("axis", 11)});
  t.steps.push_back({"Tile", 6, "tileRepeatsToAxis", tileRepeatsToAxis});
  t.steps.push_back({"TopK", 11, "topkLargestSortedAxis", topkLargestSortedAxis});
  t.steps.push_back({"TopK", 10, "topkInputToAttr", topkInputToAttr});
  for (const char* op : {"ScatterElements", "ScatterND"}) {
    t.steps.push_back({op, 18, "reductionNoMaxMin", reductionNoMaxMin});
    t.steps.push_back({op, 16, "dropAttrIfDefault(reduction)", dropAttrIfDefault("reduction", Attribute("none"), 16)});
  }
  t.steps.push_back({"GatherND", 12, "dropAttrIfDefault(batch_dims)", dropAttrIfDefault("batch_dims", Attribute(int64_t{0}), 12)});
  t.steps.push_back({"DepthToSpace", 11, "dropAttrIfDefault(mode)", dropAttrIfDefault("mode", Attribute("DCR"), 11)});
  t.expansions.push_back({"ScatterElements", "scatterElementsToScatter", 9, scatterElementsToScatter, 9});
  t.expansions.push_back({"Trilu", "triluExpansion", 9, triluExpansion});
}

}  // namespace kiln::onnx_backend
