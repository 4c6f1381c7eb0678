// Matrix products: MatMul (numpy semantics), Gemm, Einsum.

#include <algorithm>
#include <map>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

std::string dimPair(const Dim& a, const Dim& b) { return "(" + a.str() + " vs " + b.str() + ")"; }

bool provablyDiffer(const Dim& a, const Dim& b) {
  return a.isStatic() && b.isStatic() && a.value() != b.value();
}

Status inferMatMul(InferenceContext& ctx) {
  DType dtype = firstKnownDtype(ctx, {0, 1});
  const Shape a = shapeOf(ctx.inputType(0));
  const Shape b = shapeOf(ctx.inputType(1));
  if (!a.isRanked() || !b.isRanked()) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  if (a.rank() == 0 || b.rank() == 0) return ctx.error("operands must not be scalars");
  // 1-D operands are promoted to matrices, and the added axis is dropped from the result.
  std::vector<Dim> x = a.dims(), y = b.dims();
  if (x.size() == 1) x.insert(x.begin(), Dim(1));
  if (y.size() == 1) y.push_back(Dim(1));
  const Dim& k1 = x.back();
  const Dim& k2 = y[y.size() - 2];
  if (provablyDiffer(k1, k2)) return ctx.error("inner dims differ " + dimPair(k1, k2));
  auto batch = broadcastShapes({Shape(std::vector<Dim>(x.begin(), x.end() - 2)),
                                Shape(std::vector<Dim>(y.begin(), y.end() - 2))});
  if (!batch) return ctx.error("batch dims: " + batch.status().diagnostic().message);
  std::vector<Dim> out = batch->dims();
  if (a.rank() > 1) out.push_back(x[x.size() - 2]);
  if (b.rank() > 1) out.push_back(y.back());
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(out))));
  return Status::ok();
}

Status inferGemm(InferenceContext& ctx) {
  DType dtype = firstKnownDtype(ctx, {0, 1});
  const Shape a = shapeOf(ctx.inputType(0));
  const Shape b = shapeOf(ctx.inputType(1));
  for (const Shape* s : {&a, &b})
    if (s->isRanked() && s->rank() != 2)
      return ctx.error("operand " + std::string(s == &a ? "A" : "B") + " must be 2-D, got " + s->str());
  bool transA = ctx.node().intAttr("transA", 0) != 0;
  bool transB = ctx.node().intAttr("transB", 0) != 0;
  Dim m, n;
  if (a.isRanked() && b.isRanked()) {
    const Dim& k1 = transA ? a[0] : a[1];
    const Dim& k2 = transB ? b[1] : b[0];
    if (provablyDiffer(k1, k2)) return ctx.error("inner dims differ " + dimPair(k1, k2));
  }
  if (a.isRanked()) m = transA ? a[1] : a[0];
  if (b.isRanked()) n = transB ? b[0] : b[1];
  // C broadcasts unidirectionally to [M, N].
  const Shape c = shapeOf(ctx.inputType(2));
  if (ctx.hasInput(2) && c.isRanked()) {
    auto out = broadcastShapes({Shape({m, n}), c});
    if (!out || out->rank() != 2) return ctx.error("C " + c.str() + " does not broadcast to [M, N]");
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape({m, n})));
  return Status::ok();
}

// ---- Einsum -------------------------------------------------------------------------------

struct EinsumTerm {
  std::string labels;    ///< explicit labels, in order, without the ellipsis
  int ellipsisAt = -1;   ///< position of `...` among the labels, -1 if none
};

Expected<EinsumTerm> parseTerm(std::string_view text) {
  EinsumTerm t;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (t.ellipsisAt >= 0 || text.substr(i, 3) != "...") return Status::error("bad ellipsis in '" + std::string(text) + "'");
      t.ellipsisAt = static_cast<int>(t.labels.size());
      i += 2;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      t.labels += c;
    } else {
      return Status::error("bad character '" + std::string(1, c) + "' in equation");
    }
  }
  return t;
}

