// Constant, and the ops with subgraphs: If, Loop, Scan. Their shape inference infers the
// bodies within the same session, so captured outer values keep their tracked contents.

#include <algorithm>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

Graph* graphAttr(const Node& node, std::string_view name) {
  const Attribute* a = node.attr(name);
  return a && a->kind() == AttrKind::Graph ? &a->g() : nullptr;
}

/// Forgets every inferred type in `body` (nested bodies included), before inferring it again
/// with more general input types: refinement must not keep the types of the first pass.
void forgetTypes(Graph& body) {
  body.walk([](Node* n) {
    for (size_t i = 0; i < n->numOutputs(); ++i)
      if (Value* v = n->output(i)) v->setType(Type());
  });
}

/// Infers a loop body whose inputs from `firstCarried` on carry values from one iteration
/// to the next (body output `firstCarried - offset` + i feeds input `firstCarried` + i). When an
/// iteration changes a carried type (a growing sequence axis), the body input type is
/// generalized to the merge and the body inferred again, until it is stable.
Status inferLoopBody(InferenceContext& ctx, Graph& body, size_t firstCarried, size_t carried, size_t outputOffset) {
  for (int pass = 0;; ++pass) {
    KILN_RETURN_IF_ERROR(inferSubgraph(ctx, body));
    bool stable = true;
    for (size_t i = 0; i < carried; ++i) {
      Value* in = body.input(firstCarried + i);
      Value* out = body.output(outputOffset + i);
      if (!out || in->type() == out->type()) continue;
      Type merged = mergeTypes(in->type(), out->type());
      if (merged == in->type()) continue;
      in->setType(std::move(merged));
      stable = false;
    }
    if (stable) return Status::ok();
    if (pass == 3) return Status::ok();  // types only get more general; a few passes settle
    forgetTypes(body);
  }
}

/// The type a loop body input starts from: the initial value's (the first iteration sees
/// exactly it), with dims it leaves unknown taken from the body's declaration. Iterating
/// then generalizes it as far as the body requires.
Type startType(const Type& initial, const Type& declared) {
  if (initial.isUnknown()) return declared;
  if (!initial.isTensor() || !declared.isTensor() || !initial.shape().isRanked()) return initial;
  const Shape& a = initial.shape();
  const Shape& b = declared.shape();
  if (!b.isRanked() || a.rank() != b.rank()) return initial;
  std::vector<Dim> dims;
  for (size_t i = 0; i < a.rank(); ++i) dims.push_back(a[i].isUnknown() ? b[i] : a[i]);
  return Type::tensor(initial.dtype() != DType::Undefined ? initial.dtype() : declared.dtype(), Shape(std::move(dims)));
}

Status inferConstant(InferenceContext& ctx) {
  const Attribute* value = ctx.node().attr("value");
  if (!value || value->kind() != AttrKind::Tensor) return Status::ok();  // the verifier reports it
  const Tensor& t = value->t();
  std::vector<Dim> dims(t.dims().begin(), t.dims().end());
  ctx.setOutputType(0, Type::tensor(t.dtype(), Shape(dims)));
  return Status::ok();
}

Status inferIf(InferenceContext& ctx) {
  Graph* thenBranch = graphAttr(ctx.node(), "then_branch");
  Graph* elseBranch = graphAttr(ctx.node(), "else_branch");
  if (!thenBranch || !elseBranch) return Status::ok();
  KILN_RETURN_IF_ERROR(inferSubgraph(ctx, *thenBranch));
  KILN_RETURN_IF_ERROR(inferSubgraph(ctx, *elseBranch));
  size_t n = ctx.node().numOutputs();
  if (thenBranch->numOutputs() != n || elseBranch->numOutputs() != n)
    return ctx.error("then_branch has " + std::to_string(thenBranch->numOutputs()) + " outputs, else_branch " +
                     std::to_string(elseBranch->numOutputs()) + ", the node " + std::to_string(n));
  // A constant condition picks its branch's types exactly.
  const Tensor* cond = ctx.constantInput(0);
  std::optional<bool> known;
  if (cond && cond->numElements() == 1 && cond->dtype() != DType::String) known = cond->scalarAsInt(0) != 0;
  for (size_t i = 0; i < n; ++i) {
    Value* a = thenBranch->output(i);
    Value* b = elseBranch->output(i);
    Type ta = a ? a->type() : Type();
    Type tb = b ? b->type() : Type();
    ctx.setOutputType(i, known ? (*known ? ta : tb) : mergeTypes(ta, tb));
  }
  return Status::ok();
}

