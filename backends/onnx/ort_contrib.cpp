// kiln fused ops -> ONNX Runtime contrib ops (com.microsoft, ORT 1.30's CPU kernels). Each
// rewrite states when the contrib op means exactly what the kiln op means; otherwise the node
// is left for the standard expansion.

#include "backends/onnx/ort_contrib.h"

#include <vector>

#include "ir/op_registry.h"
#include "ir/opset_rewrite.h"
#include "ir/shape_inference.h"

namespace kiln::onnx_backend {
namespace {

using opset::Builder;
using opset::NameGen;

bool onlyUse(const Value* v) { return v && !v->isGraphOutput() && v->uses().size() == 1; }

bool isDefaultOp(const Node* n, std::string_view op) { return n && n->domain().empty() && n->opType() == op; }

/// A com.microsoft node before `anchor` with one output of `type`.
Node* contribNode(NameGen& names, Node* anchor, std::string op, std::vector<Value*> inputs, Type type) {
  Node* c = anchor->graph()->createNode(kOrtDomain, op, std::move(inputs), anchor);
  c->setName(names.fresh((anchor->name().empty() ? op : anchor->name()) + "_ort"));
  c->location() = anchor->location();
  c->addOutput(names.fresh(anchor->output(0)->name() + "_ort"), std::move(type));
  return c;
}

Value* transposed(Builder& b, Value* x, std::vector<int64_t> perm, std::string_view hint) {
  Node* t = b.node("Transpose", {x}, hint);
  t->setAttr("perm", Attribute(std::move(perm)));
  return t->output(0);
}

/// Replaces `n` by `y` (output 0; further outputs must be unused), infers the default-domain
/// nodes `b` made, and erases `dead` producers left without uses.
Status finish(Node* n, Value* y, Builder& b, std::vector<Node*> dead = {}) {
  std::vector<Value*> outs(n->numOutputs(), nullptr);
  outs[0] = y;
  opset::replaceNodeWith(n, outs);
  for (Node* c : b.created()) KILN_RETURN_IF_ERROR(inferNodeShapes(*c));
  for (Node* d : dead)
    if (d && !d->output(0)->hasUses()) d->graph()->eraseNode(d);
  return Status::ok();
}

// ---- attention -------------------------------------------------------------------------

/// How a kiln attention node maps onto com.microsoft.MultiHeadAttention, which takes
/// [B, S, H*D] inputs and an additive attention_bias [B or 1, H or 1, S, L].
struct AttentionPlan {
  int64_t heads = 1;
  bool transposeIO = false;  ///< SBH: [S, B, E] in and out
  bool scores3d = false;     ///< the mask is in the [B*H, S, L] view of the scores
  int64_t batch = 0, seq = 0, kvSeq = 0;
};

std::optional<AttentionPlan> planAttention(const Node* n) {
  for (size_t i = 0; i < 3; ++i)
    if (opset::knownDType(n->input(i)) != DType::Float32 || opset::knownRank(n->input(i)) != 3) return std::nullopt;
  auto q = opset::staticDims(n->input(0)), k = opset::staticDims(n->input(1)), v = opset::staticDims(n->input(2));
  if (!q || !k || !v || (*q)[2] != (*k)[2] || (*q)[2] != (*v)[2]) return std::nullopt;  // ORT's CPU kernel: one hidden size
  AttentionPlan p;
  if (n->opType() == "Attention") {  // 3-D kiln.Attention: one head per batch entry
    p.scores3d = true;
    p.batch = (*q)[0], p.seq = (*q)[1], p.kvSeq = (*k)[1];
  } else {
    p.heads = n->intAttr("num_heads", 0);
    bool sbh = n->stringAttr("layout", "BSH") == "SBH";
    p.transposeIO = p.scores3d = sbh;
    p.batch = (*q)[sbh ? 1 : 0], p.seq = (*q)[sbh ? 0 : 1], p.kvSeq = (*k)[sbh ? 0 : 1];
  }
  if (p.heads <= 0 || (*q)[2] % p.heads != 0) return std::nullopt;
  Value* mask = n->numInputs() > 3 ? n->input(3) : nullptr;
  if (!mask) return p;
  // A boolean mask replaces scores (masked_fill); ORT's masks add a filter value: not exact.
  auto m = opset::staticDims(mask);
  if (opset::knownDType(mask) != DType::Float32 || !m || m->size() > (p.scores3d ? 3u : 4u)) return std::nullopt;
  return p;
}

/// The mask as attention_bias: padded to the scores' rank, broadcast over the query and key
/// axes (ORT broadcasts only batch and head), and for [B*H, S, L] scores split into [B, H].
Value* attentionBias(Builder& b, Value* mask, const AttentionPlan& p) {
  std::vector<int64_t> m = *opset::staticDims(mask);
  size_t rank = p.scores3d ? 3 : 4;
  m.insert(m.begin(), rank - m.size(), 1);
  std::vector<int64_t> full = m;
  full[rank - 2] = p.seq, full[rank - 1] = p.kvSeq;
  Value* x = mask->shape().rank() == rank ? mask : b.op("Reshape", {mask, b.int64s(m, "bias_rank")}, "bias_rank");
  if (full != m) x = b.op("Expand", {x, b.int64s(full, "bias_full")}, "bias_full");
  if (!p.scores3d) return x;
  std::vector<int64_t> split = full[0] == 1 ? std::vector<int64_t>{1, 1, p.seq, p.kvSeq}
                                            : std::vector<int64_t>{p.batch, p.heads, p.seq, p.kvSeq};
  return b.op("Reshape", {x, b.int64s(split, "bias_heads")}, "attention_bias");
}

Expected<bool> lowerAttention(Node* n, NameGen& names) {
  auto plan = planAttention(n);
  if (!plan) return false;
  Builder b(names, n);
  std::vector<Value*> in;
  for (size_t i = 0; i < 3; ++i)
    in.push_back(plan->transposeIO ? transposed(b, n->input(i), {1, 0, 2}, "bsh") : n->input(i));
  if (Value* mask = n->numInputs() > 3 ? n->input(3) : nullptr) {
    in.push_back(nullptr);  // bias
    in.push_back(nullptr);  // key_padding_mask
    in.push_back(attentionBias(b, mask, *plan));
  }
  // Inputs first: the contrib node's output type comes from their (inferred) shapes.
  for (Node* c : b.created()) KILN_RETURN_IF_ERROR(inferNodeShapes(*c));
  std::vector<Dim> dims(in[0]->shape().dims().begin(), in[0]->shape().dims().end());
  dims.back() = in[2]->shape().dims().back();
  Node* mha = contribNode(names, n, "MultiHeadAttention", in, Type::tensor(DType::Float32, Shape(std::move(dims))));
  mha->setAttr("num_heads", Attribute(plan->heads));
  mha->setAttr("scale", Attribute(n->floatAttr("scale", 1.0f)));
  Builder after(names, n);
  Value* y = plan->transposeIO ? transposed(after, mha->output(0), {1, 0, 2}, "sbh") : mha->output(0);
  KILN_RETURN_IF_ERROR(finish(n, y, after));
  return true;
}

// ---- Gelu ------------------------------------------------------------------------------

/// Gelu(x [+ bias]): com.microsoft.Gelu (erf), BiasGelu (erf with a 1-D bias over the last
/// axis), FastGelu (tanh, bias optional).
Expected<bool> lowerGelu(Node* n, NameGen& names) {
  Value* x = n->input(0);
  if (opset::knownDType(x) != DType::Float32) return false;
  bool tanh = n->stringAttr("approximate", "none") == "tanh";
  Value* bias = nullptr;
  Node* add = x->producer();
  if (isDefaultOp(add, "Add") && onlyUse(x)) {
    for (size_t i = 0; i < 2 && !bias; ++i) {
      Value* c = add->input(i);
      Value* other = add->input(1 - i);
      auto cd = opset::staticDims(c), od = opset::staticDims(other);
      if (opset::constantTensor(c) && cd && od && cd->size() == 1 && !od->empty() && (*cd)[0] == od->back() &&
          other->shape() == x->shape() && opset::knownDType(c) == DType::Float32)
        bias = c, x = other;
    }
  }
  std::vector<Value*> in = {x};
  if (bias) in.push_back(bias);
  std::string op = tanh ? "FastGelu" : bias ? "BiasGelu" : "Gelu";
  Node* g = contribNode(names, n, op, in, n->output(0)->type());
  Builder none(names, n);
  KILN_RETURN_IF_ERROR(finish(n, g->output(0), none, {bias ? add : nullptr}));
  return true;
}

// ---- SkipLayerNormalization ------------------------------------------------------------

/// LayerNormalization(a + b) over the last axis, a and b of one 3-D shape ->
/// com.microsoft.SkipLayerNormalization(a, b, gamma, beta).
Expected<bool> lowerSkipLayerNorm(Node* n, NameGen& names) {
  for (size_t i = 1; i < n->numOutputs(); ++i)
    if (n->output(i) && n->output(i)->hasUses()) return false;  // Mean / InvStdDev wanted
  Value* x = n->input(0);
  Node* add = x->producer();
  if (!isDefaultOp(add, "Add") || !onlyUse(x) || opset::knownDType(x) != DType::Float32) return false;
  Value *a = add->input(0), *s = add->input(1);
  if (opset::knownRank(x) != 3 || !(a->shape() == x->shape()) || !(s->shape() == x->shape())) return false;
  int64_t axis = n->intAttr("axis", -1);
  if (axis != -1 && axis != 2) return false;
  Value* gamma = n->input(1);
  Value* beta = n->numInputs() > 2 ? n->input(2) : nullptr;
  if (opset::knownRank(gamma) != 1 || (beta && opset::knownRank(beta) != 1)) return false;
  std::vector<Value*> in = {a, s, gamma};
  if (beta) in.push_back(beta);
  Node* sln = contribNode(names, n, "SkipLayerNormalization", in, n->output(0)->type());
  sln->setAttr("epsilon", Attribute(n->floatAttr("epsilon", 1e-5f)));
  Builder none(names, n);
  KILN_RETURN_IF_ERROR(finish(n, sln->output(0), none, {add}));
  return true;
}

// ---- FusedConv -------------------------------------------------------------------------

/// kiln.FusedConv -> com.microsoft.FusedConv(X, W, B, Z): activation(Conv + Z) with ORT's
/// activations Relu, Sigmoid, LeakyRelu, Clip (none: identity). HardSwish and Silu have no
/// ORT FusedConv activation: those stay kiln ops and are expanded.
Expected<bool> lowerFusedConv(Node* n, NameGen& names) {
  std::string act = n->stringAttr("activation", "");
  if (act != "" && act != "Relu" && act != "Sigmoid" && act != "LeakyRelu" && act != "Clip") return false;
  if (opset::knownDType(n->input(0)) != DType::Float32) return false;
  std::vector<float> params;
  if (const Attribute* p = n->attr("activation_params")) params = p->floats();
  if (act == "LeakyRelu" && params.empty()) params = {0.01f};
  if (act == "Clip" && params.size() != 2) return Status::nodeError(n->name(), n->qualifiedOp(), "Clip activation needs [min, max]");
  Node* c = contribNode(names, n, "FusedConv", n->inputs(), n->output(0)->type());
  for (const char* a : {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})
    if (const Attribute* v = n->attr(a)) c->setAttr(a, *v);
  if (!act.empty()) c->setAttr("activation", Attribute(act));
  if (!params.empty()) c->setAttr("activation_params", Attribute(params));
  Builder none(names, n);
  KILN_RETURN_IF_ERROR(finish(n, c->output(0), none));
  return true;
}

}  // namespace

Expected<size_t> lowerToOnnxRuntimeContribOps(Model& model) {
  // The rules read shapes; a model converted without optimizing may not carry them yet. Where
  // inference fails, shapes stay unknown and the rules that need them do not fire.
  (void)inferShapes(*model.graph);
  NameGen names(model);
  size_t count = 0;
  std::vector<Node*> snapshot(model.graph->nodes().begin(), model.graph->nodes().end());
  for (Node* n : snapshot) {
    Expected<bool> done = false;
    if (n->domain() == "kiln" && (n->opType() == "MultiHeadAttention" || n->opType() == "Attention"))
      done = lowerAttention(n, names);
    else if (n->domain() == "kiln" && n->opType() == "FusedConv")
      done = lowerFusedConv(n, names);
    else if (isDefaultOp(n, "Gelu"))
      done = lowerGelu(n, names);
    else if (isDefaultOp(n, "LayerNormalization"))
      done = lowerSkipLayerNorm(n, names);
    if (!done) return done.takeStatus();
    count += *done ? 1 : 0;
  }
  return count;
}

}  // namespace kiln::onnx_backend
