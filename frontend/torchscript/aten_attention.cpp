// Torch's fused transformer fast paths, which nn.TransformerEncoderLayer and
// nn.MultiheadAttention take when traced in eval mode under torch.no_grad():
// aten::_transformer_encoder_layer_fwd, aten::_native_multi_head_attention, and the nested
// tensors nn.TransformerEncoder packs a src_key_padding_mask into
// (aten::_nested_tensor_from_mask ... aten::to_padded_tensor). They lower to the same canonical
// ops as the unfused path: MatMul/Add projections, scaled dot-product attention with the mask,
// Softmax, LayerNormalization, Relu/Gelu.

#include <cmath>
#include <limits>

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;
using Ints = std::vector<int64_t>;

/// The projection weights of torch's fused attention: a packed [3E, E] in-projection and the
/// [E, E] out-projection.
struct AttentionParams {
  int64_t embed = 0;
  int64_t heads = 0;
  Value *qkvWeight = nullptr, *qkvBias = nullptr, *projWeight = nullptr, *projBias = nullptr;
};

/// x W^T + b, as aten::linear lowers for batched inputs.
Value* linear(LoweringContext& ctx, Value* x, Value* w, Value* b) {
  Value* y = ctx.emit("MatMul", {x, ctx.emit("Transpose", {w}, {{"perm", Ints{1, 0}}})});
  return b ? ctx.emit("Add", {y, b}) : y;
}

/// [B, L, E] -> [B, H, L, D]
Value* splitHeads(LoweringContext& ctx, Value* x, const AttentionParams& p) {
  Value* r = ctx.emit("Reshape", {x, ctx.i64s({0, 0, p.heads, p.embed / p.heads})});
  return ctx.emit("Transpose", {r}, {{"perm", Ints{0, 2, 1, 3}}});
}

/// A bool "ignore" mask (or an additive float mask) applied to scores [B, H, L, S]; `axes` are
/// the axes to unsqueeze the mask with so it broadcasts.
Value* applyMask(LoweringContext& ctx, Value* scores, Value* mask, const Ints& axes) {
  Value* m = axes.empty() ? mask : ctx.emit("Unsqueeze", {mask, ctx.i64s(axes)});
  if (mask->dtype() == DType::Bool)
    return ctx.emit("Where", {m, ctx.scalar(-std::numeric_limits<double>::infinity(), scores->dtype()), scores});
  return ctx.emit("Add", {scores, ctx.cast(m, scores->dtype())});
}

struct AttentionResult {
  Value* output;  ///< [B, L, E]
  Value* probs;   ///< softmax probabilities [B, H, L, S]
};

