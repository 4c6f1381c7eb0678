// Normalizations: BatchNormalization (inference), InstanceNormalization, LayerNormalization
// (with optional Mean / InvStdDev outputs) and GroupNormalization (opset-21 form: scale and
// bias per channel). Statistics are computed in double: the reference is the exact side.

#include <cmath>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util.h"

namespace kiln::reference {
namespace {

Status checkChannelVector(const KernelContext& ctx, size_t input, const char* name, int64_t channels, DType dtype) {
  const Tensor& t = ctx.input(input);
  if (t.numElements() != channels || t.rank() > 1)
    return ctx.error(std::string(name) + " must have " + std::to_string(channels) + " elements, got shape " +
                     dimsStr(t.dims()));
  if (t.dtype() != dtype) return ctx.error(std::string(name) + " type differs from X");
  return Status::ok();
}

/// Mean and variance (population) of n values at p[i * stride].
template <typename T>
std::pair<double, double> moments(const T* p, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += p[i];
  const double mean = n ? sum / static_cast<double>(n) : 0.0;
  double sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = p[i] - mean;
    sq += d * d;
  }
  return {mean, n ? sq / static_cast<double>(n) : 0.0};
}

Status batchNormKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (ctx.node.intAttr("training_mode", 0) != 0)
    return ctx.error("training-mode BatchNormalization is not supported by the reference interpreter");
  if (x.rank() < 1) return ctx.error("X must have rank >= 1");
  const int64_t channels = x.rank() >= 2 ? x.dims()[1] : 1;
  for (size_t i = 1; i <= 4; ++i) {
    if (!ctx.hasInput(i)) return ctx.error("scale, B, mean and var are required");
    static const char* names[] = {"", "scale", "B", "mean", "var"};
    if (ctx.input(i).numElements() != channels)
      return ctx.error(std::string(names[i]) + " must have " + std::to_string(channels) + " elements");
    if (!isFloat(ctx.input(i).dtype())) return ctx.error(std::string(names[i]) + " must be floating-point");
  }
  const double eps = ctx.node.floatAttr("epsilon", 1e-5f);
  const int64_t batch = x.dims()[0];
  const int64_t plane = product(x.dims(), 2, x.rank());
  // scale/B/mean/var may have another float type than X (T1, T2 in the spec): read as double.
  std::vector<double> mul(static_cast<size_t>(channels)), add(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const double scale = ctx.input(1).scalarAsDouble(c), b = ctx.input(2).scalarAsDouble(c);
    const double mean = ctx.input(3).scalarAsDouble(c), var = ctx.input(4).scalarAsDouble(c);
    mul[c] = scale / std::sqrt(var + eps);
    add[c] = b - mean * mul[c];
  }
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), x.dims());
    const T* px = in<T>(x);
    T* py = out<T>(y);
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t base = (n * channels + c) * plane;
        const double m = mul[c], a = add[c];
        for (int64_t i = 0; i < plane; ++i) py[base + i] = static_cast<T>(px[base + i] * m + a);
      }
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

Status instanceNormKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 3) return ctx.error("X must have rank >= 3, got " + dimsStr(x.dims()));
  const int64_t batch = x.dims()[0], channels = x.dims()[1];
  KILN_RETURN_IF_ERROR(checkChannelVector(ctx, 1, "scale", channels, x.dtype()));
  KILN_RETURN_IF_ERROR(checkChannelVector(ctx, 2, "B", channels, x.dtype()));
  const double eps = ctx.node.floatAttr("epsilon", 1e-5f);
  const int64_t plane = product(x.dims(), 2, x.rank());
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), x.dims());
    const T* px = in<T>(x);
    const T* scale = in<T>(ctx.input(1));
    const T* bias = in<T>(ctx.input(2));
    T* py = out<T>(y);
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t base = (n * channels + c) * plane;
        auto [mean, var] = moments(px + base, plane);
        const double m = scale[c] / std::sqrt(var + eps), a = bias[c] - mean * m;
        for (int64_t i = 0; i < plane; ++i) py[base + i] = static_cast<T>(px[base + i] * m + a);
      }
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

