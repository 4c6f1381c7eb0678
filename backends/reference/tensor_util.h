#pragma once
// Helpers every reference kernel family shares: element-type dispatch, broadcasting, axis
// normalization, strides, and reading shape-like integer inputs. Header-only templates where
// the hot loops need inlining; the rest lives in tensor_util.cpp.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/dtype.h"
#include "ir/tensor.h"

namespace kiln::reference {

// ---- element types -------------------------------------------------------------------------

/// IEEE half and bfloat16 as distinct C++ types (both are 16-bit storage), so dispatch can
/// tell them from uint16_t. Kernels normally see them only through Cast.
struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};

/// The DType whose elements are stored as C++ type T (bool as 1-byte bool).
template <typename T>
constexpr DType dtypeOf() {
  if constexpr (std::is_same_v<T, float>) return DType::Float32;
  else if constexpr (std::is_same_v<T, double>) return DType::Float64;
  else if constexpr (std::is_same_v<T, Half>) return DType::Float16;
  else if constexpr (std::is_same_v<T, BFloat16>) return DType::BFloat16;
  else if constexpr (std::is_same_v<T, int8_t>) return DType::Int8;
  else if constexpr (std::is_same_v<T, int16_t>) return DType::Int16;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::Int32;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::Int64;
  else if constexpr (std::is_same_v<T, uint8_t>) return DType::UInt8;
  else if constexpr (std::is_same_v<T, uint16_t>) return DType::UInt16;
  else if constexpr (std::is_same_v<T, uint32_t>) return DType::UInt32;
  else if constexpr (std::is_same_v<T, uint64_t>) return DType::UInt64;
  else if constexpr (std::is_same_v<T, bool>) return DType::Bool;
  else static_assert(!sizeof(T), "no DType for this C++ type");
}

/// A list of C++ element types to dispatch over.
template <typename... Ts>
struct TypeList {};

using FloatTypes = TypeList<float, double>;
using SignedIntTypes = TypeList<int8_t, int16_t, int32_t, int64_t>;
using IntTypes = TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
/// float, double and every integer type: what arithmetic kernels accept.
using NumericTypes =
    TypeList<float, double, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
/// Numeric types plus bool: what comparisons and data movement accept.
using NumericAndBoolTypes = TypeList<float, double, int8_t, int16_t, int32_t, int64_t, uint8_t,
                                     uint16_t, uint32_t, uint64_t, bool>;
/// Every fixed-size element type, f16/bf16 included (data movement that only copies bytes).
using AllFixedTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t,
                               uint8_t, uint16_t, uint32_t, uint64_t, bool>;

/// "unsupported element type 'f16'": the Status visitDType returns for a type not in its list.
/// Kernels that refuse a type should use it (or the same wording): the interpreter recognizes
/// it and retries f16/bf16 inputs in f32 (see Interpreter::run).
Status unsupportedDType(DType dtype);
/// Whether `s` is such a refusal.
bool isUnsupportedDType(const Status& s);

namespace detail {
template <typename F, typename T, typename... Rest>
Status visitDTypeImpl(DType dtype, F& fn) {
  if (dtype == dtypeOf<T>()) return fn(T{});
  if constexpr (sizeof...(Rest) > 0) return visitDTypeImpl<F, Rest...>(dtype, fn);
  else return unsupportedDType(dtype);
}
template <typename List>
struct Visit;
template <typename... Ts>
struct Visit<TypeList<Ts...>> {
  template <typename F>
  static Status run(DType dtype, F& fn) {
    return visitDTypeImpl<F, Ts...>(dtype, fn);
  }
};
}  // namespace detail

/// Calls `fn(T{})` with T the C++ type of `dtype` when it is in `List`, else returns
/// unsupportedDType. `fn` returns Status. Typical use:
///   return visitDType<NumericTypes>(x.dtype(), [&](auto zero) -> Status {
///     using T = decltype(zero); ... return Status::ok(); });
template <typename List, typename F>
Status visitDType(DType dtype, F&& fn) {
  return detail::Visit<List>::run(dtype, fn);
}

template <typename T, typename... Ts>
constexpr bool contains(TypeList<Ts...>) {
  return (std::is_same_v<T, Ts> || ...);
}

// ---- integer arithmetic that wraps -----------------------------------------------------------
// ONNX Runtime's integer Add/Mul/Sum wrap around on overflow. In C++ signed overflow is
// undefined, and even unsigned 16-bit products overflow `int` after promotion, so integer
// arithmetic goes through an unsigned type at least as wide as `unsigned`.

