// Pooling: MaxPool (with Indices), AveragePool, LpPool, their Global forms, and LRN.
// Windows are resolved per axis first (which input positions each output position reads),
// so padding, dilation and ceil_mode are handled once, not per element.

#include <cmath>
#include <limits>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util.h"
#include "backends/reference/window_geometry.h"

namespace kiln::reference {
namespace {

/// For one spatial axis: per output index, the input indices its window reads (inside the
/// input) and how many window positions fall inside the padded input (count_include_pad).
struct AxisWindows {
  std::vector<std::vector<int64_t>> valid;
  std::vector<int64_t> padded;
};

std::vector<AxisWindows> axisWindows(const WindowGeometry& g) {
  std::vector<AxisWindows> axes(g.rank());
  for (size_t d = 0; d < g.rank(); ++d) {
    AxisWindows& a = axes[d];
    a.valid.resize(static_cast<size_t>(g.output[d]));
    a.padded.resize(static_cast<size_t>(g.output[d]));
    for (int64_t o = 0; o < g.output[d]; ++o) {
      const int64_t start = o * g.strides[d] - g.padBegin[d];
      for (int64_t k = 0; k < g.kernel[d]; ++k) {
        const int64_t p = start + k * g.dilations[d];
        if (p >= 0 && p < g.input[d]) a.valid[o].push_back(p);
        if (p < g.input[d] + g.padEnd[d]) ++a.padded[o];
      }
    }
  }
  return axes;
}

/// Calls fn(outOffset, window) for every spatial output position; `window` lists the
/// row-major spatial input offsets the window reads (inside the input) and its padded count.
struct Window {
  std::vector<int64_t> offsets;
  std::vector<int64_t> columnOffsets;  ///< the same positions in column-major order (storage_order 1)
  int64_t padded = 1;
};

template <typename Fn>
void forEachWindow(const WindowGeometry& g, const std::vector<AxisWindows>& axes, Fn fn) {
  const size_t r = g.rank();
  const std::vector<int64_t> rowStrides = contiguousStrides(g.input);
  std::vector<int64_t> colStrides(r, 1);
  for (size_t d = 1; d < r; ++d) colStrides[d] = colStrides[d - 1] * g.input[d - 1];
  const int64_t outCount = product(g.output);
  std::vector<int64_t> pos(r, 0), j(r, 0);
  Window w;
  for (int64_t o = 0; o < outCount; ++o) {
    for (int64_t rem = o, d = static_cast<int64_t>(r) - 1; d >= 0; --d) {
      pos[d] = rem % g.output[d];
      rem /= g.output[d];
    }
    w.offsets.clear();
    w.columnOffsets.clear();
    w.padded = 1;
    bool empty = false;
    for (size_t d = 0; d < r; ++d) {
      w.padded *= axes[d].padded[pos[d]];
      empty = empty || axes[d].valid[pos[d]].empty();
    }
    if (!empty) {
      std::fill(j.begin(), j.end(), 0);
      while (true) {
        int64_t off = 0, colOff = 0;
        for (size_t d = 0; d < r; ++d) {
          const int64_t p = axes[d].valid[pos[d]][j[d]];
          off += p * rowStrides[d];
          colOff += p * colStrides[d];
        }
        w.offsets.push_back(off);
        w.columnOffsets.push_back(colOff);
        size_t d = r;
        while (d-- > 0) {
          if (++j[d] < static_cast<int64_t>(axes[d].valid[pos[d]].size())) break;
          j[d] = 0;
        }
        if (d == static_cast<size_t>(-1)) break;
      }
    }
    fn(o, w);
  }
}

struct PoolSetup {
  WindowGeometry geom;
  std::vector<int64_t> outDims;
  int64_t planes = 0;  ///< N * C
};

Expected<PoolSetup> setupPool(KernelContext& ctx, const Tensor& x) {
  if (x.rank() < 3) return ctx.error("input must have rank >= 3, got " + dimsStr(x.dims()));
  std::vector<int64_t> kernel = ctx.node.intsAttr("kernel_shape");
  if (kernel.size() != x.rank() - 2)
    return ctx.error("kernel_shape must have " + std::to_string(x.rank() - 2) + " values");
  auto g = resolveWindow(ctx.node, std::span<const int64_t>(x.dims().data() + 2, x.rank() - 2), kernel,
                         ctx.node.intAttr("ceil_mode", 0) != 0);
  if (!g) return g.takeStatus();
  PoolSetup s;
  s.geom = g.take();
  s.outDims = {x.dims()[0], x.dims()[1]};
  s.outDims.insert(s.outDims.end(), s.geom.output.begin(), s.geom.output.end());
  s.planes = x.dims()[0] * x.dims()[1];
  return s;
}

Status maxPoolKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto setup = setupPool(ctx, x);
  if (!setup) return setup.takeStatus();
  const PoolSetup& s = *setup;
  const bool columnMajor = ctx.node.intAttr("storage_order", 0) != 0;
  const bool wantIndices = ctx.node.numOutputs() > 1 && ctx.node.output(1);
  const auto axes = axisWindows(s.geom);
  return visitDType<TypeList<float, double, int8_t, uint8_t>>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), s.outDims);
    Tensor indices = newTensor(DType::Int64, wantIndices ? s.outDims : std::vector<int64_t>{0});
    const int64_t inPlane = product(s.geom.input), outPlane = product(s.geom.output);
    const T* px = in<T>(x);
    T* py = out<T>(y);
    int64_t* pi = wantIndices ? out<int64_t>(indices) : nullptr;
    // The windows are the same for every plane: resolve them once, then sweep the planes.
    forEachWindow(s.geom, axes, [&](int64_t o, const Window& w) {
      for (int64_t p = 0; p < s.planes; ++p) {
        const T* plane = px + p * inPlane;
        T best = std::numeric_limits<T>::lowest();
        if constexpr (std::is_floating_point_v<T>) best = -std::numeric_limits<T>::infinity();
        int64_t bestK = -1;
        for (size_t k = 0; k < w.offsets.size(); ++k)
          if (bestK < 0 || plane[w.offsets[k]] > best) {
            best = plane[w.offsets[k]];
            bestK = static_cast<int64_t>(k);
          }
        py[p * outPlane + o] = best;
        if (pi) {
          const int64_t local = bestK < 0 ? 0 : (columnMajor ? w.columnOffsets[bestK] : w.offsets[bestK]);
          pi[p * outPlane + o] = p * inPlane + local;
        }
      }
    });
    ctx.setOutput(0, std::move(y));
    if (wantIndices) ctx.setOutput(1, std::move(indices));
    return Status::ok();
  });
}