Status layerNormKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto axis = normalizeAxis(ctx.node.intAttr("axis", -1), static_cast<int64_t>(x.rank()));
  if (!axis) return axis.takeStatus();
  const double eps = ctx.node.floatAttr("epsilon", 1e-5f);
  auto stash = dtypeFromOnnx(static_cast<int32_t>(ctx.node.intAttr("stash_type", 1)));
  if (!stash || !isFloat(*stash)) return ctx.error("stash_type must name a floating-point type");
  const auto a = static_cast<size_t>(*axis);
  const int64_t outer = product(x.dims(), 0, a), inner = product(x.dims(), a, x.rank());
  std::span<const int64_t> normDims(x.dims().data() + a, x.rank() - a);
  // Scale and B broadcast (unidirectionally) to the normalized shape X.shape[axis:].
  for (size_t i : {size_t{1}, size_t{2}}) {
    if (!ctx.hasInput(i)) {
      if (i == 1) return ctx.error("Scale is required");
      continue;
    }
    const Tensor& t = ctx.input(i);
    auto bc = broadcastShapes(normDims, t.dims());
    if (t.dtype() != x.dtype() || !bc || !std::equal(bc->begin(), bc->end(), normDims.begin(), normDims.end()))
      return ctx.error(std::string(i == 1 ? "Scale" : "B") + " of shape " + dimsStr(t.dims()) +
                       " does not broadcast to " + dimsStr(normDims));
  }
  std::vector<int64_t> statDims(x.dims().begin(), x.dims().begin() + static_cast<long>(a));
  statDims.resize(x.rank(), 1);
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    // Scale and B expanded to the normalized shape once, so the row loop is contiguous.
    auto expand = [&](size_t i, double fill) {
      std::vector<double> v(static_cast<size_t>(inner), fill);
      if (!ctx.hasInput(i)) return v;
      const Tensor& t = ctx.input(i);
      const T* p = in<T>(t);
      forEachBroadcast<1>(normDims, {std::span<const int64_t>(t.dims())},
                          [&](int64_t o, const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& s) {
                            for (int64_t k = 0; k < n; ++k) v[o + k] = p[off[0] + k * s[0]];
                          });
      return v;
    };
    const std::vector<double> scale = expand(1, 1.0), bias = expand(2, 0.0);
    Tensor y = newTensor(x.dtype(), x.dims());
    std::vector<double> means(static_cast<size_t>(outer)), invStd(static_cast<size_t>(outer));
    const T* px = in<T>(x);
    T* py = out<T>(y);
    for (int64_t o = 0; o < outer; ++o) {
      auto [mean, var] = moments(px + o * inner, inner);
      const double inv = 1.0 / std::sqrt(var + eps);
      means[o] = mean;
      invStd[o] = inv;
      for (int64_t i = 0; i < inner; ++i)
        py[o * inner + i] = static_cast<T>((px[o * inner + i] - mean) * inv * scale[i] + bias[i]);
    }
    ctx.setOutput(0, std::move(y));
    for (size_t k : {size_t{1}, size_t{2}}) {
      if (ctx.node.numOutputs() <= k || !ctx.node.output(k)) continue;
      auto stat = Tensor::fromVector<double>(DType::Float64, statDims, k == 1 ? means : invStd);
      auto cast = castTensor(stat, *stash);
      if (!cast) return cast.takeStatus();
      ctx.setOutput(k, cast.take());
    }
    return Status::ok();
  });
}

Status groupNormKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.error("X must have rank >= 2, got " + dimsStr(x.dims()));
  const int64_t groups = ctx.node.intAttr("num_groups", 0);
  const int64_t batch = x.dims()[0], channels = x.dims()[1];
  if (groups <= 0 || channels % groups != 0)
    return ctx.error("num_groups (" + std::to_string(groups) + ") must divide the channels (" + std::to_string(channels) + ")");
  KILN_RETURN_IF_ERROR(checkChannelVector(ctx, 1, "scale", channels, x.dtype()));
  KILN_RETURN_IF_ERROR(checkChannelVector(ctx, 2, "bias", channels, x.dtype()));
  const double eps = ctx.node.floatAttr("epsilon", 1e-5f);
  const int64_t plane = product(x.dims(), 2, x.rank());
  const int64_t perGroup = channels / groups;
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), x.dims());
    const T* px = in<T>(x);
    const T* scale = in<T>(ctx.input(1));
    const T* bias = in<T>(ctx.input(2));
    T* py = out<T>(y);
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t g = 0; g < groups; ++g) {
        // A group's channels are contiguous: one block of perGroup * plane values.
        const int64_t base = (n * channels + g * perGroup) * plane;
        auto [mean, var] = moments(px + base, perGroup * plane);
        const double inv = 1.0 / std::sqrt(var + eps);
        for (int64_t c = 0; c < perGroup; ++c) {
          const int64_t ch = g * perGroup + c;
          const double m = inv * scale[ch], a = bias[ch] - mean * m;
          const int64_t off = base + c * plane;
          for (int64_t i = 0; i < plane; ++i) py[off + i] = static_cast<T>(px[off + i] * m + a);
        }
      }
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

}  // namespace

void registerNormalizationKernels(KernelRegistry& r) {
  r.add("", "BatchNormalization", batchNormKernel);
  r.add("", "InstanceNormalization", instanceNormKernel);
  r.add("", "LayerNormalization", layerNormKernel);
  r.add("", "GroupNormalization", groupNormKernel);
}

}  // namespace kiln::reference