namespace detail {
template <typename T>
using WrapType = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
}

template <typename T>
T wrapAdd(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using W = detail::WrapType<T>;
    return static_cast<T>(static_cast<W>(a) + static_cast<W>(b));
  } else {
    return a + b;
  }
}
template <typename T>
T wrapSub(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using W = detail::WrapType<T>;
    return static_cast<T>(static_cast<W>(a) - static_cast<W>(b));
  } else {
    return a - b;
  }
}
template <typename T>
T wrapMul(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using W = detail::WrapType<T>;
    return static_cast<T>(static_cast<W>(a) * static_cast<W>(b));
  } else {
    return a * b;
  }
}

// ---- shapes ------------------------------------------------------------------------------

/// Product of dims (1 for a scalar).
int64_t product(std::span<const int64_t> dims);
/// Product of dims[begin, end) (end past the rank: to the last dim).
int64_t product(std::span<const int64_t> dims, size_t begin, size_t end = SIZE_MAX);
/// Row-major strides in elements.
std::vector<int64_t> contiguousStrides(std::span<const int64_t> dims);
/// Number of elements of `dims`, or an error when a dim is negative or the count overflows
/// int64 (hostile shapes reach kernels through Reshape/Expand/ConstantOfShape inputs).
Expected<int64_t> checkedElementCount(std::span<const int64_t> dims);

/// Maps `axis` in [-rank, rank) to [0, rank), else an error naming the axis and rank.
Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank);
/// Normalizes every axis; duplicates are an error.
Expected<std::vector<int64_t>> normalizeAxes(std::span<const int64_t> axes, int64_t rank);

/// The three-part view of a tensor around one axis: [outer, axis, inner].
struct AxisSplit {
  int64_t outer = 1, axis = 1, inner = 1;
};
AxisSplit splitAt(std::span<const int64_t> dims, int64_t axis);

// ---- integer inputs ------------------------------------------------------------------------

/// Every element of an integer tensor (any integer width, signed or not) as int64; an error
/// for float, bool and string tensors.
Expected<std::vector<int64_t>> readInt64List(const Tensor& t);
/// A one-element integer tensor (any rank) as int64.
Expected<int64_t> readInt64Scalar(const Tensor& t);
/// A one-element numeric tensor of any type as double.
Expected<double> readDoubleScalar(const Tensor& t);

// ---- broadcasting --------------------------------------------------------------------------

/// Multidirectional (numpy) broadcast of two shapes; error when they are incompatible.
Expected<std::vector<int64_t>> broadcastShapes(std::span<const int64_t> a, std::span<const int64_t> b);
/// Broadcast of any number of shapes.
Expected<std::vector<int64_t>> broadcastShapes(std::span<const std::vector<int64_t>> shapes);
/// Strides (in elements) of an input of shape `inDims` read as shape `outDims`: right-aligned,
/// 0 on broadcast (size-1 or missing) axes. `inDims` must broadcast to `outDims`.
std::vector<int64_t> broadcastStrides(std::span<const int64_t> inDims, std::span<const int64_t> outDims);

/// A broadcast walk over `outDims` for N inputs, with adjacent axes merged where every input
/// allows it, so the innermost run is as long as possible.
template <size_t N>
struct BroadcastPlan {
  std::vector<int64_t> dims;                      ///< merged output dims (at least one)
  std::array<std::vector<int64_t>, N> strides;    ///< per input, per merged dim
};

/// Builds the plan; every input shape must broadcast to `outDims`.
template <size_t N>
BroadcastPlan<N> makeBroadcastPlan(std::span<const int64_t> outDims,
                                   const std::array<std::span<const int64_t>, N>& inDims) {
  std::array<std::vector<int64_t>, N> full;
  for (size_t k = 0; k < N; ++k) full[k] = broadcastStrides(inDims[k], outDims);
  BroadcastPlan<N> plan;
  for (size_t d = 0; d < outDims.size(); ++d) {
    if (outDims[d] == 1) continue;  // size-1 axes contribute nothing to the walk
    bool merge = !plan.dims.empty();
    for (size_t k = 0; merge && k < N; ++k)
      merge = plan.strides[k].back() == full[k][d] * outDims[d];
    if (merge) {
      plan.dims.back() *= outDims[d];
      for (size_t k = 0; k < N; ++k) plan.strides[k].back() = full[k][d];
    } else {
      plan.dims.push_back(outDims[d]);
      for (size_t k = 0; k < N; ++k) plan.strides[k].push_back(full[k][d]);
    }
  }
  if (plan.dims.empty()) {
    plan.dims.push_back(1);
    for (size_t k = 0; k < N; ++k) plan.strides[k].push_back(0);
  }
  return plan;
}

