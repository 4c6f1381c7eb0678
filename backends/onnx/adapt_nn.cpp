// Down adapters of neural-network ops: Softmax-family single-axis semantics back to the 2-D
// coercion (below 13), Dropout's inputs and flags, pooling and recurrent attributes added
// later, RoiAlign's coordinate mode, quantization axes, DFT's axis input, GridSample's mode
// names, and Scan's batch axis.

#include <algorithm>
#include <numeric>

#include "backends/onnx/adapt_steps.h"

namespace kiln::onnx_backend {
namespace {

/// Before opset 13 Softmax/LogSoftmax/Hardmax flatten to 2-D at `axis` (default 1) and
/// normalize each row, which is the single-axis op when `axis` is the last dim. Another axis
/// is moved last and back (a swap is its own inverse):
///   y = Transpose(Softmax(Transpose(x, swap), axis = rank-1), swap)
Outcome softmaxAxisToCoerced(AdaptContext& ctx, Node*& node) {
  int64_t axis = opset::rawInt(*node, "axis", -1);
  Value* x = node->input(0);
  auto rank = opset::knownRank(x);
  if (!rank) {
    if (axis != -1) return Outcome::blocked(13, "axis " + std::to_string(axis) + " of an input of unknown rank needs opset 13");
    node->setAttr("axis", Attribute(axis));
    return Outcome::changed();
  }
  int64_t a = axis < 0 ? axis + *rank : axis;
  if (a == *rank - 1 || *rank == 0) {
    node->setAttr("axis", Attribute(axis));
    return Outcome::changed();
  }
  std::vector<int64_t> perm(static_cast<size_t>(*rank));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[static_cast<size_t>(a)], perm.back());
  PendingBuilder b(ctx, node);
  Node* in = b.node("Transpose", {x}, "to_last");
  in->setAttr("perm", Attribute(perm));
  if (x->type().isTensor() && x->shape().isRanked()) {
    std::vector<Dim> permuted;
    for (int64_t p : perm) permuted.push_back(x->shape()[static_cast<size_t>(p)]);
    in->output(0)->setType(Type::tensor(x->dtype(), Shape(permuted)));
  }
  Node* inner = b.node(node->opType(), {in->output(0)}, "last_axis");
  inner->setAttr("axis", Attribute(*rank - 1));
  inner->output(0)->setType(in->output(0)->type());
  Node* out = b.node("Transpose", {inner->output(0)}, "from_last");
  out->setAttr("perm", Attribute(perm));
  opset::replaceNodeWith(node, {out->output(0)});
  node = nullptr;
  return Outcome::expanded();
}

/// Dropout-10 takes ratio as an attribute and has no training_mode: it is the identity.
Outcome dropoutInputsToAttrs(AdaptContext& ctx, Node*& node) {
  bool changed = node->attributes().erase("seed");
  if (Value* training = node->input(2)) {
    auto flag = opset::constantDoubles(training);
    if (!flag || flag->size() != 1 || (*flag)[0] != 0)
      return Outcome::blocked(12, "training_mode that is not constant false needs opset 12");
    node->setInput(2, nullptr);
    ctx.detached.push_back(training);
    changed = true;
  }
  if (Value* ratio = node->input(1)) {
    auto r = opset::constantDoubles(ratio);
    if (!r || r->size() != 1) return Outcome::blocked(12, "a computed ratio needs opset 12");
    node->setAttr("ratio", Attribute(static_cast<float>((*r)[0])));
    node->setInput(1, nullptr);
    ctx.detached.push_back(ratio);
    changed = true;
  }
  trimTrailingNulls(node);
  return changed ? Outcome::changed() : Outcome::kept();
}

/// Dropout-7 returns its mask in the data type; users of the canonical bool mask get a Cast.
Outcome dropoutMaskInDataType(AdaptContext& ctx, Node*& node) {
  Value* mask = node->output(1);
  if (opset::unused(mask)) return Outcome::kept();
  std::vector<Use> uses = mask->uses();
  PendingBuilder b(ctx, node);
  Node* cast = b.node("Cast", {mask}, "mask_bool");
  cast->setAttr("to", Attribute(static_cast<int64_t>(dtypeToOnnx(DType::Bool))));
  node->graph()->moveBefore(cast, node->next());
  for (const Use& u : uses) {
    if (u.isGraphOutput()) u.graph->setOutput(u.index, cast->output(0));
    else u.user->setInput(u.index, cast->output(0));
  }
  std::string maskName = mask->name();
  mask->setName(cast->output(0)->name());
  cast->output(0)->setName(maskName);
  return Outcome::changed();
}

/// Before opset 7 Dropout applied itself unless is_test=1.
Outcome dropoutSetIsTest(AdaptContext&, Node*& node) {
  node->setAttr("is_test", Attribute(int64_t{1}));
  return Outcome::changed();
}

/// An ints attribute that later opsets added with all-ones as the default (dilations).
AdaptFn dropIfAllOnes(std::string name, int version) {
  return [name, version](AdaptContext&, Node*& node) {
    auto values = opset::rawInts(*node, name);
    if (!values) return Outcome::kept();
    if (std::any_of(values->begin(), values->end(), [](int64_t v) { return v != 1; }))
      return Outcome::blocked(version, "'" + name + "' other than 1 needs opset " + std::to_string(version));
    node->attributes().erase(name);
    return Outcome::changed();
  };
}

/// Pools got ceil_mode at opset 10. With explicit pads and known spatial dims, rounding up is
/// the same as rounding down over an input padded further at the end: the extra pad reaches
/// the end of the last window, and padding never enters a max (nor an average that excludes
/// pads). Per spatial dim, with effective kernel e = (k-1)*d + 1:
///   out = ceil((in + pb + pe - e) / s) + 1,  pe' = pe + (out-1)*s + e - (in + pb + pe)
/// Only when the last window starts inside the input (or its begin pad), where ONNX Runtime's
/// and PyTorch's ceil conventions agree.
Outcome poolCeilModeToPads(AdaptContext&, Node*& node) {
  if (opset::rawInt(*node, "ceil_mode", 0) == 0) return node->attributes().erase("ceil_mode") ? Outcome::changed() : Outcome::kept();
  auto blocked = [] { return Outcome::blocked(10, "ceil_mode=1 without explicit pads and known spatial dims needs opset 10"); };
  if (node->opType() == "AveragePool" && opset::rawInt(*node, "count_include_pad", 0) != 0) return blocked();
  if (opset::rawString(*node, "auto_pad", "NOTSET") != "NOTSET") return blocked();
  auto kernel = opset::rawInts(*node, "kernel_shape");
  Value* x = node->input(0);
  if (!kernel || !x || !x->type().isTensor() || !x->shape().isRanked() || x->shape().rank() != kernel->size() + 2)
    return blocked();
  size_t n = kernel->size();
  auto strides = opset::rawInts(*node, "strides").value_or(std::vector<int64_t>(n, 1));
  auto dilations = opset::rawInts(*node, "dilations").value_or(std::vector<int64_t>(n, 1));
  auto pads = opset::rawInts(*node, "pads").value_or(std::vector<int64_t>(2 * n, 0));
  if (strides.size() != n || dilations.size() != n || pads.size() != 2 * n) return blocked();
  for (size_t i = 0; i < n; ++i) {
    const Dim& d = x->shape()[i + 2];
    if (!d.isStatic()) return blocked();
    int64_t in = d.value(), e = ((*kernel)[i] - 1) * dilations[i] + 1, span = in + pads[i] + pads[i + n] - e;
    if (span < 0) return blocked();
    int64_t out = (span + strides[i] - 1) / strides[i] + 1;
    if ((out - 1) * strides[i] >= in + pads[i]) return blocked();
    pads[i + n] += (out - 1) * strides[i] + e - (in + pads[i] + pads[i + n]);
  }
  node->setAttr("pads", Attribute(pads));
  node->attributes().erase("ceil_mode");
  return Outcome::changed();
}

/// MaxPool-8 added the Indices output and storage_order.
Outcome maxPoolNoIndices(AdaptContext& ctx, Node*& node) {
  Outcome o = dropAttrIfDefault("storage_order", Attribute(int64_t{0}), 8)(ctx, node);
  if (o.isBlocked()) return o;
  if (node->numOutputs() > 1) {
    if (!opset::unused(node->output(1))) return Outcome::blocked(8, "the Indices output needs opset 8");
    node = opset::rebuildNode(node, node->opType(), node->inputs(), 1);
    return Outcome::changed();
  }
  return o;
}

/// LpPool-1 and GlobalLpPool-1 take p as a float.
Outcome lpPoolFloatP(AdaptContext&, Node*& node) {
  const Attribute* a = opset::rawAttr(*node, "p");
  if (!a || a->kind() != AttrKind::Int) return Outcome::kept();
  node->setAttr("p", Attribute(static_cast<float>(a->i())));
  return Outcome::changed();
}

/// RoiAlign-10 always used "output_half_pixel"; RoiAlign-16's default is "half_pixel".
Outcome roiAlignOutputHalfPixel(AdaptContext&, Node*& node) {
  if (opset::rawString(*node, "coordinate_transformation_mode", "half_pixel") != "output_half_pixel")
    return Outcome::blocked(16, "coordinate_transformation_mode 'half_pixel' needs opset 16");
  node->attributes().erase("coordinate_transformation_mode");
  return Outcome::changed();
}

/// QuantizeLinear/DequantizeLinear-13 added per-axis scales; before, the scale is a scalar.
Outcome quantPerTensorOnly(AdaptContext&, Node*& node) {
  auto dims = opset::staticDims(node->input(1));
  int64_t count = 1;
  if (dims)
    for (int64_t d : *dims) count *= d;
  if (!dims || count != 1) return Outcome::blocked(13, "a per-axis (or unknown-shape) scale needs opset 13");
  return node->attributes().erase("axis") ? Outcome::changed() : Outcome::kept();
}

/// DFT-17 takes the axis as an attribute; DFT-20's absent axis input means -2.
Outcome dftAxisInputToAttr(AdaptContext& ctx, Node*& node) {
  Value* axis = node->input(2);
  int64_t value = -2;
  if (axis) {
    auto v = opset::constantInts(axis);
    if (!v || v->size() != 1) return Outcome::blocked(20, "a computed axis needs opset 20");
    value = (*v)[0];
    node->setInput(2, nullptr);
    trimTrailingNulls(node);
    ctx.detached.push_back(axis);
  }
  node->setAttr("axis", Attribute(value));
  return Outcome::changed();
}

/// GridSample-16 is 4-D only and names its modes "bilinear" and "bicubic".
Outcome gridSampleOldModes(AdaptContext&, Node*& node) {
  if (auto rank = opset::knownRank(node->input(0)); !rank || *rank != 4)
    return Outcome::blocked(20, "a grid sample that is not known to be 4-D needs opset 20");
  std::string mode = opset::rawString(*node, "mode", "linear");
  node->setAttr("mode", Attribute(mode == "linear" ? "bilinear" : mode == "cubic" ? "bicubic" : mode));
  return Outcome::changed();
}

/// Scan-8 has a batch axis that later Scans dropped; kiln does not write it.
Outcome scanNoBatchAxis(AdaptContext&, Node*&) { return Outcome::blocked(9, "Scan-8's batched form is not written"); }

}  // namespace

