// Softmax, LogSoftmax and Hardmax over one axis (opset-13 semantics, default axis -1).

#include <cmath>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util.h"

namespace kiln::reference {
namespace {

enum class SoftmaxKind { Softmax, LogSoftmax, Hardmax };

template <SoftmaxKind K>
Status softmaxKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto axis = normalizeAxis(ctx.node.intAttr("axis", -1), static_cast<int64_t>(x.rank()));
  if (!axis) return axis.takeStatus();
  const AxisSplit s = splitAt(x.dims(), *axis);
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), x.dims());
    const T* px = in<T>(x);
    T* py = out<T>(y);
    // Per (outer, inner) column along the axis; the common inner == 1 case walks contiguous rows.
    for (int64_t o = 0; o < s.outer; ++o) {
      for (int64_t i = 0; i < s.inner; ++i) {
        const T* p = px + o * s.axis * s.inner + i;
        T* q = py + o * s.axis * s.inner + i;
        const int64_t st = s.inner;
        if (s.axis == 0) continue;
        T maxV = p[0];
        int64_t maxI = 0;
        for (int64_t k = 1; k < s.axis; ++k)
          if (p[k * st] > maxV) {
            maxV = p[k * st];
            maxI = k;
          }
        if constexpr (K == SoftmaxKind::Hardmax) {
          for (int64_t k = 0; k < s.axis; ++k) q[k * st] = T(k == maxI ? 1 : 0);
        } else {
          // Subtracting the max keeps exp from overflowing; sums in double for accuracy.
          double sum = 0;
          for (int64_t k = 0; k < s.axis; ++k) sum += std::exp(static_cast<double>(p[k * st] - maxV));
          if constexpr (K == SoftmaxKind::Softmax) {
            const double inv = 1.0 / sum;
            for (int64_t k = 0; k < s.axis; ++k) q[k * st] = static_cast<T>(std::exp(static_cast<double>(p[k * st] - maxV)) * inv);
          } else {
            const double logSum = std::log(sum);
            for (int64_t k = 0; k < s.axis; ++k) q[k * st] = static_cast<T>(static_cast<double>(p[k * st] - maxV) - logSum);
          }
        }
      }
    }
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

}  // namespace

void registerSoftmaxKernels(KernelRegistry& r) {
  r.add("", "Softmax", softmaxKernel<SoftmaxKind::Softmax>);
  r.add("", "LogSoftmax", softmaxKernel<SoftmaxKind::LogSoftmax>);
  r.add("", "Hardmax", softmaxKernel<SoftmaxKind::Hardmax>);
}

}  // namespace kiln::reference