/// Loop(M, cond, v...): body(iter, cond, v...) -> (cond, v..., scan...). Final values are the
/// merge of the initial and iterated types (the loop may run zero times); scan outputs stack
/// the per-iteration values along a new first axis of the trip count when known.
Status inferLoop(InferenceContext& ctx) {
  Graph* body = graphAttr(ctx.node(), "body");
  if (!body) return Status::ok();
  size_t carried = ctx.numInputs() >= 2 ? ctx.numInputs() - 2 : 0;
  if (body->numInputs() != carried + 2)
    return ctx.error("body has " + std::to_string(body->numInputs()) + " inputs for " + std::to_string(carried) +
                     " loop-carried values (expected iteration number, condition, then the values)");
  if (body->numOutputs() < carried + 1)
    return ctx.error("body has " + std::to_string(body->numOutputs()) + " outputs for " + std::to_string(carried) +
                     " loop-carried values");
  size_t scans = body->numOutputs() - 1 - carried;
  if (ctx.node().numOutputs() != carried + scans)
    return ctx.error("node has " + std::to_string(ctx.node().numOutputs()) + " outputs, the body yields " +
                     std::to_string(carried) + " loop-carried values and " + std::to_string(scans) + " scan outputs");

  if (body->input(0)->type().isUnknown()) body->input(0)->setType(Type::tensor(DType::Int64, Shape::scalar()));
  if (body->input(1)->type().isUnknown()) body->input(1)->setType(Type::tensor(DType::Bool, Shape::scalar()));
  for (size_t i = 0; i < carried; ++i)
    body->input(2 + i)->setType(startType(ctx.inputType(2 + i), body->input(2 + i)->type()));
  KILN_RETURN_IF_ERROR(inferLoopBody(ctx, *body, 2, carried, 1));

  // Without a condition input the loop runs exactly M times.
  Dim trips;
  if (ctx.hasInput(0) && !ctx.hasInput(1))
    if (auto m = inputShapeValue(ctx, 0); m && m->size() == 1) trips = (*m)[0];
  bool runsAtLeastOnce = trips.isStatic() && trips.value() > 0;
  for (size_t i = 0; i < carried; ++i) {
    Value* out = body->output(1 + i);
    Type iterated = out ? out->type() : Type();
    ctx.setOutputType(i, runsAtLeastOnce ? iterated : mergeTypes(ctx.inputType(2 + i), iterated));
  }
  for (size_t k = 0; k < scans; ++k) {
    Value* out = body->output(1 + carried + k);
    Type t = out ? out->type() : Type();
    if (!t.isTensor()) {
      ctx.setOutputType(carried + k, Type());
      continue;
    }
    Shape s = t.shape();
    if (s.isRanked()) s.dims().insert(s.dims().begin(), trips);
    ctx.setOutputType(carried + k, Type::tensor(t.dtype(), s));
  }
  return Status::ok();
}

