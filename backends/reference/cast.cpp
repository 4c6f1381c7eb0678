// Element type conversion (ONNX Cast), shared by the Cast/CastLike kernels and any kernel that
// computes in another type.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "backends/reference/tensor_util.h"
#include "ir/float16.h"

namespace kiln::reference {
namespace {

/// The type arithmetic on T happens in: f16/bf16 widen to float.
template <typename T>
using ArithOf = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>, float, T>;

template <typename T>
ArithOf<T> load(T v) {
  if constexpr (std::is_same_v<T, Half>) return halfToFloat(v.bits);
  else if constexpr (std::is_same_v<T, BFloat16>) return bfloat16ToFloat(v.bits);
  else return v;
}

/// Float to integer without C++'s undefined behaviour on NaN and out-of-range values: those
/// become the integer x86's cvttsd2si gives (INT64_MIN), truncated to the target width, which
/// is what ONNX Runtime produces on the machines we compare with.
template <typename I, typename F>
I floatToInt(F f) {
  if constexpr (std::is_same_v<I, uint64_t>) {
    if (f >= F(9223372036854775808.0) && f < F(18446744073709551616.0)) return static_cast<uint64_t>(f);
  }
  if (std::isnan(f) || f >= F(9223372036854775808.0) || f < F(-9223372036854775808.0))
    return static_cast<I>(std::numeric_limits<int64_t>::min());
  return static_cast<I>(static_cast<int64_t>(f));
}

template <typename To, typename From>
To convert(From raw) {
  auto v = load(raw);
  using V = decltype(v);
  if constexpr (std::is_same_v<To, Half>) return Half{floatToHalf(static_cast<float>(v))};
  else if constexpr (std::is_same_v<To, BFloat16>) return BFloat16{floatToBfloat16(static_cast<float>(v))};
  else if constexpr (std::is_same_v<To, bool>) return v != V(0);
  else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<V>) return floatToInt<To>(v);
  else return static_cast<To>(v);
}

template <typename T>
std::string toString(T raw) {
  auto v = load(raw);
  using V = decltype(v);
  if constexpr (std::is_floating_point_v<V>) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
    char buf[40];
    std::snprintf(buf, sizeof buf, std::is_same_v<V, double> ? "%.17g" : "%.9g", static_cast<double>(v));
    return buf;
  } else if constexpr (std::is_same_v<V, bool>) {
    return v ? "1" : "0";
  } else {
    return std::to_string(v);
  }
}

template <typename T>
Expected<T> fromString(const std::string& s) {
  const char* begin = s.c_str();
  char* end = nullptr;
  T v{};
  if constexpr (std::is_floating_point_v<ArithOf<T>> || std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    double d = std::strtod(begin, &end);
    v = convert<T>(d);
  } else if constexpr (std::is_same_v<T, bool>) {
    long long i = std::strtoll(begin, &end, 10);
    v = i != 0;
  } else if constexpr (std::is_signed_v<T>) {
    v = static_cast<T>(std::strtoll(begin, &end, 10));
  } else {
    v = static_cast<T>(std::strtoull(begin, &end, 10));
  }
  if (end == begin || *end != '\0') return Status::error("cannot cast string '" + s + "' to a number");
  return v;
}

}  // namespace

Expected<Tensor> castTensor(const Tensor& x, DType to) {
  if (x.dtype() == to) return x;
  const int64_t n = x.numElements();
  if (to == DType::String) {
    std::vector<std::string> strings(static_cast<size_t>(n));
    Status s = visitDType<AllFixedTypes>(x.dtype(), [&](auto zero) -> Status {
      using From = decltype(zero);
      const From* px = in<From>(x);
      for (int64_t i = 0; i < n; ++i) strings[i] = toString(px[i]);
      return Status::ok();
    });
    if (!s) return s;
    return Tensor::fromStrings(x.dims(), std::move(strings));
  }
  Tensor y = newTensor(to, x.dims());
  Status s = visitDType<AllFixedTypes>(to, [&](auto toZero) -> Status {
    using To = decltype(toZero);
    To* py = out<To>(y);
    if (x.dtype() == DType::String) {
      for (int64_t i = 0; i < n; ++i) {
        auto v = fromString<To>(x.strings()[i]);
        if (!v) return v.takeStatus();
        py[i] = *v;
      }
      return Status::ok();
    }
    return visitDType<AllFixedTypes>(x.dtype(), [&](auto fromZero) -> Status {
      using From = decltype(fromZero);
      const From* px = in<From>(x);
      for (int64_t i = 0; i < n; ++i) py[i] = convert<To>(px[i]);
      return Status::ok();
    });
  });
  if (!s) return s;
  return y;
}

}  // namespace kiln::reference
