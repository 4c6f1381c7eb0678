#include "ir/shape_inference.h"

#include <algorithm>

namespace kiln {
namespace {

/// Shape values are what shape arithmetic computes: short 0-D or 1-D integer tensors.
constexpr int64_t kMaxShapeValueElements = 64;

std::string shapeList(const std::vector<Dim>& dims) { return Shape(dims).str(); }

/// The constant term of a dim's polynomial (the dim itself when static).
int64_t constantTerm(const Dim& d) {
  if (d.isStatic()) return d.value();
  for (const auto& t : d.expr()->terms())
    if (t.symbols.empty()) return t.coeff;
  return 0;
}

int64_t floorDivInt(int64_t a, int64_t d) { return a / d - ((a % d != 0) && ((a < 0) != (d < 0))); }

/// Combines an inferred type with the one the value carried before (ONNX value_info): the
/// inferred type wins where it knows something, the recorded one fills in what it does not.
/// Fails when the two contradict each other.
Expected<Type> refine(const Type& inferred, const Type& recorded) {
  if (recorded.isUnknown()) return inferred;
  if (inferred.isUnknown()) return recorded;
  auto conflict = [&] {
    return Status::error("inferred type " + inferred.str() + " conflicts with the recorded type " +
                         recorded.str());
  };
  if (inferred.kind() != recorded.kind()) return conflict();
  if (inferred.kind() != Type::Kind::Tensor) {
    auto e = refine(inferred.element(), recorded.element());
    if (!e) return conflict();
    return inferred.kind() == Type::Kind::Sequence ? Type::sequence(e.take()) : Type::optional(e.take());
  }
  DType dtype = inferred.dtype();
  if (dtype == DType::Undefined) dtype = recorded.dtype();
  else if (recorded.dtype() != DType::Undefined && recorded.dtype() != dtype) return conflict();
  const Shape& a = inferred.shape();
  const Shape& b = recorded.shape();
  if (!a.isRanked()) return Type::tensor(dtype, b);
  if (!b.isRanked()) return Type::tensor(dtype, a);
  if (a.rank() != b.rank()) return conflict();
  std::vector<Dim> dims;
  for (size_t i = 0; i < a.rank(); ++i) {
    const Dim& x = a[i];
    const Dim& y = b[i];
    if (x.isStatic() && y.isStatic() && x.value() != y.value()) return conflict();
    // An inferred symbol stays even where the record says a number: exporters record the
    // sizes of the traced run, and the graph's inputs say which of them may vary.
    dims.push_back(x.isUnknown() ? y : x);
  }
  return Type::tensor(dtype, Shape(std::move(dims)));
}

}  // namespace

// ---- driver -------------------------------------------------------------------------------

Status inferShapes(Graph& graph, const ShapeInferenceOptions& options) {
  ShapeInferenceSession session(options);
  return session.inferGraph(graph);
}

Status ShapeInferenceSession::inferGraph(Graph& graph) {
  for (Node* node : graph.nodes()) KILN_RETURN_IF_ERROR(inferNode(*node));
  return Status::ok();
}

Status ShapeInferenceSession::inferNode(Node& node) {
  if (!node.schema()) node.setSchema(OpRegistry::builtin().lookup(node.domain(), node.opType()));
  const OpSchema* schema = node.schema();
  if (!schema || !schema->inferShapes) return Status::ok();

  std::vector<Type> before;
  for (size_t i = 0; i < node.numOutputs(); ++i) {
    before.push_back(node.output(i) ? node.output(i)->type() : Type());
    shapeValues_.erase(node.output(i));  // a loop body inferred again must not see the last pass's
  }
  InferenceContext ctx(node, this);
  KILN_RETURN_IF_ERROR(schema->inferShapes(ctx));
  if (!options_.refineExisting) return Status::ok();
  for (size_t i = 0; i < node.numOutputs(); ++i) {
    Value* v = node.output(i);
    if (!v) continue;
    auto t = refine(v->type(), before[i]);
    if (t) {
      v->setType(t.take());
    } else if (options_.warnings) {
      Diagnostic d = ctx.error(t.status().diagnostic().message + " of '" + v->name() + "'").diagnostic();
      d.severity = Severity::Warning;
      options_.warnings->push_back(std::move(d));
    }
  }
  return Status::ok();
}

const std::vector<Dim>* ShapeInferenceSession::shapeValue(const Value* v) const {
  auto it = shapeValues_.find(v);
  return it == shapeValues_.end() ? nullptr : &it->second;
}

void ShapeInferenceSession::setShapeValue(const Value* v, std::vector<Dim> dims) {
  if (!v || static_cast<int64_t>(dims.size()) > kMaxShapeValueElements) return;
  shapeValues_[v] = std::move(dims);
}

// ---- context helpers ----------------------------------------------------------------------

std::optional<std::vector<Dim>> inputShapeValue(const InferenceContext& ctx, size_t i) {
  Value* v = ctx.node().input(i);
  if (!v) return std::nullopt;
  if (ctx.session())
    if (const auto* dims = ctx.session()->shapeValue(v)) return *dims;
  const Tensor* t = ctx.constantInput(i);
  if (!t || t->rank() > 1 || t->numElements() > kMaxShapeValueElements) return std::nullopt;
  auto ints = ctx.constantInts(i);
  if (!ints) return std::nullopt;
  return std::vector<Dim>(ints->begin(), ints->end());
}

void setOutputShapeValue(InferenceContext& ctx, size_t i, std::vector<Dim> dims) {
  if (ctx.session()) ctx.session()->setShapeValue(ctx.node().output(i), std::move(dims));
}

Status inferSubgraph(InferenceContext& ctx, Graph& graph) {
  if (ctx.session()) return ctx.session()->inferGraph(graph);
  ShapeInferenceSession session;
  return session.inferGraph(graph);
}

Status atNode(const InferenceContext& ctx, Status status) {
  if (status.isOk()) return status;
  return ctx.error(status.diagnostic().message);
}

// ---- types --------------------------------------------------------------------------------

Type mergeTypes(const Type& a, const Type& b) {
  if (a.isUnknown() || b.isUnknown() || a.kind() != b.kind()) return Type();
  if (a.kind() == Type::Kind::Sequence) return Type::sequence(mergeTypes(a.element(), b.element()));
  if (a.kind() == Type::Kind::Optional) return Type::optional(mergeTypes(a.element(), b.element()));
  DType dtype = a.dtype() == b.dtype() ? a.dtype() : DType::Undefined;
  const Shape& x = a.shape();
  const Shape& y = b.shape();
  if (!x.isRanked() || !y.isRanked() || x.rank() != y.rank()) return Type::tensor(dtype);
  std::vector<Dim> dims;
  for (size_t i = 0; i < x.rank(); ++i) dims.push_back(x[i] == y[i] ? x[i] : Dim());
  return Type::tensor(dtype, Shape(std::move(dims)));
}

Type unknownDimsTensor(DType dtype, size_t rank) {
  return Type::tensor(dtype, Shape(std::vector<Dim>(rank)));
}

// ---- dims and axes ------------------------------------------------------------------------

std::optional<Dim> broadcastDim(const Dim& a, const Dim& b) {
  auto isOne = [](const Dim& d) { return d.isStatic() && d.value() == 1; };
  if (isOne(a)) return b;
  if (isOne(b)) return a;
  if (a.isStatic() && b.isStatic()) return a.value() == b.value() ? std::optional<Dim>(a) : std::nullopt;
  // A static size other than 1 is what the other operand must be (or broadcast from).
  if (a.isStatic()) return a;
  if (b.isStatic()) return b;
  if (a.provablyEqual(b)) return a;
  return Dim();
}

Expected<Shape> broadcastShapes(const std::vector<Shape>& shapes) {
  if (shapes.empty()) return Shape::unranked();
  for (const Shape& s : shapes)
    if (!s.isRanked()) return Shape::unranked();
  std::vector<Dim> acc = shapes[0].dims();
  for (size_t k = 1; k < shapes.size(); ++k) {
    const auto& next = shapes[k].dims();
    size_t rank = std::max(acc.size(), next.size());
    std::vector<Dim> out(rank);
    for (size_t i = 0; i < rank; ++i) {
      // Align from the right; a missing leading dim acts as 1.
      Dim x = i + acc.size() >= rank ? acc[i + acc.size() - rank] : Dim(1);
      Dim y = i + next.size() >= rank ? next[i + next.size() - rank] : Dim(1);
      auto d = broadcastDim(x, y);
      if (!d) return Status::error("cannot broadcast " + shapeList(acc) + " with " + shapeList(next));
      out[i] = *d;
    }
    acc = std::move(out);
  }
  return Shape(std::move(acc));
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

Expected<std::vector<int64_t>> normalizeAxes(std::vector<int64_t> axes, int64_t rank) {
  for (auto& a : axes) {
    auto n = normalizeAxis(a, rank);
    if (!n)
      return Status::error("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    a = *n;
  }
  std::vector<int64_t> sorted = axes;
  std::sort(sorted.begin(), sorted.end());
  if (auto it = std::adjacent_find(sorted.begin(), sorted.end()); it != sorted.end())
    return Status::error("axis " + std::to_string(*it) + " repeated");
  return axes;
}

Dim floorDiv(const Dim& a, int64_t d) {
  if (d <= 0 || a.isUnknown()) return Dim();
  if (a.isStatic()) return Dim(floorDivInt(a.value(), d));
  // a = S + c where d divides every coefficient of S: floor(a / d) = S / d + floor(c / d).
  int64_t c = constantTerm(a);
  Dim s = exactDiv(a - Dim(c), Dim(d));
  if (s.isUnknown()) return Dim();
  return s + Dim(floorDivInt(c, d));
}

Dim ceilDiv(const Dim& a, int64_t d) {
  if (d <= 0 || a.isUnknown()) return Dim();
  return floorDiv(a + Dim(d - 1), d);
}

Dim windowOutputDim(const Dim& in, int64_t kernel, int64_t stride, int64_t dilation,
                    int64_t padBegin, int64_t padEnd, std::string_view autoPad, bool ceilMode) {
  if (stride <= 0 || dilation <= 0 || kernel <= 0) return Dim();
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") return ceilDiv(in, stride);
  if (autoPad == "VALID") padBegin = padEnd = 0;
  int64_t effectiveKernel = dilation * (kernel - 1) + 1;
  Dim span = in + Dim(padBegin + padEnd - effectiveKernel);
  if (!ceilMode) return floorDiv(span, stride) + Dim(1);
  Dim out = ceilDiv(span, stride) + Dim(1);
  // The last window must start inside the input or its begin padding.
  Dim overshoot = (out - Dim(1)) * Dim(stride) - (in + Dim(padBegin));
  if (!overshoot.isStatic()) return Dim();
  return overshoot.value() >= 0 ? out - Dim(1) : out;
}

Expected<Shape> reshapeShape(const Shape& input, const std::vector<Dim>& target, bool allowZero) {
  std::vector<Dim> out;
  int inferredAt = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    const Dim& t = target[i];
    if (t.isStatic() && t.value() == 0 && !allowZero) {
      if (!input.isRanked()) {
        out.push_back(Dim());
      } else if (i < input.rank()) {
        out.push_back(input[i]);
      } else {
        return Status::error("target shape " + shapeList(target) + " copies dim " + std::to_string(i) +
                             " of an input of rank " + std::to_string(input.rank()));
      }
    } else if (t.isStatic() && t.value() == -1) {
      if (inferredAt >= 0) return Status::error("target shape " + shapeList(target) + " has more than one -1");
      inferredAt = static_cast<int>(i);
      out.push_back(Dim());
    } else if (t.isStatic() && t.value() < 0) {
      return Status::error("target shape " + shapeList(target) + " has invalid dim " + std::to_string(t.value()));
    } else {
      out.push_back(t);
    }
  }
  Dim total = input.numElements();
  Dim known(1);
  for (size_t i = 0; i < out.size(); ++i)
    if (static_cast<int>(i) != inferredAt) known = known * out[i];
  auto mismatch = [&] {
    return Status::error("cannot reshape " + input.str() + " (" + total.str() + " elements) into " +
                         shapeList(target));
  };
  if (inferredAt >= 0) {
    if (total.isStatic() && known.isStatic() && known.value() != 0 && total.value() % known.value() != 0)
      return mismatch();
    out[inferredAt] = exactDiv(total, known);
  } else if (total.isStatic() && known.isStatic() && total.value() != known.value()) {
    return mismatch();
  }
  return Shape(std::move(out));
}

}  // namespace kiln
