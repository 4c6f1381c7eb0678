// Spatial ops: pooling (fixed and adaptive), upsampling / interpolate, padding.

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;
using Attrs = std::vector<std::pair<std::string, Attribute>>;

/// Spatial axes of `x` for a pool over `spatial` axes (1d/2d/3d by the op name).
size_t spatialAxes(const Node& n) {
  std::string k = n.kind().toUnqualString();
  if (k.find("1d") != std::string::npos) return 1;
  if (k.find("3d") != std::string::npos) return 3;
  return 2;
}

std::vector<int64_t> symmetricPads(const std::vector<int64_t>& p) {
  std::vector<int64_t> pads = p;
  pads.insert(pads.end(), p.begin(), p.end());
  return pads;
}

/// The window arguments every pooling op starts with: kernel_size, stride (empty = the kernel),
/// padding, as ONNX attributes (kernel_shape, strides, pads for both sides).
Expected<Attrs> poolWindow(LoweringContext& ctx, const Node& n, size_t spatial) {
  auto kernel = spatialInts(ctx, n.input(1), spatial, {});
  if (!kernel) return kernel.takeStatus();
  if (kernel->size() != spatial) return ctx.error("needs a kernel size");
  auto stride = spatialInts(ctx, n.input(2), spatial, *kernel);
  if (!stride) return stride.takeStatus();
  auto pad = spatialInts(ctx, n.input(3), spatial, std::vector<int64_t>(spatial, 0));
  if (!pad) return pad.takeStatus();
  return Attrs{{"kernel_shape", *kernel}, {"strides", *stride}, {"pads", symmetricPads(*pad)}};
}

// max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)
Status lowerMaxPool(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  size_t s = spatialAxes(n);
  auto attrs = poolWindow(ctx, n, s);
  if (!attrs) return attrs.takeStatus();
  auto dilation = spatialInts(ctx, n.input(4), s, std::vector<int64_t>(s, 1));
  if (!dilation) return dilation.takeStatus();
  auto ceil = ctx.constBool(n.input(5));
  if (!ceil) return ceil.takeStatus();
  attrs->emplace_back("ceil_mode", int64_t(*ceil));
  if (*dilation != std::vector<int64_t>(s, 1)) attrs->emplace_back("dilations", *dilation);
  ctx.define(n.output(0), ctx.emit("MaxPool", {*x}, std::move(*attrs)));
  return Status::ok();
}

// avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
Status lowerAvgPool(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  auto attrs = poolWindow(ctx, n, spatialAxes(n));
  if (!attrs) return attrs.takeStatus();
  auto ceil = ctx.constBool(n.input(4));
  if (!ceil) return ceil.takeStatus();
  auto includePad = ctx.constBool(n.input(5));
  if (!includePad) return includePad.takeStatus();
  if (n.inputs().size() > 6 && !ctx.isNone(n.input(6))) return ctx.error("divisor_override is not supported");
  attrs->emplace_back("ceil_mode", int64_t(*ceil));
  attrs->emplace_back("count_include_pad", int64_t(*includePad));
  ctx.define(n.output(), ctx.emit("AveragePool", {*x}, std::move(*attrs)));
  return Status::ok();
}

/// Adaptive average pooling with windows of varying size: output cell i of an axis averages
/// input [floor(i*in/out), ceil((i+1)*in/out)), so each axis is a product with a constant
/// [out, in] averaging matrix P: Y = P_h X P_w^T (one MatMul per pooled axis).
Value* adaptiveAverageByMatMul(LoweringContext& ctx, Value* x, const std::vector<int64_t>& in,
                               const std::vector<int64_t>& out) {
  Value* y = x;
  const int64_t rank = *LoweringContext::rankOf(x);
  const size_t s = in.size();
  for (size_t k = 0; k < s; ++k) {
    const size_t axis = s - 1 - k;  // last axis first: it multiplies from the right
    std::vector<float> p(out[axis] * in[axis], 0.0f);
    for (int64_t i = 0; i < out[axis]; ++i) {
      int64_t begin = i * in[axis] / out[axis], end = ((i + 1) * in[axis] + out[axis] - 1) / out[axis];
      for (int64_t j = begin; j < end; ++j) p[i * in[axis] + j] = 1.0f / float(end - begin);
    }
    Value* matrix = ctx.cast(ctx.constant(Tensor::fromVector<float>(DType::Float32, {out[axis], in[axis]}, p)), x->dtype());
    // Move the pooled axis last, multiply by P^T, move it back.
    const int64_t pooled = rank - int64_t(s) + int64_t(axis);
    std::vector<int64_t> perm(rank);
    for (int64_t i = 0; i < rank; ++i) perm[i] = i;
    std::swap(perm[pooled], perm[rank - 1]);
    Value* t = pooled == rank - 1 ? y : ctx.emit("Transpose", {y}, {{"perm", perm}});
    t = ctx.emit("MatMul", {t, ctx.emit("Transpose", {matrix}, {{"perm", std::vector<int64_t>{1, 0}}})});
    y = pooled == rank - 1 ? t : ctx.emit("Transpose", {t}, {{"perm", perm}});
  }
  return y;
}