Status averagePoolKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto setup = setupPool(ctx, x);
  if (!setup) return setup.takeStatus();
  const PoolSetup& s = *setup;
  const bool includePad = ctx.node.intAttr("count_include_pad", 0) != 0;
  const auto axes = axisWindows(s.geom);
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), s.outDims);
    const int64_t inPlane = product(s.geom.input), outPlane = product(s.geom.output);
    const T* px = in<T>(x);
    T* py = out<T>(y);
    forEachWindow(s.geom, axes, [&](int64_t o, const Window& w) {
      const int64_t count = includePad ? w.padded : static_cast<int64_t>(w.offsets.size());
      for (int64_t p = 0; p < s.planes; ++p) {
        const T* plane = px + p * inPlane;
        double sum = 0;
        for (int64_t off : w.offsets) sum += plane[off];
        py[p * outPlane + o] = count == 0 ? T(0) : static_cast<T>(sum / static_cast<double>(count));
      }
    });
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

Status lpPoolKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto setup = setupPool(ctx, x);
  if (!setup) return setup.takeStatus();
  const PoolSetup& s = *setup;
  const double pNorm = static_cast<double>(ctx.node.intAttr("p", 2));
  const auto axes = axisWindows(s.geom);
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), s.outDims);
    const int64_t inPlane = product(s.geom.input), outPlane = product(s.geom.output);
    const T* px = in<T>(x);
    T* py = out<T>(y);
    forEachWindow(s.geom, axes, [&](int64_t o, const Window& w) {
      for (int64_t p = 0; p < s.planes; ++p) {
        const T* plane = px + p * inPlane;
        double sum = 0;
        for (int64_t off : w.offsets) sum += std::pow(std::fabs(static_cast<double>(plane[off])), pNorm);
        py[p * outPlane + o] = static_cast<T>(std::pow(sum, 1.0 / pNorm));
      }
    });
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

