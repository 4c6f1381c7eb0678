// Recurrent layers: aten::lstm and aten::gru, one ONNX LSTM / GRU node per layer. PyTorch
// orders the gates i,f,g,o (LSTM) and r,z,n (GRU); ONNX wants i,o,f,c and z,r,h, so the frozen
// weights are reordered here.

#include <ATen/ATen.h>

#include "frontend/torchscript/aten_converters.h"
#include "frontend/torchscript/tensor_conversion.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;

Expected<std::vector<at::Tensor>> constantTensors(LoweringContext& ctx, const torch::jit::Value* list) {
  if (auto iv = ctx.constantOf(list); iv && iv->isTensorList()) return iv->toTensorVector();
  std::vector<at::Tensor> out;
  if (list->node()->kind() != c10::prim::ListConstruct) return ctx.error("the RNN weights must be constants (freeze the module)");
  for (const torch::jit::Value* in : list->node()->inputs()) {
    auto iv = ctx.constantOf(in);
    if (!iv || !iv->isTensor()) return ctx.error("the RNN weights must be constants (freeze the module)");
    out.push_back(iv->toTensor());
  }
  return out;
}

/// Rows of `w` regrouped from PyTorch's gate order into ONNX's: `order[k]` is the PyTorch
/// gate that goes to ONNX position k.
at::Tensor reorderGates(const at::Tensor& w, const std::vector<int>& order) {
  auto chunks = w.chunk(static_cast<int64_t>(order.size()), 0);
  std::vector<at::Tensor> parts;
  for (int k : order) parts.push_back(chunks[k]);
  return at::cat(parts, 0);
}

struct RnnKind {
  std::string op;
  std::vector<int> gateOrder;
  int numStates;  ///< LSTM: h and c; GRU: h
};

Status lowerRnn(LoweringContext& ctx, const Node& n, const RnnKind& kind) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  std::vector<Value*> states;
  if (kind.numStates == 1) {
    auto h = ctx.tensor(n.input(1));
    if (!h) return h.takeStatus();
    states.push_back(*h);
  } else {
    auto hs = ctx.tensorList(n.input(1));
    if (!hs) return hs.takeStatus();
    states = *hs;
  }
  auto params = constantTensors(ctx, n.input(2));
  auto hasBias = ctx.constBool(n.input(3));
  auto layers = ctx.constInt(n.input(4));
  auto bidirectional = ctx.constBool(n.input(7));
  auto batchFirst = ctx.constBool(n.input(8));
  if (!params) return params.takeStatus();
  if (!hasBias) return hasBias.takeStatus();
  if (!layers) return layers.takeStatus();
  if (!bidirectional) return bidirectional.takeStatus();
  if (!batchFirst) return batchFirst.takeStatus();
  const int64_t dirs = *bidirectional ? 2 : 1;
  const size_t perDir = *hasBias ? 4 : 2;
  if (params->size() != size_t(*layers * dirs) * perDir)
    return ctx.error("unexpected number of weights (projections, proj_size, are not supported)");

  Value* seq = *batchFirst ? ctx.emit("Transpose", {*x}, {{"perm", std::vector<int64_t>{1, 0, 2}}}) : *x;
  std::vector<std::vector<Value*>> finalStates(kind.numStates);
  for (int64_t layer = 0; layer < *layers; ++layer) {
    std::vector<at::Tensor> w, r, b;
    int64_t hidden = 0;
    for (int64_t d = 0; d < dirs; ++d) {
      const at::Tensor* p = &(*params)[(layer * dirs + d) * perDir];
      hidden = p[1].size(1);
      w.push_back(reorderGates(p[0], kind.gateOrder));
      r.push_back(reorderGates(p[1], kind.gateOrder));
      b.push_back(*hasBias ? at::cat({reorderGates(p[2], kind.gateOrder), reorderGates(p[3], kind.gateOrder)})
                           : at::zeros({2 * p[0].size(0)}, p[0].options()));
    }
    std::vector<Value*> in;
    for (auto* group : {&w, &r, &b}) {
      auto t = tensorFromTorch(at::stack(*group, 0));
      if (!t) return t.takeStatus();
      in.push_back(ctx.constant(t.take()));
    }
    in = {seq, in[0], in[1], in[2], nullptr};
    for (Value* s : states)  // this layer's rows of the initial states
      in.push_back(ctx.emit("Slice", {s, ctx.i64s({layer * dirs}), ctx.i64s({(layer + 1) * dirs}), ctx.i64s({0})}));
    std::vector<std::pair<std::string, Attribute>> attrs{
        {"hidden_size", hidden}, {"direction", std::string(dirs == 2 ? "bidirectional" : "forward")}};
    if (kind.op == "GRU") attrs.emplace_back("linear_before_reset", int64_t{1});
    kiln::Node* rnn = ctx.emitNode(kind.op, in, std::move(attrs), 1 + kind.numStates);
    // Y: [seq, dirs, batch, hidden] -> [seq, batch, dirs * hidden]
    Value* y = ctx.emit("Transpose", {rnn->output(0)}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
    seq = ctx.emit("Reshape", {y, ctx.i64s({0, 0, -1})});
    for (int s = 0; s < kind.numStates; ++s) finalStates[s].push_back(rnn->output(1 + s));
  }
  ctx.define(n.output(0), *batchFirst ? ctx.emit("Transpose", {seq}, {{"perm", std::vector<int64_t>{1, 0, 2}}}) : seq);
  for (int s = 0; s < kind.numStates && size_t(s + 1) < n.outputs().size(); ++s) {
    auto& parts = finalStates[s];
    ctx.define(n.output(1 + s), parts.size() == 1 ? parts[0] : ctx.emit("Concat", parts, {{"axis", int64_t{0}}}));
  }
  return Status::ok();
}

}  // namespace

void registerRnnConverters(ConverterTable& t) {
  t["aten::lstm"] = [](LoweringContext& ctx, const Node& n) { return lowerRnn(ctx, n, {"LSTM", {0, 3, 1, 2}, 2}); };
  t["aten::gru"] = [](LoweringContext& ctx, const Node& n) { return lowerRnn(ctx, n, {"GRU", {1, 0, 2}, 1}); };
}

}  // namespace kiln::torchscript
