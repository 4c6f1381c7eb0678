// Layers: convolutions, linear and matrix products, normalizations, softmax, embedding, einsum.

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;
using Attrs = std::vector<std::pair<std::string, Attribute>>;

Expected<Value*> optionalInput(LoweringContext& ctx, const torch::jit::Value* tv) {
  if (!tv || ctx.isNone(tv)) return static_cast<Value*>(nullptr);
  return ctx.tensor(tv);
}

/// Shared by aten::_convolution, conv{1,2,3}d and conv_transpose{1,2,3}d.
struct ConvArgs {
  const torch::jit::Value *input, *weight, *bias, *stride, *padding, *dilation, *outputPadding, *groups;
  bool transposed;
};

Status lowerConv(LoweringContext& ctx, const Node& n, const ConvArgs& a) {
  auto x = ctx.tensor(a.input);
  auto w = ctx.tensor(a.weight);
  if (!x) return x.takeStatus();
  if (!w) return w.takeStatus();
  auto b = optionalInput(ctx, a.bias);
  if (!b) return b.takeStatus();
  auto wRank = LoweringContext::rankOf(*w);
  if (!wRank || *wRank < 3) return ctx.error("the convolution weight must have a known rank of at least 3");
  size_t spatial = static_cast<size_t>(*wRank - 2);
  auto stride = spatialInts(ctx, a.stride, spatial, std::vector<int64_t>(spatial, 1));
  auto dilation = spatialInts(ctx, a.dilation, spatial, std::vector<int64_t>(spatial, 1));
  if (!stride) return stride.takeStatus();
  if (!dilation) return dilation.takeStatus();
  auto groups = a.groups ? ctx.constInt(a.groups) : Expected<int64_t>(int64_t{1});
  if (!groups) return groups.takeStatus();
  Attrs attrs{{"strides", stride.take()}, {"dilations", dilation.take()}, {"group", *groups}};
  if (auto iv = ctx.constantOf(a.padding); iv && iv->isString()) {
    // conv2d(..., padding='same'|'valid'): PyTorch puts the odd pixel at the end, as SAME_UPPER.
    attrs.emplace_back("auto_pad", iv->toStringRef() == "same" ? "SAME_UPPER" : "VALID");
  } else {
    auto pad = spatialInts(ctx, a.padding, spatial, std::vector<int64_t>(spatial, 0));
    if (!pad) return pad.takeStatus();
    std::vector<int64_t> pads = *pad;
    pads.insert(pads.end(), pad->begin(), pad->end());
    attrs.emplace_back("pads", pads);
  }
  if (a.transposed && a.outputPadding) {
    auto op = spatialInts(ctx, a.outputPadding, spatial, std::vector<int64_t>(spatial, 0));
    if (!op) return op.takeStatus();
    attrs.emplace_back("output_padding", op.take());
  }
  std::vector<Value*> in{*x, *w};
  if (*b) in.push_back(*b);
  ctx.define(n.output(), ctx.emit(a.transposed ? "ConvTranspose" : "Conv", in, std::move(attrs)));
  return Status::ok();
}

Status lowerConvolution(LoweringContext& ctx, const Node& n) {
  auto transposed = ctx.constBool(n.input(6));
  if (!transposed) return transposed.takeStatus();
  return lowerConv(ctx, n, {n.input(0), n.input(1), n.input(2), n.input(3), n.input(4), n.input(5), n.input(7),
                            n.input(8), *transposed});
}

Status lowerConvNd(LoweringContext& ctx, const Node& n) {
  return lowerConv(ctx, n, {n.input(0), n.input(1), n.input(2), n.input(3), n.input(4), n.input(5), nullptr,
                            n.input(6), false});
}

// conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)
Status lowerConvTransposeNd(LoweringContext& ctx, const Node& n) {
  return lowerConv(ctx, n, {n.input(0), n.input(1), n.input(2), n.input(3), n.input(4), n.input(7), n.input(5),
                            n.input(6), true});
}

// linear(x, W, b) = x W^T + b
Status lowerLinear(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 1});
  if (!xs) return xs.takeStatus();
  auto b = optionalInput(ctx, n.input(2));
  if (!b) return b.takeStatus();
  Value *x = (*xs)[0], *w = (*xs)[1];
  if (LoweringContext::rankOf(x) == 2 && (!*b || LoweringContext::rankOf(*b) == 1)) {
    std::vector<Value*> in{x, w};
    if (*b) in.push_back(*b);
    ctx.define(n.output(), ctx.emit("Gemm", in, {{"transB", int64_t{1}}}));
    return Status::ok();
  }
  Value* y = ctx.emit("MatMul", {x, ctx.emit("Transpose", {w}, {{"perm", std::vector<int64_t>{1, 0}}})});
  if (*b) y = ctx.emit("Add", {y, *b});
  ctx.define(n.output(), y);
  return Status::ok();
}