enum class GlobalKind { Average, Max, Lp };

template <GlobalKind K>
Status globalPoolKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.error("input must have rank >= 2, got " + dimsStr(x.dims()));
  std::vector<int64_t> outDims = x.dims();
  std::fill(outDims.begin() + 2, outDims.end(), 1);
  const int64_t planes = x.dims()[0] * x.dims()[1];
  const int64_t plane = product(x.dims(), 2, x.rank());
  const double pNorm = static_cast<double>(ctx.node.intAttr("p", 2));
  using Types = std::conditional_t<K == GlobalKind::Max, TypeList<float, double, int8_t, uint8_t>, FloatTypes>;
  return visitDType<Types>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), outDims);
    const T* px = in<T>(x);
    T* py = out<T>(y);
    for (int64_t p = 0; p < planes; ++p) {
      const T* v = px + p * plane;
      if constexpr (K == GlobalKind::Max) {
        T best = plane > 0 ? v[0] : T(0);
        for (int64_t i = 1; i < plane; ++i) best = v[i] > best ? v[i] : best;
        py[p] = best;
      } else if constexpr (K == GlobalKind::Average) {
        double sum = 0;
        for (int64_t i = 0; i < plane; ++i) sum += v[i];
        py[p] = static_cast<T>(sum / static_cast<double>(plane));
      } else {
        double sum = 0;
        for (int64_t i = 0; i < plane; ++i) sum += std::pow(std::fabs(static_cast<double>(v[i])), pNorm);
        py[p] = static_cast<T>(std::pow(sum, 1.0 / pNorm));
      }
    }
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

/// LRN across channels: y = x / (bias + alpha / size * sum of x^2 over nearby channels)^beta,
/// the neighbourhood being [c - floor((size-1)/2), c + ceil((size-1)/2)].
Status lrnKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.error("input must have rank >= 2");
  const int64_t size = ctx.node.intAttr("size", 0);
  if (size <= 0) return ctx.error("size must be positive");
  const double alpha = ctx.node.floatAttr("alpha", 1e-4f);
  const double beta = ctx.node.floatAttr("beta", 0.75f);
  const double bias = ctx.node.floatAttr("bias", 1.0f);
  const int64_t channels = x.dims()[1];
  const int64_t plane = product(x.dims(), 2, x.rank());
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), x.dims());
    const T* px = in<T>(x);
    T* py = out<T>(y);
    for (int64_t n = 0; n < x.dims()[0]; ++n) {
      const T* xs = px + n * channels * plane;
      T* ys = py + n * channels * plane;
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t lo = std::max<int64_t>(0, c - before), hi = std::min<int64_t>(channels - 1, c + after);
        for (int64_t i = 0; i < plane; ++i) {
          double sq = 0;
          for (int64_t k = lo; k <= hi; ++k) {
            const double v = xs[k * plane + i];
            sq += v * v;
          }
          ys[c * plane + i] = static_cast<T>(xs[c * plane + i] / std::pow(bias + alpha / static_cast<double>(size) * sq, beta));
        }
      }
    }
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

}  // namespace

void registerPoolKernels(KernelRegistry& r) {
  r.add("", "MaxPool", maxPoolKernel);
  r.add("", "AveragePool", averagePoolKernel);
  r.add("", "LpPool", lpPoolKernel);
  r.add("", "GlobalAveragePool", globalPoolKernel<GlobalKind::Average>);
  r.add("", "GlobalMaxPool", globalPoolKernel<GlobalKind::Max>);
  r.add("", "GlobalLpPool", globalPoolKernel<GlobalKind::Lp>);
  r.add("", "LRN", lrnKernel);
}

}  // namespace kiln::reference