/// adaptive_{avg,max}_pool: global pooling for output 1, else a fixed pool when every input
/// size is a static multiple of the output size (what torchvision's models meet).
AtenConverter adaptivePool(std::string pool, std::string globalPool) {
  return [pool, globalPool](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    size_t s = spatialAxes(n);
    auto out = spatialInts(ctx, n.input(1), s, {});
    if (!out) return out.takeStatus();
    Value* y;
    if (*out == std::vector<int64_t>(s, 1)) {
      y = ctx.emit(globalPool, {*x});
    } else {
      auto rank = LoweringContext::rankOf(*x);
      if (!rank) return ctx.error("the input rank must be known");
      std::vector<int64_t> kernel, inSizes;
      bool uniform = true;
      for (size_t i = 0; i < s; ++i) {
        auto in = LoweringContext::staticDim(*x, *rank - int64_t(s) + int64_t(i));
        if (!in || (*out)[i] <= 0) return ctx.error("adaptive pooling needs static input sizes");
        inSizes.push_back(*in);
        uniform = uniform && *in % (*out)[i] == 0;
        kernel.push_back(uniform ? *in / (*out)[i] : 0);
      }
      if (uniform) {
        y = ctx.emit(pool, {*x}, {{"kernel_shape", kernel}, {"strides", kernel}});
      } else if (pool == "AveragePool") {
        y = adaptiveAverageByMatMul(ctx, *x, inSizes, *out);
      } else {
        return ctx.error("adaptive max pooling is supported when each input size is a multiple of the output size");
      }
    }
    ctx.define(n.output(0), y);
    return Status::ok();
  };
}

/// upsample_* and interpolate: Resize by output size or by scale factors.
AtenConverter upsample(std::string mode) {
  return [mode](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    if (!x) return x.takeStatus();
    bool alignCorners = false;
    if (const auto* ac = namedInput(n, "align_corners"); ac && !ctx.isNone(ac)) {
      auto b = ctx.constBool(ac);
      if (!b) return b.takeStatus();
      alignCorners = *b;
    }
    Attrs attrs{{"mode", mode}};
    if (mode == "nearest") {
      attrs.emplace_back("coordinate_transformation_mode", "asymmetric");
      attrs.emplace_back("nearest_mode", "floor");
    } else {
      attrs.emplace_back("coordinate_transformation_mode", alignCorners ? "align_corners" : "pytorch_half_pixel");
      if (mode == "cubic") attrs.emplace_back("cubic_coeff_a", -0.75f);
    }
    const auto* size = namedInput(n, "output_size");
    Value *scales = nullptr, *sizes = nullptr;
    if (size && !ctx.isNone(size)) {
      auto outSize = ctx.intList(size);
      if (!outSize) return outSize.takeStatus();
      Value* batchChannels = ctx.emit("Slice", {ctx.emit("Shape", {*x}), ctx.i64s({0}), ctx.i64s({2})});
      sizes = ctx.emit("Concat", {batchChannels, *outSize}, {{"axis", int64_t{0}}});
    } else {
      const auto* factors = namedInput(n, "scale_factors");
      if (!factors || ctx.isNone(factors)) return ctx.error("needs an output size or scale factors");
      auto iv = ctx.constantOf(factors);
      if (!iv || !iv->isDoubleList()) return ctx.error("scale factors must be constant");
      std::vector<float> f{1.0f, 1.0f};
      for (double d : iv->toDoubleVector()) f.push_back(static_cast<float>(d));
      scales = ctx.constant(Tensor::fromVector<float>(DType::Float32, {int64_t(f.size())}, f));
    }
    ctx.define(n.output(), ctx.emit("Resize", {*x, nullptr, scales, sizes}, std::move(attrs)));
    return Status::ok();
  };
}