void addNnAdapters(AdaptTables& t) {
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    t.steps.push_back({op, 13, "softmaxAxisToCoerced", softmaxAxisToCoerced});
    t.steps.push_back({op, 11, "normalizeNegativeAxes", normalizeNegativeAxes("axis", 11)});
  }
  t.steps.push_back({"Dropout", 12, "dropoutInputsToAttrs", dropoutInputsToAttrs});
  t.steps.push_back({"Dropout", 10, "dropoutMaskInDataType", dropoutMaskInDataType});
  t.steps.push_back({"Dropout", 7, "dropoutSetIsTest", dropoutSetIsTest});
  for (const char* op : {"GRU", "LSTM", "RNN"})
    t.steps.push_back({op, 14, "dropAttrIfDefault(layout)", dropAttrIfDefault("layout", Attribute(int64_t{0}), 14)});
  t.steps.push_back({"GRU", 3, "dropAttrIfDefault(linear_before_reset)",
                     dropAttrIfDefault("linear_before_reset", Attribute(int64_t{0}), 3)});
  t.steps.push_back({"AveragePool", 19, "dropIfAllOnes(dilations)", dropIfAllOnes("dilations", 19)});
  t.steps.push_back({"AveragePool", 10, "poolCeilModeToPads", poolCeilModeToPads});
  t.steps.push_back({"AveragePool", 7, "dropAttrIfDefault(count_include_pad)",
                     dropAttrIfDefault("count_include_pad", Attribute(int64_t{0}), 7)});
  t.steps.push_back({"MaxPool", 10, "poolCeilModeToPads", poolCeilModeToPads});
  t.steps.push_back({"MaxPool", 10, "dropIfAllOnes(dilations)", dropIfAllOnes("dilations", 10)});
  t.steps.push_back({"MaxPool", 8, "maxPoolNoIndices", maxPoolNoIndices});
  t.steps.push_back({"LpPool", 18, "dropAttrIfDefault(ceil_mode)", dropAttrIfDefault("ceil_mode", Attribute(int64_t{0}), 18)});
  t.steps.push_back({"LpPool", 18, "dropIfAllOnes(dilations)", dropIfAllOnes("dilations", 18)});
  for (const char* op : {"LpPool", "GlobalLpPool"}) t.steps.push_back({op, 2, "lpPoolFloatP", lpPoolFloatP});
  t.steps.push_back({"RoiAlign", 16, "roiAlignOutputHalfPixel", roiAlignOutputHalfPixel});
  t.steps.push_back({"QuantizeLinear", 21, "dropAttrIfDefault(block_size)", dropAttrIfDefault("block_size", Attribute(int64_t{0}), 21)});
  t.steps.push_back({"QuantizeLinear", 21, "dropAttrIfDefault(output_dtype)",
                     dropAttrIfDefault("output_dtype", Attribute(int64_t{0}), 21)});
  // saturate only matters for float8 outputs, which kiln does not have.
  t.steps.push_back({"QuantizeLinear", 19, "dropSaturate", [](AdaptContext&, Node*& node) {
                       return node->attributes().erase("saturate") ? Outcome::changed() : Outcome::kept();
                     }});
  t.steps.push_back({"DequantizeLinear", 21, "dropAttrIfDefault(block_size)",
                     dropAttrIfDefault("block_size", Attribute(int64_t{0}), 21)});
  for (const char* op : {"QuantizeLinear", "DequantizeLinear"})
    t.steps.push_back({op, 13, "quantPerTensorOnly", quantPerTensorOnly});
  t.steps.push_back({"DFT", 20, "dftAxisInputToAttr", dftAxisInputToAttr});
  t.steps.push_back({"GridSample", 20, "gridSampleOldModes", gridSampleOldModes});
  t.steps.push_back({"Scan", 9, "scanNoBatchAxis", scanNoBatchAxis});
}

}  // namespace kiln::onnx_backend
