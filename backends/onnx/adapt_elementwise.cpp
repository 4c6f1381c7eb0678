// Down adapters of elementwise ops: numpy broadcasting back to the legacy axis form (below 7),
// Clip bounds back to attributes (below 11), Gemm's optional C and broadcast flag, the
// variadic ops' equal-shape rule (below 8), Cast's saturate and type names, and the
// expansions of CastLike (below 15) and GreaterOrEqual/LessOrEqual (below 12).

#include <algorithm>

#include "backends/onnx/adapt_steps.h"

namespace kiln::onnx_backend {
namespace {

/// Before opset 7, B broadcast to A only when broadcast=1, aligned to A's trailing dims or,
/// with `axis`, to A's dims from `axis` on (B may also hold a single element). Numpy's
/// trailing alignment is the first case; a constant B with extra 1-dims around the matching
/// run ([1,C,1,1] against NCHW) becomes the axis case once its 1-dims are dropped. Shapes that
/// are not known are taken to broadcast from the trailing dims, as exported graphs do.
Outcome numpyBroadcastToLegacy(AdaptContext& ctx, Node*& node) {
  Value* a = node->input(0);
  Value* b = node->input(1);
  bool knownA = a && a->type().isTensor() && a->shape().isRanked();
  bool knownB = b && b->type().isTensor() && b->shape().isRanked();
  if (const Tensor* t = opset::constantTensor(b); t && !knownB) knownB = true;
  if (!knownA || !knownB) {
    node->setAttr("broadcast", Attribute(int64_t{1}));
    return Outcome::changed();
  }
  std::vector<Dim> da = a->shape().dims();
  std::vector<Dim> db;
  if (const Tensor* t = opset::constantTensor(b)) db.assign(t->dims().begin(), t->dims().end());
  else db = b->shape().dims();
  auto sameRun = [&](size_t start, const std::vector<Dim>& run) {
    if (start + run.size() > da.size()) return false;
    for (size_t i = 0; i < run.size(); ++i)
      if (!run[i].provablyEqual(da[start + i])) return false;
    return true;
  };
  if (da.size() == db.size() && sameRun(0, db)) return Outcome::kept();
  bool oneElement = std::all_of(db.begin(), db.end(), [](const Dim& d) { return d.isStatic() && d.value() == 1; });
  if (oneElement || (db.size() <= da.size() && sameRun(da.size() - db.size(), db))) {
    node->setAttr("broadcast", Attribute(int64_t{1}));
    return Outcome::changed();
  }
  // A constant B: strip 1-dims on both sides and look for its run inside A.
  if (const Tensor* t = opset::constantTensor(b); t && db.size() == da.size()) {
    size_t lo = 0, hi = db.size();
    while (lo < hi && db[lo].value() == 1) ++lo;
    while (hi > lo && db[hi - 1].value() == 1) --hi;
    std::vector<Dim> run(db.begin() + static_cast<std::ptrdiff_t>(lo), db.begin() + static_cast<std::ptrdiff_t>(hi));
    if (sameRun(lo, run)) {
      std::vector<int64_t> dims;
      for (const Dim& d : run) dims.push_back(d.value());
      auto reshaped = Tensor::fromBuffer(t->dtype(), dims, t->buffer());
      if (reshaped) {
        PendingBuilder pb(ctx, node);
        ctx.detached.push_back(b);
        node->setInput(1, pb.constant(reshaped.take(), "legacy_b"));
        node->setAttr("broadcast", Attribute(int64_t{1}));
        node->setAttr("axis", Attribute(static_cast<int64_t>(lo)));
        return Outcome::changed();
      }
    }
  }
  return Outcome::blocked(7, "broadcasting " + a->shape().str() + " with " + Shape(db).str() +
                                 " is numpy broadcasting, which needs opset 7");
}

/// A scalar that is constant, possibly through the Cast/CastLike the importer puts on
/// constants whose element type it did not know.
std::optional<double> constantScalarThroughCast(Value* v) {
  if (v && v->producer() && (v->producer()->opType() == "CastLike" || v->producer()->opType() == "Cast"))
    v = v->producer()->input(0);
  auto values = opset::constantDoubles(v);
  if (!values || values->size() != 1) return std::nullopt;
  return (*values)[0];
}

/// Clip-6 takes min and max as float attributes; they must be constants.
Outcome clipInputsToAttrs(AdaptContext& ctx, Node*& node) {
  bool changed = false;
  for (auto [name, index] : {std::pair{"min", size_t{1}}, std::pair{"max", size_t{2}}}) {
    Value* v = node->input(index);
    if (!v) continue;
    auto value = constantScalarThroughCast(v);
    if (!value) return Outcome::blocked(11, std::string(name) + " is computed, and before opset 11 it must be a constant attribute");
    node->setAttr(name, Attribute(static_cast<float>(*value)));
    node->setInput(index, nullptr);
    ctx.detached.push_back(v);
    changed = true;
  }
  trimTrailingNulls(node);
  return changed ? Outcome::changed() : Outcome::kept();
}

/// Gemm-11 made C optional; before, a zero C of the output's type stands in.
Outcome gemmZeroBias(AdaptContext& ctx, Node*& node) {
  if (node->input(2)) return Outcome::kept();
  DType dtype = opset::knownDType(node->input(0));
  if (dtype == DType::Undefined) dtype = opset::knownDType(node->output(0));
  double zero = 0;
  auto t = dtype == DType::Undefined ? std::nullopt : opset::numericTensor(dtype, {}, std::span<const double>(&zero, 1));
  if (!t) return Outcome::blocked(11, "Gemm without C needs a zero C of a known element type before opset 11");
  PendingBuilder b(ctx, node);
  setInputAt(node, 2, b.constant(std::move(*t), "zero_c"));
  return Outcome::changed();
}

/// Before opset 7 Gemm broadcast C only with broadcast=1; setting it is always safe.
Outcome gemmAddBroadcast(AdaptContext&, Node*& node) {
  node->setAttr("broadcast", Attribute(int64_t{1}));
  return Outcome::changed();
}

/// Max/Min/Sum/Mean broadcast only since opset 8; before, all inputs had one shape.
Outcome variadicSameShapes(AdaptContext&, Node*& node) {
  std::optional<Shape> first;
  for (Value* v : node->inputs()) {
    if (!v || !v->type().isTensor() || !v->shape().isStatic()) continue;
    if (!first) first = v->shape();
    else if (!(v->shape() == *first))
      return Outcome::blocked(8, "inputs of different shapes broadcast only since opset 8");
  }
  return Outcome::kept();
}

/// PRelu broadcasts the slope (numpy, unidirectional) since opset 7; before, the slope had
/// X's shape or a single element.
Outcome preluLegacySlope(AdaptContext&, Node*& node) {
  auto x = opset::staticDims(node->input(0)), slope = opset::staticDims(node->input(1));
  if (!x || !slope) return Outcome::kept();
  int64_t count = 1;
  for (int64_t d : *slope) count *= d;
  if (count == 1 || *x == *slope) return Outcome::kept();
  return Outcome::blocked(7, "a broadcast slope needs opset 7");
}

/// Cast-19 and CastLike-19 added `saturate`, which only affects float8 targets kiln lacks.
Outcome dropSaturate(AdaptContext&, Node*& node) {
  return node->attributes().erase("saturate") ? Outcome::changed() : Outcome::kept();
}

/// Cast-1 names the target type ("FLOAT") instead of the TensorProto code.
Outcome castCodeToName(AdaptContext&, Node*& node) {
  const Attribute* a = opset::rawAttr(*node, "to");
  if (!a || a->kind() != AttrKind::Int) return Outcome::kept();
  static const char* kNames[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64",
                                 "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128"};
  int64_t code = a->i();
  if (code <= 0 || code >= static_cast<int64_t>(std::size(kNames)))
    return Outcome::blocked(6, "type code " + std::to_string(code) + " has no Cast-1 name");
  node->setAttr("to", Attribute(kNames[code]));
  return Outcome::changed();
}

/// CastLike(x, like) is Cast(x, to = like's element type) when that type is known.
Outcome castLikeToCast(AdaptContext& ctx, Node*& node) {
  DType dtype = opset::knownDType(node->input(1));
  if (dtype == DType::Undefined) return Outcome::blocked(15, "the element type of its second input is not known");
  PendingBuilder b(ctx, node);
  Node* cast = b.node("Cast", {node->input(0)}, "cast");
  cast->setAttr("to", Attribute(static_cast<int64_t>(dtypeToOnnx(dtype))));
  opset::replaceNodeWith(node, {cast->output(0)});
  node = nullptr;
  return Outcome::expanded();
}

/// a >= b is (a > b) or (a == b); unlike Not(a < b) this stays false for NaN.
AdaptFn orEqualExpansion(const char* strict) {
  return [strict](AdaptContext& ctx, Node*& node) {
    PendingBuilder b(ctx, node);
    Value* gt = b.op(strict, {node->input(0), node->input(1)}, "strict");
    Value* eq = b.op("Equal", {node->input(0), node->input(1)}, "equal");
    Value* y = b.op("Or", {gt, eq}, "or");
    opset::replaceNodeWith(node, {y});
    node = nullptr;
    return Outcome::expanded();
  };
}

}  // namespace

void addElementwiseAdapters(AdaptTables& t) {
  for (const char* op : {"Add", "And", "Div", "Equal", "Greater", "Less", "Mul", "Or", "Pow", "Sub", "Xor"})
    t.steps.push_back({op, 7, "numpyBroadcastToLegacy", numpyBroadcastToLegacy});
  for (const char* op : {"Max", "Mean", "Min", "Sum"}) t.steps.push_back({op, 8, "variadicSameShapes", variadicSameShapes});
  t.steps.push_back({"Clip", 11, "clipInputsToAttrs", clipInputsToAttrs});
  t.steps.push_back({"Gemm", 11, "gemmZeroBias", gemmZeroBias});
  t.steps.push_back({"Gemm", 7, "gemmAddBroadcast", gemmAddBroadcast});
  t.steps.push_back({"PRelu", 7, "preluLegacySlope", preluLegacySlope});
  t.steps.push_back({"Cast", 19, "dropSaturate", dropSaturate});
  t.steps.push_back({"Cast", 6, "castCodeToName", castCodeToName});
  t.steps.push_back({"CastLike", 19, "dropSaturate", dropSaturate});
  t.expansions.push_back({"CastLike", "castLikeToCast", 1, castLikeToCast});
  t.expansions.push_back({"GreaterOrEqual", "greaterOrEqualExpansion", 11, orEqualExpansion("Greater")});
  t.expansions.push_back({"LessOrEqual", "lessOrEqualExpansion", 11, orEqualExpansion("Less")});
}

}  // namespace kiln::onnx_backend