Status inferEinsum(InferenceContext& ctx) {
  DType dtype = firstKnownDtype(ctx, {0});
  std::string equation;
  for (char c : ctx.node().stringAttr("equation", "")) if (c != ' ') equation += c;
  auto arrow = equation.find("->");
  std::string lhs = equation.substr(0, arrow);
  std::vector<EinsumTerm> inputs;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    auto t = parseTerm(std::string_view(lhs).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!t) return atNode(ctx, t.takeStatus());
    inputs.push_back(t.take());
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (inputs.size() != ctx.numInputs())
    return ctx.error("equation '" + equation + "' has " + std::to_string(inputs.size()) + " terms for " +
                     std::to_string(ctx.numInputs()) + " inputs");

  std::map<char, Dim> labelDims;
  std::map<char, int> labelCount;
  std::vector<Shape> ellipsisShapes;
  std::optional<size_t> ellipsisRankSeen;
  bool ranksKnown = true;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const EinsumTerm& term = inputs[i];
    for (char c : term.labels) ++labelCount[c];
    const Shape s = shapeOf(ctx.inputType(i));
    if (!s.isRanked()) {
      ranksKnown = false;
      continue;
    }
    size_t explicitCount = term.labels.size();
    if (s.rank() < explicitCount || (term.ellipsisAt < 0 && s.rank() != explicitCount))
      return ctx.error("term " + std::to_string(i) + " of '" + equation + "' has " + std::to_string(explicitCount) +
                       " labels for an input of rank " + std::to_string(s.rank()));
    size_t ellipsisRank = s.rank() - explicitCount;
    size_t at = term.ellipsisAt < 0 ? 0 : static_cast<size_t>(term.ellipsisAt);
    if (term.ellipsisAt >= 0) {
      // ONNX (and ONNX Runtime) require every ellipsis to stand for the same number of axes.
      if (ellipsisRankSeen && *ellipsisRankSeen != ellipsisRank)
        return ctx.error("the ellipsis covers " + std::to_string(*ellipsisRankSeen) + " axes in one input and " +
                         std::to_string(ellipsisRank) + " in input " + std::to_string(i));
      ellipsisRankSeen = ellipsisRank;
      ellipsisShapes.push_back(Shape(std::vector<Dim>(s.dims().begin() + at, s.dims().begin() + at + ellipsisRank)));
    }
    for (size_t k = 0; k < explicitCount; ++k) {
      const Dim& d = s[k < at ? k : k + ellipsisRank];
      auto [it, fresh] = labelDims.emplace(term.labels[k], d);
      if (fresh) continue;
      if (provablyDiffer(it->second, d) && !isStaticValue(it->second, 1) && !isStaticValue(d, 1))
        return ctx.error("label '" + std::string(1, term.labels[k]) + "' has sizes " + dimPair(it->second, d));
      it->second = broadcastDim(it->second, d).value_or(Dim());
    }
  }

  EinsumTerm out;
  if (arrow != std::string::npos) {
    auto t = parseTerm(std::string_view(equation).substr(arrow + 2));
    if (!t) return atNode(ctx, t.takeStatus());
    out = t.take();
  } else {
    // Implicit output: the ellipsis, then the labels used once, in alphabetical order.
    for (const auto& [c, count] : labelCount)
      if (count == 1) out.labels += c;
    bool anyEllipsis = std::any_of(inputs.begin(), inputs.end(), [](const auto& t) { return t.ellipsisAt >= 0; });
    out.ellipsisAt = anyEllipsis ? 0 : -1;
  }
  for (char c : out.labels)
    if (!labelCount.count(c)) return ctx.error("output label '" + std::string(1, c) + "' is not in any input");

  std::vector<Dim> ellipsis;
  if (out.ellipsisAt >= 0) {
    if (!ranksKnown) {
      ctx.setOutputType(0, Type::tensor(dtype));
      return Status::ok();
    }
    auto b = broadcastShapes(ellipsisShapes.empty() ? std::vector<Shape>{Shape::scalar()} : ellipsisShapes);
    if (!b) return atNode(ctx, b.takeStatus());
    ellipsis = b->dims();
  }
  std::vector<Dim> dims;
  for (size_t k = 0; k <= out.labels.size(); ++k) {
    if (static_cast<int>(k) == out.ellipsisAt) dims.insert(dims.end(), ellipsis.begin(), ellipsis.end());
    if (k == out.labels.size()) break;
    auto it = labelDims.find(out.labels[k]);
    dims.push_back(it == labelDims.end() ? Dim() : it->second);
  }
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(dims))));
  return Status::ok();
}

}  // namespace

void registerMatMulOps(OpRegistry& r) {
  r.add({.domain = "", .name = "MatMul", .sinceVersion = 13,
         .summary = "Matrix product with numpy semantics (batched, broadcasting, 1-D promotion).",
         .minInputs = 2, .maxInputs = 2,
         .inferShapes = inferMatMul,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Gemm", .sinceVersion = 13,
         .summary = "alpha * op(A) * op(B) + beta * C for 2-D A and B, op transposing on request.",
         .minInputs = 2, .maxInputs = 3,
         .attributes = {attrFloat("alpha", 1.0f), attrFloat("beta", 1.0f), attrInt("transA", 0), attrInt("transB", 0)},
         .inferShapes = inferGemm,
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "Einsum", .sinceVersion = 12,
         .summary = "Einstein summation over the inputs as the equation says.",
         .minInputs = 1, .maxInputs = OpSchema::kVariadic,
         .attributes = {attrRequired("equation", AttrKind::String)},
         .inferShapes = inferEinsum,
         .traits = OpTrait::Pure});
}

}  // namespace kiln
