// kiln's fused ops (domain `kiln`): what passes/fusion produces where the canonical ONNX opset
// has no single op. Their meaning is their expansion into standard ops (ir/kiln_expand.h),
// which the ONNX emitter writes and the reference interpreter runs.

#include <cmath>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// FusedConv's output is Conv's: the registry's Conv inference reads the same attributes.
Status inferFusedConv(InferenceContext& ctx) {
  const OpSchema* conv = OpRegistry::builtin().lookup("", "Conv");
  return conv->inferShapes(ctx);
}

/// Attention: Q [..., Sq, D], K [..., Sk, D], V [..., Sk, Dv] -> [..., Sq, Dv].
Status inferAttention(InferenceContext& ctx) {
  Shape q = shapeOf(ctx.inputType(0)), v = shapeOf(ctx.inputType(2));
  DType dtype = inputDtype(ctx, 0);
  if (!q.isRanked() || !v.isRanked() || q.rank() < 2 || v.rank() < 2) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  std::vector<Dim> dims(q.dims().begin(), q.dims().end());
  dims.back() = v.dims().back();
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(dims))));
  return Status::ok();
}

/// MultiHeadAttention: Q [B, S, H*Dq] (SBH: [S, B, H*Dq]), V [B, L, H*Dv] -> Q's shape with V's
/// last dim.
Status inferMultiHeadAttention(InferenceContext& ctx) {
  Shape q = shapeOf(ctx.inputType(0)), v = shapeOf(ctx.inputType(2));
  DType dtype = inputDtype(ctx, 0);
  if (!q.isRanked() || !v.isRanked() || q.rank() != 3 || v.rank() != 3) {
    ctx.setOutputType(0, Type::tensor(dtype));
    return Status::ok();
  }
  std::vector<Dim> dims(q.dims().begin(), q.dims().end());
  dims.back() = v.dims().back();
  ctx.setOutputType(0, Type::tensor(dtype, Shape(std::move(dims))));
  return Status::ok();
}

}  // namespace

void registerKilnFusedOps(OpRegistry& r) {
  std::vector<AttrSpec> convAttrs = {attrString("auto_pad", "NOTSET"), attrOptional("dilations", AttrKind::Ints),
                                     attrInt("group", 1), attrOptional("kernel_shape", AttrKind::Ints),
                                     attrOptional("pads", AttrKind::Ints), attrOptional("strides", AttrKind::Ints),
                                     attrString("activation", ""), attrOptional("activation_params", AttrKind::Floats)};
  r.add({.domain = "kiln", .name = "FusedConv", .sinceVersion = 1,
         .summary = "activation(Conv(X, W, B) + Z): Z (optional) is a residual of the output's shape; "
                    "activation is '', Relu, Clip (params min, max), HardSwish, Silu, Sigmoid or LeakyRelu (alpha).",
         .minInputs = 2, .maxInputs = 4,
         .attributes = std::move(convAttrs),
         .inferShapes = inferFusedConv,
         .traits = OpTrait::Pure});
  r.add({.domain = "kiln", .name = "Attention", .sinceVersion = 1,
         .summary = "Softmax(scale * Q K^T + mask) V over the last axis; a boolean mask is true where a "
                    "score is replaced by masked_value (torch's masked_fill convention).",
         .minInputs = 3, .maxInputs = 4,
         .attributes = {attrFloat("scale", 1.0f), attrFloat("masked_value", -INFINITY)},
         .inferShapes = inferAttention,
         .traits = OpTrait::Pure});
  r.add({.domain = "kiln", .name = "MultiHeadAttention", .sinceVersion = 1,
         .summary = "Attention over num_heads heads of 3-D Q, K, V: each is split into heads (last axis as "
                    "[num_heads, head_size]), kiln.Attention runs per (batch, head), and the heads merge back "
                    "into the last axis. layout BSH: [batch, seq, hidden]; SBH: [seq, batch, hidden] (torch's "
                    "nn.MultiheadAttention). The mask broadcasts to the scores [batch, heads, S, L] (BSH) or "
                    "[batch*heads, S, L] (SBH).",
         .minInputs = 3, .maxInputs = 4,
         .attributes = {attrRequired("num_heads", AttrKind::Int), attrString("layout", "BSH"), attrFloat("scale", 1.0f),
                        attrFloat("masked_value", -INFINITY)},
         .inferShapes = inferMultiHeadAttention,
         .traits = OpTrait::Pure});
  r.add({.domain = "kiln", .name = "RMSNorm", .sinceVersion = 1,
         .summary = "X / sqrt(mean(X^2 over axes axis..rank-1) + epsilon) * Scale.",
         .minInputs = 2, .maxInputs = 2,
         .attributes = {attrInt("axis", -1), attrFloat("epsilon", 1e-5f)},
         .inferShapes = inferSameAsInput,
         .traits = OpTrait::Pure});
  // No inference function: the output keeps the type of the group's last node, which the pass
  // that built it copied.
  r.add({.domain = "kiln", .name = "FusedElementwise", .sinceVersion = 1,
         .summary = "A group of elementwise ops as one node: `body` maps the inputs to the output.",
         .minInputs = 1, .maxInputs = OpSchema::kVariadic,
         .attributes = {attrRequired("body", AttrKind::Graph)},
         .traits = OpTrait::Pure});
  r.add({.domain = "kiln", .name = "Silu", .sinceVersion = 1,
         .summary = "x * Sigmoid(x) (SiLU, Swish with beta 1).",
         .minInputs = 1, .maxInputs = 1,
         .inferShapes = inferSameAsInput,
         .traits = OpTrait::Elementwise | OpTrait::Pure});
}

}  // namespace kiln