/// Multi-head attention as torch's native kernel computes it: q scaled by 1/sqrt(D) before
/// q k^T, the mask, softmax, the value product, heads merged, the out-projection.
/// `keyPadding` is [B, S] (true or -inf: ignore the key), `attnMask` [L, S]; either may be null.
AttentionResult attention(LoweringContext& ctx, Value* query, Value* key, Value* value, const AttentionParams& p,
                          Value* keyPadding, Value* attnMask) {
  Value *q, *k, *v;
  if (query == key && key == value) {
    Value* qkv = linear(ctx, query, p.qkvWeight, p.qkvBias);
    kiln::Node* split = ctx.emitNode("Split", {qkv, ctx.i64s({p.embed, p.embed, p.embed})}, {{"axis", int64_t{-1}}}, 3);
    q = split->output(0), k = split->output(1), v = split->output(2);
  } else {
    Ints thirds{p.embed, p.embed, p.embed};
    kiln::Node* w = ctx.emitNode("Split", {p.qkvWeight, ctx.i64s(thirds)}, {{"axis", int64_t{0}}}, 3);
    kiln::Node* b = p.qkvBias ? ctx.emitNode("Split", {p.qkvBias, ctx.i64s(thirds)}, {{"axis", int64_t{0}}}, 3) : nullptr;
    q = linear(ctx, query, w->output(0), b ? b->output(0) : nullptr);
    k = linear(ctx, key, w->output(1), b ? b->output(1) : nullptr);
    v = linear(ctx, value, w->output(2), b ? b->output(2) : nullptr);
  }
  DType dt = query->dtype();
  double scale = 1.0 / std::sqrt(static_cast<double>(p.embed / p.heads));
  Value* qh = ctx.emit("Mul", {splitHeads(ctx, q, p), ctx.scalar(scale, dt)});
  Value* kT = ctx.emit("Transpose", {ctx.emit("Reshape", {k, ctx.i64s({0, 0, p.heads, p.embed / p.heads})})},
                       {{"perm", Ints{0, 2, 3, 1}}});
  Value* scores = ctx.emit("MatMul", {qh, kT});
  if (keyPadding) scores = applyMask(ctx, scores, keyPadding, {1, 2});
  if (attnMask) scores = applyMask(ctx, scores, attnMask, {});
  Value* probs = ctx.emit("Softmax", {scores}, {{"axis", int64_t{-1}}});
  Value* ctxHeads = ctx.emit("MatMul", {probs, splitHeads(ctx, v, p)});
  Value* merged = ctx.emit("Reshape", {ctx.emit("Transpose", {ctxHeads}, {{"perm", Ints{0, 2, 1, 3}}}),
                                       ctx.i64s({0, 0, p.embed})});
  return {linear(ctx, merged, p.projWeight, p.projBias), probs};
}

Expected<AttentionParams> readParams(LoweringContext& ctx, const Node& n, size_t embedAt, size_t firstWeight) {
  AttentionParams p;
  auto embed = ctx.constInt(n.input(embedAt));
  auto heads = ctx.constInt(n.input(embedAt + 1));
  if (!embed) return embed.takeStatus();
  if (!heads) return heads.takeStatus();
  if (*heads <= 0 || *embed % *heads != 0)
    return ctx.error("embed_dim " + std::to_string(*embed) + " is not a multiple of num_heads " + std::to_string(*heads));
  p.embed = *embed, p.heads = *heads;
  Value** slots[] = {&p.qkvWeight, &p.qkvBias, &p.projWeight, &p.projBias};
  for (size_t i = 0; i < 4; ++i) {
    const torch::jit::Value* tv = n.input(firstWeight + i);
    if (ctx.isNone(tv)) continue;
    auto v = ctx.tensor(tv);
    if (!v) return v.takeStatus();
    *slots[i] = *v;
  }
  if (!p.qkvWeight || !p.projWeight) return ctx.error("the attention projection weights must be given");
  return p;
}

/// The fused paths' (mask, mask_type) pair: mask_type 1 is a [B, S] key padding mask, 0 an
/// [L, S] attention mask.
Status readMask(LoweringContext& ctx, const torch::jit::Value* maskTv, const torch::jit::Value* typeTv,
                Value*& keyPadding, Value*& attnMask) {
  if (!maskTv || ctx.isNone(maskTv)) return Status::ok();
  auto mask = ctx.tensor(maskTv);
  if (!mask) return mask.takeStatus();
  int64_t type = -1;
  if (typeTv && !ctx.isNone(typeTv)) {
    auto t = ctx.constInt(typeTv);
    if (!t) return t.takeStatus();
    type = *t;
  }
  if (type == 1 && LoweringContext::rankOf(*mask) == 2) {
    keyPadding = *mask;
    return Status::ok();
  }
  if (type == 0 && LoweringContext::rankOf(*mask) == 2) {
    attnMask = *mask;
    return Status::ok();
  }
  return ctx.error("only a 2-D key padding mask (mask_type 1) or a 2-D attention mask (mask_type 0) is supported");
}