Status lowerMatMul(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 1});
  if (!xs) return xs.takeStatus();
  ctx.define(n.output(), ctx.emit("MatMul", {(*xs)[0], (*xs)[1]}));
  return Status::ok();
}

/// beta * self + alpha * (a @ b), for addmm (Gemm) and baddbmm / addbmm-like forms.
Status lowerAddMatMul(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 1, 2});
  if (!xs) return xs.takeStatus();
  double beta = 1, alpha = 1;
  if (const auto* tv = namedInput(n, "beta")) {
    auto d = ctx.constDouble(tv);
    if (!d) return d.takeStatus();
    beta = *d;
  }
  if (const auto* tv = namedInput(n, "alpha")) {
    auto d = ctx.constDouble(tv);
    if (!d) return d.takeStatus();
    alpha = *d;
  }
  Value *self = (*xs)[0], *a = (*xs)[1], *b = (*xs)[2];
  DType dt = a->dtype();
  Value* prod = ctx.emit("MatMul", {a, b});
  if (alpha != 1) prod = ctx.emit("Mul", {prod, ctx.scalar(alpha, dt)});
  Value* bias = beta == 1 ? self : ctx.emit("Mul", {self, ctx.scalar(beta, dt)});
  ctx.define(n.output(), beta == 0 ? prod : ctx.emit("Add", {prod, bias}));
  return Status::ok();
}

/// A 1-D per-channel parameter, or ones/zeros of `channels` when the module has none.
Expected<Value*> channelParam(LoweringContext& ctx, const torch::jit::Value* tv, std::optional<int64_t> channels,
                              float fill, DType dtype) {
  auto v = optionalInput(ctx, tv);
  if (!v || *v) return v;
  if (!channels) return ctx.error("the channel count must be static when the layer has no affine parameters");
  Tensor t = Tensor::fromVector<float>(DType::Float32, {*channels}, std::vector<float>(*channels, fill));
  return ctx.cast(ctx.constant(std::move(t)), dtype);
}

// batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn)
Status lowerBatchNorm(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 3, 4});
  if (!xs) return xs.takeStatus();
  auto training = ctx.constBool(n.input(5));
  auto eps = ctx.constDouble(n.input(7));
  if (!training) return training.takeStatus();
  if (!eps) return eps.takeStatus();
  if (*training) return ctx.error("batch_norm in training mode: trace the model after model.eval()");
  Value *x = (*xs)[0], *mean = (*xs)[1];
  auto channels = LoweringContext::staticDim(mean, 0);
  auto scale = channelParam(ctx, n.input(1), channels, 1, x->dtype());
  auto bias = channelParam(ctx, n.input(2), channels, 0, x->dtype());
  if (!scale) return scale.takeStatus();
  if (!bias) return bias.takeStatus();
  ctx.define(n.output(), ctx.emit("BatchNormalization", {x, *scale, *bias, mean, (*xs)[2]},
                                  {{"epsilon", static_cast<float>(*eps)}}));
  return Status::ok();
}

// layer_norm(input, normalized_shape, weight, bias, eps, cudnn)
Status lowerLayerNorm(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto shape = ctx.constInts(n.input(1));
  auto eps = ctx.constDouble(n.input(4));
  if (!x) return x.takeStatus();
  if (!shape) return shape.takeStatus();
  if (!eps) return eps.takeStatus();
  std::vector<Value*> in{*x};
  for (size_t i : {2, 3}) {
    auto p = optionalInput(ctx, n.input(i));
    if (!p) return p.takeStatus();
    Value* v = *p;
    if (!v) {
      int64_t count = 1;
      for (int64_t d : *shape) count *= d;
      Tensor t = Tensor::fromVector<float>(DType::Float32, *shape, std::vector<float>(count, i == 2 ? 1.0f : 0.0f));
      v = ctx.cast(ctx.constant(std::move(t)), (*x)->dtype());
    }
    in.push_back(v);
  }
  ctx.define(n.output(), ctx.emit("LayerNormalization", in,
                                  {{"axis", -static_cast<int64_t>(shape->size())}, {"epsilon", static_cast<float>(*eps)}}));
  return Status::ok();
}

