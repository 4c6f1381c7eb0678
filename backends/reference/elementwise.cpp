// Elementwise kernels: unary math, binary arithmetic and comparisons with multidirectional
// broadcasting, variadic Max/Min/Sum/Mean, Where, Clip, Cast/CastLike.
//
// Each op is a small functor; one template kernel per arity instantiates it over the element
// types the ONNX spec allows, so the inner loops are plain and vectorizable (no per-element
// indirect calls).

#include <cmath>
#include <limits>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util.h"

namespace kiln::reference {
namespace {

// ---- unary -----------------------------------------------------------------------------------

template <typename Op, typename Types>
Status unaryKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return visitDType<Types>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), x.dims());
    const T* px = in<T>(x);
    T* py = out<T>(y);
    const int64_t n = x.numElements();
    Op op;
    for (int64_t i = 0; i < n; ++i) py[i] = op(px[i]);
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

#define KILN_FLOAT_UNARY(Name, expr)            \
  struct Name {                                 \
    template <typename T>                       \
    T operator()(T x) const {                   \
      return expr;                              \
    }                                           \
  };
KILN_FLOAT_UNARY(ExpOp, std::exp(x))
KILN_FLOAT_UNARY(LogOp, std::log(x))
KILN_FLOAT_UNARY(SqrtOp, std::sqrt(x))
KILN_FLOAT_UNARY(ReciprocalOp, T(1) / x)
KILN_FLOAT_UNARY(SinOp, std::sin(x))
KILN_FLOAT_UNARY(CosOp, std::cos(x))
KILN_FLOAT_UNARY(TanOp, std::tan(x))
KILN_FLOAT_UNARY(AsinOp, std::asin(x))
KILN_FLOAT_UNARY(AcosOp, std::acos(x))
KILN_FLOAT_UNARY(AtanOp, std::atan(x))
KILN_FLOAT_UNARY(SinhOp, std::sinh(x))
KILN_FLOAT_UNARY(CoshOp, std::cosh(x))
KILN_FLOAT_UNARY(TanhOp, std::tanh(x))
KILN_FLOAT_UNARY(AsinhOp, std::asinh(x))
KILN_FLOAT_UNARY(AcoshOp, std::acosh(x))
KILN_FLOAT_UNARY(AtanhOp, std::atanh(x))
KILN_FLOAT_UNARY(ErfOp, std::erf(x))
KILN_FLOAT_UNARY(FloorOp, std::floor(x))
KILN_FLOAT_UNARY(CeilOp, std::ceil(x))
// nearbyint in the default rounding mode rounds halfway cases to even, as ONNX Round asks.
KILN_FLOAT_UNARY(RoundOp, std::nearbyint(x))
#undef KILN_FLOAT_UNARY

struct AbsOp {
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return x;
    else if constexpr (std::is_floating_point_v<T>) return std::fabs(x);
    else return x < 0 ? wrapSub(T(0), x) : x;  // INT_MIN stays INT_MIN (wraps), as in ORT
  }
};
struct NegOp {
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return wrapSub(T(0), x);  // wraps, no UB on INT_MIN
    else return -x;
  }
};
struct SignOp {
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) return x;
    }
    if constexpr (std::is_unsigned_v<T>) return x > T(0) ? T(1) : T(0);
    else return x > T(0) ? T(1) : (x < T(0) ? static_cast<T>(-1) : T(0));
  }
};
struct NotOp {
  bool operator()(bool x) const { return !x; }
};

using SignedNumericTypes = TypeList<float, double, int8_t, int16_t, int32_t, int64_t>;

Status isNaNKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(DType::Bool, x.dims());
    const T* px = in<T>(x);
    bool* py = out<bool>(y);
    for (int64_t i = 0, n = x.numElements(); i < n; ++i) py[i] = std::isnan(px[i]);
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

Status isInfKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const bool neg = ctx.node.intAttr("detect_negative", 1) != 0;
  const bool pos = ctx.node.intAttr("detect_positive", 1) != 0;
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(DType::Bool, x.dims());
    const T* px = in<T>(x);
    bool* py = out<bool>(y);
    const T inf = std::numeric_limits<T>::infinity();
    for (int64_t i = 0, n = x.numElements(); i < n; ++i) py[i] = (pos && px[i] == inf) || (neg && px[i] == -inf);
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