// _native_multi_head_attention(query, key, value, embed_dim, num_head, qkv_weight, qkv_bias,
//   proj_weight, proj_bias, mask?, need_weights, average_attn_weights, mask_type?)
Status lowerNativeMultiHeadAttention(LoweringContext& ctx, const Node& n) {
  auto qkv = lowerInputs(ctx, n, {0, 1, 2});
  if (!qkv) return qkv.takeStatus();
  auto p = readParams(ctx, n, 3, 5);
  if (!p) return p.takeStatus();
  Value *keyPadding = nullptr, *attnMask = nullptr;
  KILN_RETURN_IF_ERROR(readMask(ctx, n.input(9), n.input(12), keyPadding, attnMask));
  auto needWeights = ctx.constBool(n.input(10));
  auto average = ctx.constBool(n.input(11));
  if (!needWeights) return needWeights.takeStatus();
  if (!average) return average.takeStatus();
  for (Value* x : *qkv)
    if (LoweringContext::rankOf(x) != 3) return ctx.error("query, key and value must be batched [B, L, E] tensors");
  AttentionResult r = attention(ctx, (*qkv)[0], (*qkv)[1], (*qkv)[2], *p, keyPadding, attnMask);
  ctx.define(n.output(0), r.output);
  // need_weights=False returns an empty tensor, which no model reads; it is left undefined.
  if (*needWeights)
    ctx.define(n.output(1), *average ? ctx.emit("ReduceMean", {r.probs, ctx.i64s({1})}, {{"keepdims", int64_t{0}}})
                                     : r.probs);
  return Status::ok();
}

// _transformer_encoder_layer_fwd(src, embed_dim, num_heads, qkv_weight, qkv_bias, proj_weight,
//   proj_bias, use_gelu, norm_first, eps, norm_weight_1, norm_bias_1, norm_weight_2,
//   norm_bias_2, ffn_weight_1, ffn_bias_1, ffn_weight_2, ffn_bias_2, mask?, mask_type?)
Status lowerTransformerEncoderLayer(LoweringContext& ctx, const Node& n) {
  auto src = ctx.tensor(n.input(0));
  if (!src) return src.takeStatus();
  if (LoweringContext::rankOf(*src) != 3) return ctx.error("src must be a batched [B, S, E] tensor");
  auto p = readParams(ctx, n, 1, 3);
  if (!p) return p.takeStatus();
  auto useGelu = ctx.constBool(n.input(7));
  auto normFirst = ctx.constBool(n.input(8));
  auto eps = ctx.constDouble(n.input(9));
  auto w = lowerInputs(ctx, n, {10, 11, 12, 13, 14, 15, 16, 17});
  if (!useGelu) return useGelu.takeStatus();
  if (!normFirst) return normFirst.takeStatus();
  if (!eps) return eps.takeStatus();
  if (!w) return w.takeStatus();
  Value *keyPadding = ctx.nestedPadding(*src), *attnMask = nullptr;
  if (n.inputs().size() > 18) KILN_RETURN_IF_ERROR(readMask(ctx, n.input(18), n.input(19), keyPadding, attnMask));

  const std::vector<Value*>& ws = *w;
  auto norm = [&](Value* x, size_t i) {
    return ctx.emit("LayerNormalization", {x, ws[i], ws[i + 1]},
                    {{"axis", int64_t{-1}}, {"epsilon", static_cast<float>(*eps)}});
  };
  Value* x = *src;
  Value* attnIn = *normFirst ? norm(x, 0) : x;
  x = ctx.emit("Add", {attention(ctx, attnIn, attnIn, attnIn, *p, keyPadding, attnMask).output, x});
  if (!*normFirst) x = norm(x, 0);
  Value* ffnIn = *normFirst ? norm(x, 2) : x;
  Value* hidden = linear(ctx, ffnIn, ws[4], ws[5]);
  hidden = *useGelu ? ctx.emit("Gelu", {hidden}, {{"approximate", std::string("none")}}) : ctx.emit("Relu", {hidden});
  x = ctx.emit("Add", {linear(ctx, hidden, ws[6], ws[7]), x});
  if (!*normFirst) x = norm(x, 2);
  ctx.define(n.output(), x);
  if (keyPadding && keyPadding == ctx.nestedPadding(*src)) ctx.setNestedPadding(x, keyPadding);
  return Status::ok();
}