/// PyTorch pads list pairs from the last axis backwards; ONNX lists all begins, then all ends.
Expected<Value*> onnxPads(LoweringContext& ctx, const torch::jit::Value* padArg, Value* x) {
  auto pad = ctx.constInts(padArg);
  if (!pad) return pad.takeStatus();
  auto rank = LoweringContext::rankOf(x);
  if (!rank) return ctx.error("the input rank must be known");
  if (pad->size() % 2 != 0 || int64_t(pad->size()) > 2 * *rank) return ctx.error("pad list has an odd or too long length");
  std::vector<int64_t> pads(2 * *rank, 0);
  for (size_t i = 0; i < pad->size() / 2; ++i) {
    int64_t axis = *rank - 1 - int64_t(i);
    pads[axis] = (*pad)[2 * i];
    pads[*rank + axis] = (*pad)[2 * i + 1];
  }
  return ctx.i64s(pads);
}

Status emitPad(LoweringContext& ctx, const Node& n, const std::string& mode, const torch::jit::Value* value) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  auto pads = onnxPads(ctx, n.input(1), *x);
  if (!pads) return pads.takeStatus();
  std::vector<Value*> in{*x, *pads};
  if (mode == "constant" && value && !ctx.isNone(value)) {
    auto v = ctx.constDouble(value);
    if (!v) return v.takeStatus();
    in.push_back(ctx.scalar(*v, (*x)->dtype()));
  }
  ctx.define(n.output(), ctx.emit("Pad", in, {{"mode", mode}}));
  return Status::ok();
}

// pad(input, pad, mode, value?)
Status lowerPad(LoweringContext& ctx, const Node& n) {
  std::string mode = "constant";
  if (n.inputs().size() > 2) {
    auto m = ctx.constString(n.input(2));
    if (!m) return m.takeStatus();
    mode = *m;
  }
  if (mode == "replicate") mode = "edge";
  if (mode == "circular") return ctx.error("circular padding is not supported");
  return emitPad(ctx, n, mode, n.inputs().size() > 3 ? n.input(3) : nullptr);
}

}  // namespace

void registerSpatialConverters(ConverterTable& t) {
  for (const char* d : {"1d", "2d", "3d"}) {
    std::string s = d;
    t["aten::max_pool" + s] = lowerMaxPool;
    t["aten::avg_pool" + s] = lowerAvgPool;
    t["aten::adaptive_avg_pool" + s] = adaptivePool("AveragePool", "GlobalAveragePool");
    t["aten::adaptive_max_pool" + s] = adaptivePool("MaxPool", "GlobalMaxPool");
    t["aten::reflection_pad" + s] = [](LoweringContext& ctx, const Node& n) { return emitPad(ctx, n, "reflect", nullptr); };
    t["aten::replication_pad" + s] = [](LoweringContext& ctx, const Node& n) { return emitPad(ctx, n, "edge", nullptr); };
  }
  t["aten::pad"] = lowerPad;
  t["aten::constant_pad_nd"] = [](LoweringContext& ctx, const Node& n) {
    return emitPad(ctx, n, "constant", n.inputs().size() > 2 ? n.input(2) : nullptr);
  };
  t["aten::upsample_nearest1d"] = upsample("nearest");
  t["aten::upsample_nearest2d"] = upsample("nearest");
  t["aten::upsample_nearest3d"] = upsample("nearest");
  t["aten::upsample_linear1d"] = upsample("linear");
  t["aten::upsample_bilinear2d"] = upsample("linear");
  t["aten::upsample_trilinear3d"] = upsample("linear");
  t["aten::upsample_bicubic2d"] = upsample("cubic");
}

}  // namespace kiln::torchscript