// ---- binary --------------------------------------------------------------------------------

Status sameDType(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    return ctx.error("operand types differ (" + std::string(dtypeName(a.dtype())) + " vs " +
                     std::string(dtypeName(b.dtype())) + ")");
  return Status::ok();
}

/// out = op(a, b) with broadcasting; R is the result element type (T, or bool for comparisons).
template <typename T, typename R, typename Op>
Expected<Tensor> applyBinary(const Tensor& a, const Tensor& b, DType outType, Op op) {
  auto dims = broadcastShapes(a.dims(), b.dims());
  if (!dims) return dims.takeStatus();
  Tensor y = newTensor(outType, *dims);
  broadcastBinary(*dims, in<T>(a), a.dims(), in<T>(b), b.dims(), out<R>(y), op);
  return y;
}

/// Integer Div and Mod by zero trap on x86; report it instead.
template <typename T>
Status checkDivisor(const KernelContext& ctx, const Tensor& b) {
  if constexpr (std::is_integral_v<T>) {
    const T* p = in<T>(b);
    for (int64_t i = 0, n = b.numElements(); i < n; ++i)
      if (p[i] == 0) return ctx.error("integer division by zero");
  }
  return Status::ok();
}

template <typename Op, typename Types, bool kBoolResult = false, bool kDivides = false>
Status binaryKernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  KILN_RETURN_IF_ERROR(sameDType(ctx, a, b));
  return visitDType<Types>(a.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    using R = std::conditional_t<kBoolResult, bool, T>;
    if constexpr (kDivides) KILN_RETURN_IF_ERROR(checkDivisor<T>(ctx, b));
    auto y = applyBinary<T, R>(a, b, kBoolResult ? DType::Bool : a.dtype(), Op{});
    if (!y) return y.takeStatus();
    ctx.setOutput(0, y.take());
    return Status::ok();
  });
}

struct AddOp {
  template <typename T>
  T operator()(T a, T b) const { return wrapAdd(a, b); }
};
struct SubOp {
  template <typename T>
  T operator()(T a, T b) const { return wrapSub(a, b); }
};
struct MulOp {
  template <typename T>
  T operator()(T a, T b) const { return wrapMul(a, b); }
};
struct DivOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_signed_v<T> && std::is_integral_v<T>) {
      // INT_MIN / -1 traps; the wrapped result is INT_MIN.
      if (b == T(-1)) return wrapSub(T(0), a);
    }
    return static_cast<T>(a / b);  // integers truncate toward zero, as C++ (and ORT) do
  }
};
struct MaxOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    return a < b ? b : a;
  }
};
struct MinOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    return b < a ? b : a;
  }
};
struct EqualOp {
  template <typename T>
  bool operator()(T a, T b) const { return a == b; }
};
struct LessOp {
  template <typename T>
  bool operator()(T a, T b) const { return a < b; }
};
struct LessOrEqualOp {
  template <typename T>
  bool operator()(T a, T b) const { return a <= b; }
};
struct GreaterOp {
  template <typename T>
  bool operator()(T a, T b) const { return a > b; }
};
struct GreaterOrEqualOp {
  template <typename T>
  bool operator()(T a, T b) const { return a >= b; }
};
struct AndOp {
  bool operator()(bool a, bool b) const { return a && b; }
};
struct OrOp {
  bool operator()(bool a, bool b) const { return a || b; }
};
struct XorOp {
  bool operator()(bool a, bool b) const { return a != b; }
};

/// Mod with fmod=0: integer remainder with the sign of the divisor (Python's %).
struct IntModOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_signed_v<T>) {
      if (b == T(-1)) return T(0);
      T r = static_cast<T>(a % b);
      if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    } else {
      return static_cast<T>(a % b);
    }
  }
};
/// Mod with fmod=1: remainder with the sign of the dividend (C fmod).
struct FModOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::fmod(a, b);
    else if constexpr (std::is_signed_v<T>) return b == T(-1) ? T(0) : static_cast<T>(a % b);
    else return static_cast<T>(a % b);
  }
};