/// Scan(state..., scan_inputs...): body(state..., slices...) -> (state..., scan_slices...).
Status inferScan(InferenceContext& ctx) {
  Graph* body = graphAttr(ctx.node(), "body");
  if (!body) return Status::ok();
  const Node& node = ctx.node();
  auto scanInputs = static_cast<size_t>(std::max<int64_t>(node.intAttr("num_scan_inputs", 0), 0));
  if (scanInputs > ctx.numInputs())
    return ctx.error("num_scan_inputs " + std::to_string(scanInputs) + " exceeds the " +
                     std::to_string(ctx.numInputs()) + " inputs");
  size_t states = ctx.numInputs() - scanInputs;
  if (body->numInputs() != ctx.numInputs())
    return ctx.error("body has " + std::to_string(body->numInputs()) + " inputs, the node " +
                     std::to_string(ctx.numInputs()));
  if (body->numOutputs() < states || node.numOutputs() != body->numOutputs())
    return ctx.error("body has " + std::to_string(body->numOutputs()) + " outputs, the node " +
                     std::to_string(node.numOutputs()) + ", with " + std::to_string(states) + " state values");
  size_t scanOutputs = body->numOutputs() - states;
  auto inputAxes = node.intsAttr("scan_input_axes", std::vector<int64_t>(scanInputs, 0));
  auto outputAxes = node.intsAttr("scan_output_axes", std::vector<int64_t>(scanOutputs, 0));
  if (inputAxes.size() != scanInputs || outputAxes.size() != scanOutputs)
    return ctx.error("scan_input_axes or scan_output_axes has the wrong number of entries");

  for (size_t i = 0; i < states; ++i) body->input(i)->setType(startType(ctx.inputType(i), body->input(i)->type()));
  Dim sequence;
  for (size_t j = 0; j < scanInputs; ++j) {
    const Type& t = ctx.inputType(states + j);
    Type slice = t;
    if (t.isTensor() && t.shape().isRanked()) {
      auto axis = normalizeAxis(inputAxes[j], static_cast<int64_t>(t.shape().rank()));
      if (!axis) return ctx.error("scan input axis " + std::to_string(inputAxes[j]) + " is out of range for " + t.str());
      std::vector<Dim> dims = t.shape().dims();
      if (j == 0 || sequence.isUnknown()) sequence = dims[*axis];
      dims.erase(dims.begin() + *axis);
      slice = Type::tensor(t.dtype(), Shape(std::move(dims)));
    }
    body->input(states + j)->setType(startType(slice, body->input(states + j)->type()));
  }
  KILN_RETURN_IF_ERROR(inferLoopBody(ctx, *body, 0, states, 0));

  bool runsAtLeastOnce = sequence.isStatic() && sequence.value() > 0;
  for (size_t i = 0; i < states; ++i) {
    Type iterated = body->output(i) ? body->output(i)->type() : Type();
    ctx.setOutputType(i, runsAtLeastOnce ? iterated : mergeTypes(ctx.inputType(i), iterated));
  }
  for (size_t k = 0; k < scanOutputs; ++k) {
    Value* out = body->output(states + k);
    Type t = out ? out->type() : Type();
    if (!t.isTensor() || !t.shape().isRanked()) {
      ctx.setOutputType(states + k, t.isTensor() ? Type::tensor(t.dtype()) : Type());
      continue;
    }
    std::vector<Dim> dims = t.shape().dims();
    auto axis = normalizeAxis(outputAxes[k], static_cast<int64_t>(dims.size()) + 1);
    if (!axis) return ctx.error("scan output axis " + std::to_string(outputAxes[k]) + " is out of range");
    dims.insert(dims.begin() + *axis, sequence);
    ctx.setOutputType(states + k, Type::tensor(t.dtype(), Shape(std::move(dims))));
  }
  return Status::ok();
}

}  // namespace

void registerControlFlowOps(OpRegistry& registry) {
  registry.add({.domain = "", .name = "Constant", .sinceVersion = 21,
                .summary = "A constant tensor (canonical form: the `value` attribute).",
                .minInputs = 0, .maxInputs = 0,
                .attributes = {{"value", AttrKind::Tensor, true, std::nullopt}},
                .inferShapes = inferConstant,
                .traits = OpTrait::Pure});
  registry.add({.domain = "", .name = "If", .sinceVersion = 21,
                .summary = "Runs then_branch or else_branch by a boolean scalar; outputs are the branch's.",
                .minInputs = 1, .maxInputs = 1, .minOutputs = 1, .maxOutputs = OpSchema::kVariadic,
                .attributes = {attrRequired("else_branch", AttrKind::Graph), attrRequired("then_branch", AttrKind::Graph)},
                .inferShapes = inferIf});
  registry.add({.domain = "", .name = "Loop", .sinceVersion = 21,
                .summary = "Runs body up to M times while cond holds, carrying values and stacking scan outputs.",
                .minInputs = 2, .maxInputs = OpSchema::kVariadic, .minOutputs = 1, .maxOutputs = OpSchema::kVariadic,
                .attributes = {attrRequired("body", AttrKind::Graph)},
                .inferShapes = inferLoop});
  registry.add({.domain = "", .name = "Scan", .sinceVersion = 21,
                .summary = "Runs body over slices of the scan inputs, carrying state and stacking scan outputs.",
                .minInputs = 1, .maxInputs = OpSchema::kVariadic, .minOutputs = 1, .maxOutputs = OpSchema::kVariadic,
                .attributes = {attrRequired("body", AttrKind::Graph), attrRequired("num_scan_inputs", AttrKind::Int),
                               attrOptional("scan_input_axes", AttrKind::Ints),
                               attrOptional("scan_input_directions", AttrKind::Ints),
                               attrOptional("scan_output_axes", AttrKind::Ints),
                               attrOptional("scan_output_directions", AttrKind::Ints)},
                .inferShapes = inferScan});
}

}  // namespace kiln