// group_norm(input, num_groups, weight, bias, eps, cudnn)
Status lowerGroupNorm(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto groups = ctx.constInt(n.input(1));
  auto eps = ctx.constDouble(n.input(4));
  if (!x) return x.takeStatus();
  if (!groups) return groups.takeStatus();
  if (!eps) return eps.takeStatus();
  auto channels = LoweringContext::staticDim(*x, 1);
  auto scale = channelParam(ctx, n.input(2), channels, 1, (*x)->dtype());
  auto bias = channelParam(ctx, n.input(3), channels, 0, (*x)->dtype());
  if (!scale) return scale.takeStatus();
  if (!bias) return bias.takeStatus();
  ctx.define(n.output(), ctx.emit("GroupNormalization", {*x, *scale, *bias},
                                  {{"num_groups", *groups}, {"epsilon", static_cast<float>(*eps)}}));
  return Status::ok();
}

// instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn)
Status lowerInstanceNorm(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto useInputStats = ctx.constBool(n.input(5));
  auto eps = ctx.constDouble(n.input(7));
  if (!x) return x.takeStatus();
  if (!useInputStats) return useInputStats.takeStatus();
  if (!eps) return eps.takeStatus();
  if (!*useInputStats) return ctx.error("instance_norm with track_running_stats=True is not supported");
  auto channels = LoweringContext::staticDim(*x, 1);
  auto scale = channelParam(ctx, n.input(1), channels, 1, (*x)->dtype());
  auto bias = channelParam(ctx, n.input(2), channels, 0, (*x)->dtype());
  if (!scale) return scale.takeStatus();
  if (!bias) return bias.takeStatus();
  ctx.define(n.output(), ctx.emit("InstanceNormalization", {*x, *scale, *bias}, {{"epsilon", static_cast<float>(*eps)}}));
  return Status::ok();
}

/// softmax / log_softmax(x, dim, dtype?)
AtenConverter softmax(std::string op) {
  return [op](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    auto dim = ctx.constInt(n.input(1));
    if (!x) return x.takeStatus();
    if (!dim) return dim.takeStatus();
    Value* in = *x;
    if (n.inputs().size() > 2) {
      auto dt = ctx.constDType(n.input(2));
      if (!dt) return dt.takeStatus();
      if (*dt) in = ctx.cast(in, **dt);
    }
    ctx.define(n.output(), ctx.emit(op, {in}, {{"axis", *dim}}));
    return Status::ok();
  };
}

// embedding(weight, indices, padding_idx, scale_grad_by_freq, sparse): a row gather.
Status lowerEmbedding(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 1});
  if (!xs) return xs.takeStatus();
  ctx.define(n.output(), ctx.emit("Gather", {(*xs)[0], ctx.cast((*xs)[1], DType::Int64)}, {{"axis", int64_t{0}}}));
  return Status::ok();
}

// einsum(equation, tensors, path?)
Status lowerEinsum(LoweringContext& ctx, const Node& n) {
  auto eq = ctx.constString(n.input(0));
  auto operands = ctx.tensorList(n.input(1));
  if (!eq) return eq.takeStatus();
  if (!operands) return operands.takeStatus();
  std::string equation;
  for (char c : *eq)
    if (c != ' ') equation += c;
  ctx.define(n.output(), ctx.emit("Einsum", operands.take(), {{"equation", equation}}));
  return Status::ok();
}

}  // namespace

void registerNnConverters(ConverterTable& t) {
  t["aten::_convolution"] = lowerConvolution;
  for (const char* op : {"aten::conv1d", "aten::conv2d", "aten::conv3d"}) t[op] = lowerConvNd;
  for (const char* op : {"aten::conv_transpose1d", "aten::conv_transpose2d", "aten::conv_transpose3d"})
    t[op] = lowerConvTransposeNd;
  t["aten::linear"] = lowerLinear;
  t["aten::matmul"] = lowerMatMul;
  t["aten::mm"] = lowerMatMul;
  t["aten::bmm"] = lowerMatMul;
  t["aten::addmm"] = lowerAddMatMul;
  t["aten::baddbmm"] = lowerAddMatMul;
  t["aten::batch_norm"] = lowerBatchNorm;
  t["aten::layer_norm"] = lowerLayerNorm;
  t["aten::group_norm"] = lowerGroupNorm;
  t["aten::instance_norm"] = lowerInstanceNorm;
  t["aten::softmax"] = softmax("Softmax");
  t["aten::log_softmax"] = softmax("LogSoftmax");
  t["aten::embedding"] = lowerEmbedding;
  t["aten::einsum"] = lowerEinsum;
}

}  // namespace kiln::torchscript
