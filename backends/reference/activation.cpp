// Activation kernels: pointwise nonlinearities with attributes, PRelu's broadcast slope,
// Identity and inference-mode Dropout.

#include <cmath>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util.h"

namespace kiln::reference {
namespace {

/// y[i] = f(x[i]) over the element types in Types; `f` is a generic lambda (inlined, no
/// indirect call per element).
template <typename Types = FloatTypes, typename F>
Status mapUnary(KernelContext& ctx, F f) {
  const Tensor& x = ctx.input(0);
  return visitDType<Types>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), x.dims());
    const T* px = in<T>(x);
    T* py = out<T>(y);
    for (int64_t i = 0, n = x.numElements(); i < n; ++i) py[i] = static_cast<T>(f(px[i]));
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

Status sigmoidKernel(KernelContext& ctx) {
  return mapUnary(ctx, [](auto x) {
    using T = decltype(x);
    return T(1) / (T(1) + std::exp(-x));
  });
}

Status reluKernel(KernelContext& ctx) {
  return mapUnary<TypeList<float, double, int8_t, int16_t, int32_t, int64_t>>(ctx, [](auto x) {
    using T = decltype(x);
    return x > T(0) ? x : T(0);
  });
}

Status leakyReluKernel(KernelContext& ctx) {
  const float alpha = ctx.node.floatAttr("alpha", 0.01f);
  return mapUnary(ctx, [alpha](auto x) {
    using T = decltype(x);
    return x >= T(0) ? x : T(alpha) * x;
  });
}

Status eluKernel(KernelContext& ctx) {
  const float alpha = ctx.node.floatAttr("alpha", 1.0f);
  return mapUnary(ctx, [alpha](auto x) {
    using T = decltype(x);
    return x >= T(0) ? x : T(alpha) * (std::exp(x) - T(1));
  });
}

Status seluKernel(KernelContext& ctx) {
  const float alpha = ctx.node.floatAttr("alpha", 1.67326319217681884765625f);
  const float gamma = ctx.node.floatAttr("gamma", 1.05070102214813232421875f);
  return mapUnary(ctx, [alpha, gamma](auto x) {
    using T = decltype(x);
    return x > T(0) ? T(gamma) * x : T(gamma) * (T(alpha) * std::exp(x) - T(alpha));
  });
}

Status celuKernel(KernelContext& ctx) {
  const float alpha = ctx.node.floatAttr("alpha", 1.0f);
  if (alpha == 0.0f) return ctx.error("alpha must not be 0");
  return mapUnary(ctx, [alpha](auto x) {
    using T = decltype(x);
    return std::max(T(0), x) + std::min(T(0), T(alpha) * (std::exp(x / T(alpha)) - T(1)));
  });
}

/// log(1 + e^x) without overflow for large x.
template <typename T>
T softplus(T x) {
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

Status softplusKernel(KernelContext& ctx) {
  return mapUnary(ctx, [](auto x) { return softplus(x); });
}

Status softsignKernel(KernelContext& ctx) {
  return mapUnary(ctx, [](auto x) {
    using T = decltype(x);
    return x / (T(1) + std::fabs(x));
  });
}

Status hardSigmoidKernel(KernelContext& ctx) {
  const float alpha = ctx.node.floatAttr("alpha", 0.2f);
  const float beta = ctx.node.floatAttr("beta", 0.5f);
  return mapUnary(ctx, [alpha, beta](auto x) {
    using T = decltype(x);
    return std::max(T(0), std::min(T(1), T(alpha) * x + T(beta)));
  });
}

Status hardSwishKernel(KernelContext& ctx) {
  return mapUnary(ctx, [](auto x) {
    using T = decltype(x);
    return x * std::max(T(0), std::min(T(1), x / T(6) + T(0.5)));
  });
}

Status mishKernel(KernelContext& ctx) {
  return mapUnary(ctx, [](auto x) { return x * std::tanh(softplus(x)); });
}

Status geluKernel(KernelContext& ctx) {
  const std::string approximate = ctx.node.stringAttr("approximate", "none");
  if (approximate == "none")
    return mapUnary(ctx, [](auto x) {
      using T = decltype(x);
      return T(0.5) * x * (T(1) + std::erf(x * T(M_SQRT1_2)));
    });
  if (approximate == "tanh")
    return mapUnary(ctx, [](auto x) {
      using T = decltype(x);
      const T k = T(0.7978845608028654);  // sqrt(2 / pi)
      return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
    });
  return ctx.error("approximate must be 'none' or 'tanh', got '" + approximate + "'");
}

Status thresholdedReluKernel(KernelContext& ctx) {
  const float alpha = ctx.node.floatAttr("alpha", 1.0f);
  return mapUnary(ctx, [alpha](auto x) {
    using T = decltype(x);
    return x > T(alpha) ? x : T(0);
  });
}

Status shrinkKernel(KernelContext& ctx) {
  const float bias = ctx.node.floatAttr("bias", 0.0f);
  const float lambd = ctx.node.floatAttr("lambd", 0.5f);
  return mapUnary<NumericTypes>(ctx, [bias, lambd](auto x) {
    using T = decltype(x);
    // Computed in double, so unsigned inputs do not wrap on x + bias.
    double v = static_cast<double>(x);
    return static_cast<T>(v < -lambd ? v + bias : (v > lambd ? v - bias : 0.0));
  });
}

/// PRelu: slope broadcasts to X's shape (unidirectionally).
Status preluKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& slope = ctx.input(1);
  if (x.dtype() != slope.dtype()) return ctx.error("slope type differs from X");
  auto dims = broadcastShapes(x.dims(), slope.dims());
  if (!dims || *dims != x.dims())
    return ctx.error("slope shape " + dimsStr(slope.dims()) + " does not broadcast to X shape " + dimsStr(x.dims()));
  return visitDType<TypeList<float, double, int32_t, int64_t>>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), x.dims());
    broadcastBinary(x.dims(), in<T>(x), x.dims(), in<T>(slope), slope.dims(), out<T>(y),
                    [](T v, T s) -> T { return v < T(0) ? static_cast<T>(s * v) : v; });
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

