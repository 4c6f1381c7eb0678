// Expansions of kiln's fused ops. Each is exact: the ops the fusion replaced, in the order it
// found them, so an expanded model computes what the original did.

#include "ir/kiln_expand.h"

#include <cmath>
#include <numeric>
#include <unordered_map>

#include "ir/op_registry.h"

namespace kiln {
namespace {

Value* scalarConst(opset::Builder& b, DType dtype, double value, std::string_view hint) {
  auto t = opset::numericTensor(dtype, {}, std::span<const double>(&value, 1));
  KILN_ASSERT(t.has_value());
  return b.constant(std::move(*t), hint);
}

/// Applies the activation `name` (FusedConv's attribute) to `y`.
Expected<Value*> activation(opset::Builder& b, const Node& node, Value* y, DType dtype) {
  std::string act = node.stringAttr("activation", "");
  std::vector<float> params;
  if (const Attribute* a = node.attr("activation_params")) params = a->floats();
  if (act.empty()) return y;
  if (act == "Relu" || act == "Sigmoid" || act == "HardSwish") return b.op(act, {y}, "act");
  if (act == "Silu") return b.op("Mul", {y, b.op("Sigmoid", {y}, "sigmoid")}, "silu");
  if (act == "LeakyRelu") {
    Node* n = b.node("LeakyRelu", {y}, "act");
    n->setAttr("alpha", Attribute(params.empty() ? 0.01f : params[0]));
    return n->output(0);
  }
  if (act == "Clip") {
    if (params.size() != 2) return Status::error("Clip activation needs activation_params = [min, max]");
    Value* lo = std::isinf(params[0]) ? nullptr : scalarConst(b, dtype, params[0], "min");
    Value* hi = std::isinf(params[1]) ? nullptr : scalarConst(b, dtype, params[1], "max");
    std::vector<Value*> in = {y, lo};
    if (hi) in.push_back(hi);
    if (!lo && !hi) in.pop_back();
    return b.op("Clip", in, "act");
  }
  return Status::error("unknown FusedConv activation '" + act + "'");
}

Expected<Value*> expandFusedConv(opset::Builder& b, Node* n, DType dtype) {
  std::vector<Value*> in = {n->input(0), n->input(1)};
  if (n->input(2)) in.push_back(n->input(2));
  Node* conv = b.node("Conv", in, "conv");
  for (const char* a : {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})
    if (const Attribute* v = n->attr(a)) conv->setAttr(a, *v);
  Value* y = conv->output(0);
  if (n->input(3)) y = b.op("Add", {y, n->input(3)}, "residual");
  return activation(b, *n, y, dtype);
}

/// Q K^T: K's transpose merges with a Transpose producing K (the head split torch emits), so the
/// expansion has as many nodes as the pattern it came from.
Value* transposedKey(opset::Builder& b, Value* k, size_t rank) {
  std::vector<int64_t> swap(rank);
  std::iota(swap.begin(), swap.end(), 0);
  std::swap(swap[rank - 1], swap[rank - 2]);
  Node* p = k->producer();
  if (p && p->opType() == "Transpose" && p->domain().empty() && k->uses().size() == 1 && !k->isGraphOutput()) {
    std::vector<int64_t> inner = p->intsAttr("perm");
    if (inner.size() == rank) {
      std::vector<int64_t> composed(rank);
      for (size_t i = 0; i < rank; ++i) composed[i] = inner[static_cast<size_t>(swap[i])];
      Value* src = p->input(0);
      bool identity = true;
      for (size_t i = 0; i < rank; ++i) identity &= composed[i] == static_cast<int64_t>(i);
      if (identity) return src;
      Node* t = b.node("Transpose", {src}, "key_t");
      t->setAttr("perm", Attribute(composed));
      return t->output(0);
    }
  }
  Node* t = b.node("Transpose", {k}, "key_t");
  t->setAttr("perm", Attribute(swap));
  return t->output(0);
}

/// Softmax(scale * Q Kt + mask) V with the key already transposed: what both attention ops share.
Value* attentionCore(opset::Builder& b, const Node* n, Value* q, Value* kt, Value* v, DType dtype) {
  float scale = n->floatAttr("scale", 1.0f);
  if (scale != 1.0f) q = b.op("Mul", {q, scalarConst(b, dtype, scale, "scale")}, "scaled_q");
  Value* s = b.op("MatMul", {q, kt}, "scores");
  if (Value* mask = n->input(3)) {
    if (opset::knownDType(mask) == DType::Bool)
      s = b.op("Where", {mask, scalarConst(b, dtype, n->floatAttr("masked_value", -INFINITY), "masked"), s}, "masked_scores");
    else
      s = b.op("Add", {s, mask}, "masked_scores");
  }
  Node* sm = b.node("Softmax", {s}, "probs");
  sm->setAttr("axis", Attribute(int64_t{-1}));
  return b.op("MatMul", {sm->output(0), v}, "attention");
}

Expected<Value*> expandAttention(opset::Builder& b, Node* n, DType dtype) {
  auto rank = opset::knownRank(n->input(1));
  if (!rank || *rank < 2) return Status::nodeError(n->name(), n->qualifiedOp(), "key rank is not known");
  return attentionCore(b, n, n->input(0), transposedKey(b, n->input(1), static_cast<size_t>(*rank)), n->input(2), dtype);
}

Value* transposed(opset::Builder& b, Value* x, std::vector<int64_t> perm, std::string_view hint) {
  Node* t = b.node("Transpose", {x}, hint);
  t->setAttr("perm", Attribute(std::move(perm)));
  return t->output(0);
}

/// Whether `y`'s one use is a Reshape to a constant shape without 0 (copy) entries: that Reshape
/// can read the heads directly, so the head merge needs no Reshape of its own (the node count of
/// torch's export, where the merge Reshape flattens straight to [S*B, E]).
bool mergesIntoReshape(const Value* y) {
  if (y->isGraphOutput() || y->uses().size() != 1) return false;
  const Node* user = y->uses()[0].user;
  if (!user || user->opType() != "Reshape" || !user->domain().empty() || y->uses()[0].index != 0) return false;
  const Tensor* shape = user->numInputs() > 1 ? opset::constantTensor(user->input(1)) : nullptr;
  if (!shape || user->intAttr("allowzero", 0) != 0) return false;
  for (int64_t i = 0; i < shape->numElements(); ++i)
    if (shape->scalarAsDouble(i) == 0) return false;
  return true;
}

/// Splits heads, attends per (batch, head), merges heads: the Reshape/Transpose pairs the
/// fusion absorbed, with shapes read from the inputs at run time (0 copies a dim, -1 infers one).
Expected<Value*> expandMultiHeadAttention(opset::Builder& b, Node* n, DType dtype) {
  int64_t heads = n->intAttr("num_heads", 0);
  bool sbh = n->stringAttr("layout", "BSH") == "SBH";
  std::vector<int64_t> hidden;
  for (size_t i = 0; i < 3; ++i) {
    auto rank = opset::knownRank(n->input(i));
    const Shape& s = n->input(i)->shape();
    if (!rank || *rank != 3 || !s.dims().back().isStatic() || heads <= 0 || s.dims().back().value() % heads != 0)
      return Status::nodeError(n->name(), n->qualifiedOp(), "Q, K, V must be 3-D with a static last dim divisible by num_heads");
    hidden.push_back(s.dims().back().value());
  }
  auto split = [&](Value* x, int64_t width, std::vector<int64_t> perm, std::string_view hint) {
    std::vector<int64_t> shape = sbh ? std::vector<int64_t>{0, -1, width / heads} : std::vector<int64_t>{0, 0, heads, width / heads};
    return transposed(b, b.op("Reshape", {x, b.int64s(shape, "heads_shape")}, hint), std::move(perm), hint);
  };
  Value* q = split(n->input(0), hidden[0], sbh ? std::vector<int64_t>{1, 0, 2} : std::vector<int64_t>{0, 2, 1, 3}, "q_heads");
  Value* kt = split(n->input(1), hidden[1], sbh ? std::vector<int64_t>{1, 2, 0} : std::vector<int64_t>{0, 2, 3, 1}, "k_heads");
  Value* v = split(n->input(2), hidden[2], sbh ? std::vector<int64_t>{1, 0, 2} : std::vector<int64_t>{0, 2, 1, 3}, "v_heads");
  Value* o = attentionCore(b, n, q, kt, v, dtype);
  o = transposed(b, o, sbh ? std::vector<int64_t>{1, 0, 2} : std::vector<int64_t>{0, 2, 1, 3}, "merged_heads");
  if (mergesIntoReshape(n->output(0))) return o;
  std::vector<int64_t> merged = sbh ? std::vector<int64_t>{0, -1, hidden[2]} : std::vector<int64_t>{0, 0, hidden[2]};
  return b.op("Reshape", {o, b.int64s(merged, "merged_shape")}, "merged");
}

Expected<Value*> expandRmsNorm(opset::Builder& b, Node* n, DType dtype) {
  auto rank = opset::knownRank(n->input(0));
  if (!rank) return Status::nodeError(n->name(), n->qualifiedOp(), "input rank is not known");
  int64_t axis = n->intAttr("axis", -1);
  if (axis < 0) axis += *rank;
  std::vector<int64_t> axes;
  for (int64_t a = axis; a < *rank; ++a) axes.push_back(a);
  Value* x = n->input(0);
  Value* sq = b.op("Pow", {x, scalarConst(b, dtype, 2.0, "two")}, "square");
  Node* mean = b.node("ReduceMean", {sq, b.int64s(axes, "axes")}, "mean_square");
  mean->setAttr("keepdims", Attribute(int64_t{1}));
  Value* v = b.op("Add", {mean->output(0), scalarConst(b, dtype, n->floatAttr("epsilon", 1e-5f), "epsilon")}, "plus_eps");
  Value* y = b.op("Div", {x, b.op("Sqrt", {v}, "rms")}, "normalized");
  return b.op("Mul", {y, n->input(1)}, "scaled");
}

/// Inlines the body of a FusedElementwise: its nodes, in order, reading the node's inputs.
Expected<Value*> expandFusedElementwise(opset::Builder& b, Node* n, opset::NameGen& names) {
  const Graph& body = n->attr("body")->g();
  std::unordered_map<const Value*, Value*> map;
  for (size_t i = 0; i < body.numInputs(); ++i) map[body.input(i)] = n->input(i);
  for (const Node* inner : body.nodes()) {
    std::vector<Value*> ins;
    for (const Value* v : inner->inputs()) ins.push_back(v ? map.at(v) : nullptr);
    Node* c = n->graph()->createNode(inner->domain(), inner->opType(), ins, n);
    c->setSchema(inner->schema());
    c->setName(names.fresh(inner->name().empty() ? n->name() + "_part" : inner->name()));
    c->location() = n->location();
    for (const auto& [name, a] : inner->attributes()) c->setAttr(name, a);
    map[inner->output(0)] = c->addOutput(names.fresh(inner->output(0)->name()), inner->output(0)->type());
  }
  (void)b;
  return map.at(body.output(0));
}

}  // namespace

bool hasKilnExpansion(const Node& node) {
  if (node.domain() != "kiln") return false;
  const std::string& op = node.opType();
  return op == "FusedConv" || op == "Attention" || op == "MultiHeadAttention" || op == "RMSNorm" || op == "Silu" || op == "FusedElementwise";
}

Status expandKilnNode(Node* node, opset::NameGen& names) {
  opset::Builder b(names, node);
  DType dtype = opset::knownDType(node->input(0));
  const std::string& op = node->opType();
  // A FusedElementwise body keeps its own types (a group may start at a boolean Where).
  if (!isFloat(dtype) && op != "FusedElementwise")
    return Status::nodeError(node->name(), node->qualifiedOp(), "element type is not a known float type");
  Expected<Value*> y = Status::error("no expansion");
  if (op == "FusedConv") y = expandFusedConv(b, node, dtype);
  else if (op == "Attention") y = expandAttention(b, node, dtype);
  else if (op == "MultiHeadAttention") y = expandMultiHeadAttention(b, node, dtype);
  else if (op == "RMSNorm") y = expandRmsNorm(b, node, dtype);
  else if (op == "FusedElementwise") y = expandFusedElementwise(b, node, names);
  else if (op == "Silu") y = b.op("Mul", {node->input(0), b.op("Sigmoid", {node->input(0)}, "sigmoid")}, "silu");
  if (!y) return y.takeStatus();
  std::vector<Node*> created = b.created();
  std::vector<Value*> inputs = node->inputs();
  opset::replaceNodeWith(node, {*y});
  // A Transpose merged into the key's transpose is dead now.
  for (Value* v : inputs) {
    Node* p = v ? v->producer() : nullptr;
    if (p && p->opType() == "Transpose" && p->domain().empty() && !v->hasUses()) p->graph()->eraseNode(p);
  }
  for (Node* c : created) KILN_RETURN_IF_ERROR(inferNodeShapes(*c));
  return Status::ok();
}

namespace {
Status expandGraph(Graph& g, opset::NameGen& names) {
  // A FusedElementwise body may hold kiln ops (Silu) that its inlining brings out: repeat.
  for (bool again = true; again;) {
    again = false;
    std::vector<Node*> snapshot(g.nodes().begin(), g.nodes().end());
    for (Node* n : snapshot) {
      if (hasKilnExpansion(*n)) {
        again |= n->opType() == "FusedElementwise";
        KILN_RETURN_IF_ERROR(expandKilnNode(n, names));
        continue;
      }
      for (Graph* sub : n->subgraphs()) KILN_RETURN_IF_ERROR(expandGraph(*sub, names));
    }
  }
  return Status::ok();
}
}  // namespace

Status expandKilnOps(Model& model) {
  opset::NameGen names(model);
  KILN_RETURN_IF_ERROR(expandGraph(*model.graph, names));
  for (Function& f : model.functions)
    if (f.body) KILN_RETURN_IF_ERROR(expandGraph(*f.body, names));
  return Status::ok();
}

}  // namespace kiln