Status modKernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  if (ctx.node.intAttr("fmod", 0) != 0) return binaryKernel<FModOp, NumericTypes, false, true>(ctx);
  if (isFloat(a.dtype())) return ctx.error("fmod must be 1 for floating-point Mod");
  return binaryKernel<IntModOp, IntTypes, false, true>(ctx);
}

Status equalKernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != DType::String) return binaryKernel<EqualOp, NumericAndBoolTypes, true>(ctx);
  KILN_RETURN_IF_ERROR(sameDType(ctx, a, b));
  auto dims = broadcastShapes(a.dims(), b.dims());
  if (!dims) return dims.takeStatus();
  Tensor y = newTensor(DType::Bool, *dims);
  broadcastBinary(*dims, a.strings().data(), a.dims(), b.strings().data(), b.dims(), out<bool>(y),
                  [](const std::string& x, const std::string& z) { return x == z; });
  ctx.setOutput(0, std::move(y));
  return Status::ok();
}

template <typename T, typename E>
T power(T x, E e) {
  if constexpr (std::is_floating_point_v<T>) return static_cast<T>(std::pow(x, static_cast<T>(e)));
  else {
    // Out-of-range results would be undefined in a plain cast; go through int64 like x86 does.
    const double r = std::pow(static_cast<double>(x), static_cast<double>(e));
    if (!(r > -9223372036854775808.0 && r < 9223372036854775808.0)) return static_cast<T>(std::numeric_limits<int64_t>::min());
    return static_cast<T>(static_cast<int64_t>(r));
  }
}

/// Pow's exponent may have another type than its base; the result has the base's type.
Status powKernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  auto dims = broadcastShapes(a.dims(), b.dims());
  if (!dims) return dims.takeStatus();
  return visitDType<NumericTypes>(a.dtype(), [&](auto baseZero) -> Status {
    using T = decltype(baseZero);
    return visitDType<NumericTypes>(b.dtype(), [&](auto expZero) -> Status {
      using E = decltype(expZero);
      Tensor y = newTensor(a.dtype(), *dims);
      broadcastBinary(*dims, in<T>(a), a.dims(), in<E>(b), b.dims(), out<T>(y),
                      [](T x, E e) { return power(x, e); });
      ctx.setOutput(0, std::move(y));
      return Status::ok();
    });
  });
}

Status bitShiftKernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  KILN_RETURN_IF_ERROR(sameDType(ctx, a, b));
  const std::string dir = ctx.node.stringAttr("direction", "");
  if (dir != "LEFT" && dir != "RIGHT") return ctx.error("direction must be LEFT or RIGHT, got '" + dir + "'");
  const bool left = dir == "LEFT";
  return visitDType<TypeList<uint8_t, uint16_t, uint32_t, uint64_t>>(a.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    constexpr T kBits = sizeof(T) * 8;
    auto y = applyBinary<T, T>(a, b, a.dtype(), [left](T x, T s) -> T {
      if (s >= kBits) return T(0);  // a shift past the width is UB in C++; the bits are all gone
      return left ? static_cast<T>(x << s) : static_cast<T>(x >> s);
    });
    if (!y) return y.takeStatus();
    ctx.setOutput(0, y.take());
    return Status::ok();
  });
}

// ---- variadic ------------------------------------------------------------------------------

/// Folds op over every input with broadcasting (Max, Min, Sum, Mean's sum).
template <typename Op, typename Types>
Status foldInputs(KernelContext& ctx, Tensor& result) {
  if (ctx.inputs.empty() || !ctx.hasInput(0)) return ctx.error("needs at least one input");
  const Tensor& first = ctx.input(0);
  return visitDType<Types>(first.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    result = first;
    for (size_t i = 1; i < ctx.inputs.size(); ++i) {
      if (!ctx.hasInput(i)) continue;
      KILN_RETURN_IF_ERROR(sameDType(ctx, result, ctx.input(i)));
      auto y = applyBinary<T, T>(result, ctx.input(i), first.dtype(), Op{});
      if (!y) return y.takeStatus();
      result = y.take();
    }
    return Status::ok();
  });
}

