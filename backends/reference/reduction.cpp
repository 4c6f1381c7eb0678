// Reductions: Reduce* over an axes input (keepdims, noop_with_empty_axes), ArgMax/ArgMin,
// CumSum and TopK.

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util.h"

namespace kiln::reference {
namespace {

/// Which axes a Reduce* node reduces, and its output shape.
struct ReducePlan {
  std::vector<int64_t> keptDims;   ///< output shape with reduced axes kept as 1
  std::vector<int64_t> outDims;    ///< the real output shape (keepdims applied)
};

Expected<ReducePlan> planReduce(KernelContext& ctx, const Tensor& x) {
  std::vector<int64_t> axes;
  if (ctx.hasInput(1)) {
    auto a = readInt64List(ctx.input(1));
    if (!a) return a.takeStatus();
    axes = a.take();
  } else if (const Attribute* attr = ctx.node.attr("axes"); attr && attr->kind() == AttrKind::Ints) {
    axes = attr->ints();  // older forms that kept axes as an attribute
  }
  const bool keepdims = ctx.node.intAttr("keepdims", 1) != 0;
  ReducePlan plan;
  const auto rank = static_cast<int64_t>(x.rank());
  if (axes.empty()) {
    if (ctx.node.intAttr("noop_with_empty_axes", 0) != 0) {
      // Nothing is reduced, but the per-element part still applies (ReduceL1 gives |x|,
      // ReduceSumSquare x^2, ReduceLogSum log x), as in the ONNX reference implementation.
      plan.keptDims = plan.outDims = x.dims();
      return plan;
    }
    axes.resize(static_cast<size_t>(rank));
    std::iota(axes.begin(), axes.end(), 0);
  }
  auto norm = normalizeAxes(axes, rank);
  if (!norm) return norm.takeStatus();
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t a : *norm) reduced[static_cast<size_t>(a)] = true;
  for (size_t d = 0; d < x.rank(); ++d) {
    plan.keptDims.push_back(reduced[d] ? 1 : x.dims()[d]);
    if (!reduced[d] || keepdims) plan.outDims.push_back(plan.keptDims.back());
  }
  return plan;
}

/// Accumulates `add(acc[o], x)` for every input element x into the output element o it
/// reduces to. The output is read as broadcast to the input's shape (stride 0 on reduced
/// axes), so one broadcast walk covers every axes combination.
template <typename T, typename A, typename Add>
void accumulate(const Tensor& x, const std::vector<int64_t>& keptDims, std::vector<A>& acc, Add add) {
  const T* px = in<T>(x);
  std::span<const int64_t> kept(keptDims);
  forEachBroadcast<1>(x.dims(), {kept}, [&](int64_t i, const std::array<int64_t, 1>& o, int64_t n,
                                            const std::array<int64_t, 1>& s) {
    if (s[0] == 0) {
      A a = acc[o[0]];
      for (int64_t k = 0; k < n; ++k) add(a, px[i + k]);
      acc[o[0]] = a;
    } else {
      for (int64_t k = 0; k < n; ++k) add(acc[o[0] + k], px[i + k]);
    }
  });
}

enum class ReduceKind { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

/// Float inputs accumulate in double (the reference should be the more exact side);
/// integers in their own type (wrapping, as ONNX Runtime does).
template <typename T>
using AccOf = std::conditional_t<std::is_floating_point_v<T>, double, T>;

template <ReduceKind K>
Status reduceKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto planOr = planReduce(ctx, x);
  if (!planOr) return planOr.takeStatus();
  const ReducePlan& plan = *planOr;
  using Types = std::conditional_t<K == ReduceKind::Sum || K == ReduceKind::Max || K == ReduceKind::Min ||
                                       K == ReduceKind::Prod || K == ReduceKind::Mean || K == ReduceKind::L1 ||
                                       K == ReduceKind::SumSquare || K == ReduceKind::L2,
                                   NumericTypes, FloatTypes>;
  return visitDType<Types>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    using A = AccOf<T>;
    const int64_t outCount = product(plan.keptDims);
    const int64_t count = outCount == 0 ? 0 : x.numElements() / outCount;
    std::vector<A> acc(static_cast<size_t>(outCount));
    std::vector<A> shift;  // LogSumExp: per-output max, subtracted before exp
    if constexpr (K == ReduceKind::Max || K == ReduceKind::LogSumExp) {
      std::fill(acc.begin(), acc.end(), std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity()
                                                                                : std::numeric_limits<A>::lowest());
      // v != v: a NaN wins and then stays (nothing compares greater than it).
      accumulate<T>(x, plan.keptDims, acc, [](A& a, T v) {
        if (A(v) > a || A(v) != A(v)) a = A(v);
      });
      if constexpr (K == ReduceKind::LogSumExp) {
        shift = acc;
        for (A& s : shift)
          if (std::isinf(static_cast<double>(s))) s = A(0);  // all -inf (or empty): nothing to shift by
        std::fill(acc.begin(), acc.end(), A(0));
        // The output index of each element is needed here, so walk again with the shift.
        std::vector<A> sums(acc.size(), A(0));
        const T* px = in<T>(x);
        std::span<const int64_t> kept(plan.keptDims);
        forEachBroadcast<1>(x.dims(), {kept}, [&](int64_t i, const std::array<int64_t, 1>& o, int64_t n,
                                                  const std::array<int64_t, 1>& s) {
          for (int64_t k = 0; k < n; ++k) {
            int64_t oi = o[0] + k * s[0];
            sums[oi] += std::exp(A(px[i + k]) - shift[oi]);
          }
        });
        for (size_t i = 0; i < acc.size(); ++i) acc[i] = std::log(sums[i]) + shift[i];
      }
    } else if constexpr (K == ReduceKind::Min) {
      std::fill(acc.begin(), acc.end(), std::numeric_limits<A>::has_infinity ? std::numeric_limits<A>::infinity()
                                                                               : std::numeric_limits<A>::max());
      accumulate<T>(x, plan.keptDims, acc, [](A& a, T v) {
        if (A(v) < a || A(v) != A(v)) a = A(v);
      });
    } else if constexpr (K == ReduceKind::Prod) {
      std::fill(acc.begin(), acc.end(), A(1));
      accumulate<T>(x, plan.keptDims, acc, [](A& a, T v) { a = wrapMul(a, A(v)); });
    } else if constexpr (K == ReduceKind::L1) {
      accumulate<T>(x, plan.keptDims, acc, [](A& a, T v) {
        if constexpr (std::is_unsigned_v<T>) a = wrapAdd(a, A(v));
        else a = wrapAdd(a, v < T(0) ? wrapSub(A(0), A(v)) : A(v));
      });
    } else if constexpr (K == ReduceKind::SumSquare || K == ReduceKind::L2) {
      accumulate<T>(x, plan.keptDims, acc, [](A& a, T v) { a = wrapAdd(a, wrapMul(A(v), A(v))); });
      if constexpr (K == ReduceKind::L2)
        for (A& a : acc) a = static_cast<A>(std::sqrt(static_cast<double>(a)));
    } else {  // Sum, Mean, LogSum
      accumulate<T>(x, plan.keptDims, acc, [](A& a, T v) { a = wrapAdd(a, A(v)); });
      if constexpr (K == ReduceKind::Mean)
        for (A& a : acc) {
          if (count != 0) a = static_cast<A>(a / A(count));
          else if constexpr (std::is_floating_point_v<A>) a = std::numeric_limits<A>::quiet_NaN();
        }
      if constexpr (K == ReduceKind::LogSum)
        for (A& a : acc) a = std::log(a);
    }
    Tensor y = newTensor(x.dtype(), plan.outDims);
    T* py = out<T>(y);
    for (int64_t i = 0; i < outCount; ++i) py[i] = static_cast<T>(acc[i]);
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

// ---- ArgMax / ArgMin -----------------------------------------------------------------------

template <bool kMax>
Status argKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto axis = normalizeAxis(ctx.node.intAttr("axis", 0), static_cast<int64_t>(x.rank()));
  if (!axis) return axis.takeStatus();
  const bool keepdims = ctx.node.intAttr("keepdims", 1) != 0;
  const bool last = ctx.node.intAttr("select_last_index", 0) != 0;
  const AxisSplit s = splitAt(x.dims(), *axis);
  if (s.axis == 0) return ctx.error("cannot take the arg" + std::string(kMax ? "max" : "min") + " of an empty axis");
  std::vector<int64_t> outDims;
  for (size_t d = 0; d < x.rank(); ++d) {
    if (static_cast<int64_t>(d) != *axis) outDims.push_back(x.dims()[d]);
    else if (keepdims) outDims.push_back(1);
  }
  return visitDType<NumericTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(DType::Int64, outDims);
    const T* px = in<T>(x);
    int64_t* py = out<int64_t>(y);
    for (int64_t o = 0; o < s.outer; ++o) {
      for (int64_t i = 0; i < s.inner; ++i) {
        const T* p = px + o * s.axis * s.inner + i;
        int64_t best = 0;
        T bestV = p[0];
        for (int64_t k = 1; k < s.axis; ++k) {
          T v = p[k * s.inner];
          bool better = kMax ? (last ? v >= bestV : v > bestV) : (last ? v <= bestV : v < bestV);
          if (better) {
            best = k;
            bestV = v;
          }
        }
        py[o * s.inner + i] = best;
      }
    }
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

// ---- CumSum --------------------------------------------------------------------------------

Status cumSumKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto axisValue = readInt64Scalar(ctx.input(1));
  if (!axisValue) return axisValue.takeStatus();
  auto axis = normalizeAxis(*axisValue, static_cast<int64_t>(x.rank()));
  if (!axis) return axis.takeStatus();
  const bool exclusive = ctx.node.intAttr("exclusive", 0) != 0;
  const bool reverse = ctx.node.intAttr("reverse", 0) != 0;
  const AxisSplit s = splitAt(x.dims(), *axis);
  return visitDType<TypeList<float, double, int32_t, int64_t, uint32_t, uint64_t>>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), x.dims());
    const T* px = in<T>(x);
    T* py = out<T>(y);
    std::vector<T> running(static_cast<size_t>(s.inner));
    for (int64_t o = 0; o < s.outer; ++o) {
      std::fill(running.begin(), running.end(), T(0));
      for (int64_t step = 0; step < s.axis; ++step) {
        const int64_t k = reverse ? s.axis - 1 - step : step;
        const T* src = px + (o * s.axis + k) * s.inner;
        T* dst = py + (o * s.axis + k) * s.inner;
        for (int64_t i = 0; i < s.inner; ++i) {
          if (exclusive) {
            dst[i] = running[i];
            running[i] = wrapAdd(running[i], src[i]);
          } else {
            running[i] = wrapAdd(running[i], src[i]);
            dst[i] = running[i];
          }
        }
      }
    }
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