// _nested_tensor_from_mask(t [B, S, ...], mask [B, S] (true: valid), mask_check): item b of the
// nested tensor is the first sum(mask[b]) rows of t[b] (torch counts the mask, it does not
// select by it; nn.TransformerEncoder checks that the mask is left-aligned first). The nested
// tensor is kept padded: t as it is, with a padding mask [B, S] (true: beyond the item's length)
// travelling with the value.
Status lowerNestedFromMask(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 1});
  if (!xs) return xs.takeStatus();
  Value *t = (*xs)[0], *valid = (*xs)[1];
  auto rank = LoweringContext::rankOf(t);
  if (!rank || *rank < 2 || LoweringContext::rankOf(valid) != 2)
    return ctx.error("expects a tensor of rank >= 2 and a [B, S] mask");
  Value* seq = ctx.emit("Gather", {ctx.emit("Shape", {t}), ctx.i64(1)}, {{"axis", int64_t{0}}});
  Value* positions = ctx.emit("Range", {ctx.i64(0), seq, ctx.i64(1)});
  Value* lengths = ctx.emit("ReduceSum", {ctx.cast(valid, DType::Int64), ctx.i64s({1})}, {{"keepdims", int64_t{1}}});
  Value* nested = ctx.emit("Identity", {t});  // its own value: t may be used as a plain tensor too
  ctx.define(n.output(), nested);
  ctx.setNestedPadding(nested, ctx.emit("Not", {ctx.emit("Less", {positions, lengths})}));
  return Status::ok();
}

// to_padded_tensor(nested, padding, output_size?): padding written where the nested tensor has
// no element, cut to the longest item's length as torch does.
Status lowerToPaddedTensor(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  Value* padding = ctx.nestedPadding(*x);
  if (!padding) return ctx.error("the input is not a nested tensor made by aten::_nested_tensor_from_mask");
  if (n.inputs().size() > 2 && !ctx.isNone(n.input(2))) return ctx.error("output_size is not supported");
  auto fill = ctx.constDouble(n.input(1));
  if (!fill) return fill.takeStatus();
  auto rank = LoweringContext::rankOf(*x);
  Ints trailing;
  for (int64_t a = 2; a < *rank; ++a) trailing.push_back(a);
  Value* m = trailing.empty() ? padding : ctx.emit("Unsqueeze", {padding, ctx.i64s(trailing)});
  Value* filled = ctx.emit("Where", {m, ctx.scalar(*fill, (*x)->dtype()), *x});
  Value* lengths = ctx.emit("ReduceSum", {ctx.cast(ctx.emit("Not", {padding}), DType::Int64), ctx.i64s({1})},
                            {{"keepdims", int64_t{0}}});
  Value* longest = ctx.emit("ReduceMax", {lengths, ctx.i64s({0})}, {{"keepdims", int64_t{1}}});
  ctx.define(n.output(), ctx.emit("Slice", {filled, ctx.i64s({0}), longest, ctx.i64s({1})}));
  return Status::ok();
}

}  // namespace

void registerAttentionConverters(ConverterTable& t) {
  t["aten::_native_multi_head_attention"] = lowerNativeMultiHeadAttention;
  t["aten::_transformer_encoder_layer_fwd"] = lowerTransformerEncoderLayer;
  t["aten::_nested_tensor_from_mask"] = lowerNestedFromMask;
  t["aten::to_padded_tensor"] = lowerToPaddedTensor;
}

}  // namespace kiln::torchscript