template <typename Op, typename Types>
Status variadicKernel(KernelContext& ctx) {
  Tensor result;
  KILN_RETURN_IF_ERROR((foldInputs<Op, Types>(ctx, result)));
  ctx.setOutput(0, std::move(result));
  return Status::ok();
}

Status meanKernel(KernelContext& ctx) {
  Tensor sum;
  KILN_RETURN_IF_ERROR((foldInputs<AddOp, FloatTypes>(ctx, sum)));
  size_t count = 0;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) count += ctx.hasInput(i);
  return visitDType<FloatTypes>(sum.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(sum.dtype(), sum.dims());
    const T* ps = in<T>(sum);
    T* py = out<T>(y);
    const T n = static_cast<T>(count);
    for (int64_t i = 0, e = sum.numElements(); i < e; ++i) py[i] = ps[i] / n;
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

// ---- Where, Clip, Cast ----------------------------------------------------------------------

Status whereKernel(KernelContext& ctx) {
  const Tensor& c = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  if (c.dtype() != DType::Bool) return ctx.error("condition must be bool");
  KILN_RETURN_IF_ERROR(sameDType(ctx, x, y));
  std::vector<int64_t> shapes[] = {c.dims(), x.dims(), y.dims()};
  auto dims = broadcastShapes(shapes);
  if (!dims) return dims.takeStatus();
  auto select = [&](auto* po, auto* px, auto* py) {
    const bool* pc = in<bool>(c);
    forEachBroadcast<3>(*dims, {c.dims(), x.dims(), y.dims()},
                        [&](int64_t o, const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& s) {
                          for (int64_t i = 0; i < n; ++i)
                            po[o + i] = pc[off[0] + i * s[0]] ? px[off[1] + i * s[1]] : py[off[2] + i * s[2]];
                        });
  };
  if (x.dtype() == DType::String) {
    std::vector<std::string> strings(static_cast<size_t>(product(*dims)));
    select(strings.data(), x.strings().data(), y.strings().data());
    ctx.setOutput(0, Tensor::fromStrings(*dims, std::move(strings)));
    return Status::ok();
  }
  return visitDType<AllFixedTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor r = newTensor(x.dtype(), *dims);
    select(out<T>(r), in<T>(x), in<T>(y));
    ctx.setOutput(0, std::move(r));
    return Status::ok();
  });
}

Status clipKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return visitDType<NumericTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    for (size_t k : {size_t{1}, size_t{2}}) {
      if (!ctx.hasInput(k)) continue;
      const Tensor& bound = ctx.input(k);
      if (bound.dtype() != x.dtype() || bound.numElements() != 1)
        return ctx.error(std::string(k == 1 ? "min" : "max") + " must be a one-element " +
                         std::string(dtypeName(x.dtype())) + " tensor");
      (k == 1 ? lo : hi) = in<T>(bound)[0];
    }
    Tensor y = newTensor(x.dtype(), x.dims());
    const T* px = in<T>(x);
    T* py = out<T>(y);
    // min(max(x, lo), hi): when lo > hi every element becomes hi, as in ORT.
    for (int64_t i = 0, n = x.numElements(); i < n; ++i) {
      T v = px[i] < lo ? lo : px[i];
      py[i] = hi < v ? hi : v;
    }
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

Status castTo(KernelContext& ctx, DType to) {
  auto y = castTensor(ctx.input(0), to);
  if (!y) return y.takeStatus();
  ctx.setOutput(0, y.take());
  return Status::ok();
}

Status castKernel(KernelContext& ctx) {
  int64_t code = ctx.node.intAttr("to", 0);
  auto to = dtypeFromOnnx(static_cast<int32_t>(code));
  if (!to || *to == DType::Undefined || *to == DType::Complex64 || *to == DType::Complex128)
    return ctx.error("unsupported Cast target type " + std::to_string(code));
  return castTo(ctx, *to);
}