// ---- TopK ----------------------------------------------------------------------------------

/// TopK: the k largest (or smallest) along an axis; equal values keep the lower index first.
Status topKKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto kValue = readInt64Scalar(ctx.input(1));
  if (!kValue) return kValue.takeStatus();
  auto axis = normalizeAxis(ctx.node.intAttr("axis", -1), static_cast<int64_t>(x.rank()));
  if (!axis) return axis.takeStatus();
  const bool largest = ctx.node.intAttr("largest", 1) != 0;
  const AxisSplit s = splitAt(x.dims(), *axis);
  const int64_t k = *kValue;
  if (k < 0 || k > s.axis)
    return ctx.error("k = " + std::to_string(k) + " is out of range for an axis of size " + std::to_string(s.axis));
  std::vector<int64_t> outDims = x.dims();
  outDims[static_cast<size_t>(*axis)] = k;
  return visitDType<NumericTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor values = newTensor(x.dtype(), outDims);
    Tensor indices = newTensor(DType::Int64, outDims);
    const T* px = in<T>(x);
    T* pv = out<T>(values);
    int64_t* pi = out<int64_t>(indices);
    std::vector<int64_t> order(static_cast<size_t>(s.axis));
    for (int64_t o = 0; o < s.outer; ++o) {
      for (int64_t i = 0; i < s.inner; ++i) {
        const T* p = px + o * s.axis * s.inner + i;
        std::iota(order.begin(), order.end(), 0);
        auto before = [&](int64_t a, int64_t b) {
          T va = p[a * s.inner], vb = p[b * s.inner];
          if (va != vb) return largest ? va > vb : va < vb;
          return a < b;
        };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        for (int64_t j = 0; j < k; ++j) {
          const int64_t dst = (o * k + j) * s.inner + i;
          pv[dst] = p[order[j] * s.inner];
          pi[dst] = order[j];
        }
      }
    }
    ctx.setOutput(0, std::move(values));
    ctx.setOutput(1, std::move(indices));
    return Status::ok();
  });
}

}  // namespace

void registerReductionKernels(KernelRegistry& r) {
  r.add("", "ReduceSum", reduceKernel<ReduceKind::Sum>);
  r.add("", "ReduceMean", reduceKernel<ReduceKind::Mean>);
  r.add("", "ReduceMax", reduceKernel<ReduceKind::Max>);
  r.add("", "ReduceMin", reduceKernel<ReduceKind::Min>);
  r.add("", "ReduceProd", reduceKernel<ReduceKind::Prod>);
  r.add("", "ReduceL1", reduceKernel<ReduceKind::L1>);
  r.add("", "ReduceL2", reduceKernel<ReduceKind::L2>);
  r.add("", "ReduceLogSum", reduceKernel<ReduceKind::LogSum>);
  r.add("", "ReduceLogSumExp", reduceKernel<ReduceKind::LogSumExp>);
  r.add("", "ReduceSumSquare", reduceKernel<ReduceKind::SumSquare>);
  r.add("", "ArgMax", argKernel<true>);
  r.add("", "ArgMin", argKernel<false>);
  r.add("", "CumSum", cumSumKernel);
  r.add("", "TopK", topKKernel);
}

}  // namespace kiln::reference