/// Walks the output in row-major order one innermost run at a time:
///   fn(int64_t outOffset, const std::array<int64_t, N>& inOffsets, int64_t count,
///      const std::array<int64_t, N>& innerStrides)
/// covers output elements [outOffset, outOffset + count); input k's element for output
/// outOffset + i is at inOffsets[k] + i * innerStrides[k] (innerStrides are 0 or 1 after
/// merging in the common cases, so kernels can branch to a vectorizable loop).
template <size_t N, typename Fn>
void forEachBroadcastRun(const BroadcastPlan<N>& plan, Fn&& fn) {
  const size_t rank = plan.dims.size();
  const int64_t inner = plan.dims[rank - 1];
  std::array<int64_t, N> innerStrides;
  for (size_t k = 0; k < N; ++k) innerStrides[k] = plan.strides[k][rank - 1];
  int64_t outer = 1;
  for (size_t d = 0; d + 1 < rank; ++d) outer *= plan.dims[d];
  if (inner == 0 || outer == 0) return;
  std::vector<int64_t> index(rank, 0);
  std::array<int64_t, N> offsets{};
  int64_t out = 0;
  for (int64_t o = 0; o < outer; ++o) {
    fn(out, offsets, inner, innerStrides);
    out += inner;
    // Odometer increment over the outer dims.
    for (size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < plan.dims[d]) {
        for (size_t k = 0; k < N; ++k) offsets[k] += plan.strides[k][d];
        break;
      }
      index[d] = 0;
      for (size_t k = 0; k < N; ++k) offsets[k] -= plan.strides[k][d] * (plan.dims[d] - 1);
    }
  }
}

/// Convenience: plan + walk.
template <size_t N, typename Fn>
void forEachBroadcast(std::span<const int64_t> outDims,
                      const std::array<std::span<const int64_t>, N>& inDims, Fn&& fn) {
  forEachBroadcastRun(makeBroadcastPlan<N>(outDims, inDims), fn);
}

/// Applies `op(a, b)` elementwise with broadcasting: out[i] = op(a[..], b[..]). `out` must
/// hold product(outDims) elements. Vectorizable fast paths for same-shape and scalar operands.
template <typename A, typename B, typename R, typename Op>
void broadcastBinary(std::span<const int64_t> outDims, const A* a, std::span<const int64_t> aDims,
                     const B* b, std::span<const int64_t> bDims, R* out, Op op) {
  forEachBroadcast<2>(outDims, {aDims, bDims},
                      [&](int64_t o, const std::array<int64_t, 2>& in, int64_t n,
                          const std::array<int64_t, 2>& s) {
                        const A* pa = a + in[0];
                        const B* pb = b + in[1];
                        R* po = out + o;
                        if (s[0] == 1 && s[1] == 1) {
                          for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i], pb[i]);
                        } else if (s[0] == 1 && s[1] == 0) {
                          const B vb = *pb;
                          for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i], vb);
                        } else if (s[0] == 0 && s[1] == 1) {
                          const A va = *pa;
                          for (int64_t i = 0; i < n; ++i) po[i] = op(va, pb[i]);
                        } else {
                          for (int64_t i = 0; i < n; ++i) po[i] = op(pa[i * s[0]], pb[i * s[1]]);
                        }
                      });
}

// ---- tensors -------------------------------------------------------------------------------

/// A fresh zero-filled tensor (Tensor::zeros) whose data the caller fills through out<T>().
inline Tensor newTensor(DType dtype, std::vector<int64_t> dims) { return Tensor::zeros(dtype, std::move(dims)); }
/// Typed pointers into a tensor's storage.
template <typename T>
const T* in(const Tensor& t) {
  return reinterpret_cast<const T*>(t.rawData());
}
template <typename T>
T* out(Tensor& t) {
  return reinterpret_cast<T*>(t.mutableRawData());
}

/// `x` converted to `to` with ONNX Cast semantics (every fixed-size type, f16/bf16, bool,
/// strings <-> numbers). Shares the buffer when the type does not change. Defined in cast.cpp.
Expected<Tensor> castTensor(const Tensor& x, DType to);

/// `[2,3,4]`, for messages.
std::string dimsStr(std::span<const int64_t> dims);

}  // namespace kiln::reference