Status castLikeKernel(KernelContext& ctx) { return castTo(ctx, ctx.input(1).dtype()); }

}  // namespace

void registerElementwiseKernels(KernelRegistry& r) {
  r.add("", "Exp", unaryKernel<ExpOp, FloatTypes>);
  r.add("", "Log", unaryKernel<LogOp, FloatTypes>);
  r.add("", "Sqrt", unaryKernel<SqrtOp, FloatTypes>);
  r.add("", "Reciprocal", unaryKernel<ReciprocalOp, FloatTypes>);
  r.add("", "Sin", unaryKernel<SinOp, FloatTypes>);
  r.add("", "Cos", unaryKernel<CosOp, FloatTypes>);
  r.add("", "Tan", unaryKernel<TanOp, FloatTypes>);
  r.add("", "Asin", unaryKernel<AsinOp, FloatTypes>);
  r.add("", "Acos", unaryKernel<AcosOp, FloatTypes>);
  r.add("", "Atan", unaryKernel<AtanOp, FloatTypes>);
  r.add("", "Sinh", unaryKernel<SinhOp, FloatTypes>);
  r.add("", "Cosh", unaryKernel<CoshOp, FloatTypes>);
  r.add("", "Tanh", unaryKernel<TanhOp, FloatTypes>);
  r.add("", "Asinh", unaryKernel<AsinhOp, FloatTypes>);
  r.add("", "Acosh", unaryKernel<AcoshOp, FloatTypes>);
  r.add("", "Atanh", unaryKernel<AtanhOp, FloatTypes>);
  r.add("", "Erf", unaryKernel<ErfOp, FloatTypes>);
  r.add("", "Floor", unaryKernel<FloorOp, FloatTypes>);
  r.add("", "Ceil", unaryKernel<CeilOp, FloatTypes>);
  r.add("", "Round", unaryKernel<RoundOp, FloatTypes>);
  r.add("", "Abs", unaryKernel<AbsOp, NumericTypes>);
  r.add("", "Neg", unaryKernel<NegOp, SignedNumericTypes>);
  r.add("", "Sign", unaryKernel<SignOp, NumericTypes>);
  r.add("", "Not", unaryKernel<NotOp, TypeList<bool>>);
  r.add("", "IsNaN", isNaNKernel);
  r.add("", "IsInf", isInfKernel);

  r.add("", "Add", binaryKernel<AddOp, NumericTypes>);
  r.add("", "Sub", binaryKernel<SubOp, NumericTypes>);
  r.add("", "Mul", binaryKernel<MulOp, NumericTypes>);
  r.add("", "Div", binaryKernel<DivOp, NumericTypes, false, true>);
  r.add("", "Pow", powKernel);
  r.add("", "Mod", modKernel);
  r.add("", "BitShift", bitShiftKernel);
  r.add("", "Equal", equalKernel);
  r.add("", "Less", binaryKernel<LessOp, NumericTypes, true>);
  r.add("", "LessOrEqual", binaryKernel<LessOrEqualOp, NumericTypes, true>);
  r.add("", "Greater", binaryKernel<GreaterOp, NumericTypes, true>);
  r.add("", "GreaterOrEqual", binaryKernel<GreaterOrEqualOp, NumericTypes, true>);
  r.add("", "And", binaryKernel<AndOp, TypeList<bool>, true>);
  r.add("", "Or", binaryKernel<OrOp, TypeList<bool>, true>);
  r.add("", "Xor", binaryKernel<XorOp, TypeList<bool>, true>);

  r.add("", "Max", variadicKernel<MaxOp, NumericTypes>);
  r.add("", "Min", variadicKernel<MinOp, NumericTypes>);
  r.add("", "Sum", variadicKernel<AddOp, NumericTypes>);
  r.add("", "Mean", meanKernel);

  r.add("", "Where", whereKernel);
  r.add("", "Clip", clipKernel);
  r.add("", "Cast", castKernel);
  r.add("", "CastLike", castLikeKernel);
}

}  // namespace kiln::reference