/// Identity passes any value (tensor or sequence) through, sharing its storage.
Status identityKernel(KernelContext& ctx) {
  ctx.outputs[0] = *ctx.inputs[0];
  return Status::ok();
}

/// Dropout at inference: the identity, and an all-true mask. Training mode with a nonzero
/// ratio is random, which a reference interpreter cannot reproduce: refused.
Status dropoutKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  bool training = false;
  if (ctx.hasInput(2)) {
    const Tensor& t = ctx.input(2);
    if (t.dtype() != DType::Bool || t.numElements() != 1) return ctx.error("training_mode must be a bool scalar");
    training = in<bool>(t)[0];
  }
  if (training) {
    double ratio = 0.5;
    if (ctx.hasInput(1)) {
      auto r = readDoubleScalar(ctx.input(1));
      if (!r) return r.takeStatus();
      ratio = *r;
    }
    if (ratio != 0.0) return ctx.error("training-mode Dropout (random) is not supported by the reference interpreter");
  }
  ctx.setOutput(0, x);
  if (ctx.node.numOutputs() > 1 && ctx.node.output(1)) {
    Tensor mask = newTensor(DType::Bool, x.dims());
    bool* pm = out<bool>(mask);
    std::fill(pm, pm + mask.numElements(), true);
    ctx.setOutput(1, std::move(mask));
  }
  return Status::ok();
}

}  // namespace

void registerActivationKernels(KernelRegistry& r) {
  r.add("", "Sigmoid", sigmoidKernel);
  r.add("", "Relu", reluKernel);
  r.add("", "LeakyRelu", leakyReluKernel);
  r.add("", "Elu", eluKernel);
  r.add("", "Selu", seluKernel);
  r.add("", "Celu", celuKernel);
  r.add("", "Softplus", softplusKernel);
  r.add("", "Softsign", softsignKernel);
  r.add("", "HardSigmoid", hardSigmoidKernel);
  r.add("", "HardSwish", hardSwishKernel);
  r.add("", "Mish", mishKernel);
  r.add("", "Gelu", geluKernel);
  r.add("", "ThresholdedRelu", thresholdedReluKernel);
  r.add("", "Shrink", shrinkKernel);
  r.add("", "PRelu", preluKernel);
  r.add("", "Identity", identityKernel);
  r.add("", "Dropout", dropoutKernel);
}

}  // namespace kiln::reference
