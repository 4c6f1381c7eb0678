#pragma once
// Comparison of a kiln output with an oracle's (ONNX Runtime) for the generated op cases:
// float32 within a relative-scaled tolerance, float64 tighter, everything else exact.
// Header-only: included by the reference and tools unit tests.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "ir/float16.h"
#include "ir/tensor.h"

namespace kiln::testing {

inline std::string dimsText(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

/// Empty when `actual` matches `expected`; else a one-line reason. Floats match when
/// |a - e| <= tol * max(1, |e|) (NaN matches NaN); `tol` <= 0 picks the default for the type
/// (1e-5 for f32, 1e-9 for f64). f16/bf16 are bit-exact unless a `tol` is given (Cast must
/// round exactly; arithmetic in half precision may differ by an ulp or two). Integers and
/// bools are exact.
inline std::string compareTensors(const Tensor& actual, const Tensor& expected, double tol = 0) {
  if (actual.dtype() != expected.dtype())
    return "dtype " + std::string(dtypeName(actual.dtype())) + ", expected " + std::string(dtypeName(expected.dtype()));
  if (actual.dims() != expected.dims())
    return "shape " + dimsText(actual.dims()) + ", expected " + dimsText(expected.dims());
  const int64_t n = expected.numElements();
  if (expected.dtype() == DType::String) return actual.strings() == expected.strings() ? "" : "string contents differ";
  const bool half = expected.dtype() == DType::Float16 || expected.dtype() == DType::BFloat16;
  if (expected.dtype() == DType::Float32 || expected.dtype() == DType::Float64 || (half && tol > 0)) {
    if (tol <= 0) tol = expected.dtype() == DType::Float32 ? 1e-5 : 1e-9;
    double worst = 0;
    int64_t worstAt = -1;
    for (int64_t i = 0; i < n; ++i) {
      const double a = actual.scalarAsDouble(i), e = expected.scalarAsDouble(i);
      if (std::isnan(a) && std::isnan(e)) continue;
      if (std::isinf(e) && a == e) continue;
      const double err = std::isnan(a) || std::isnan(e) ? INFINITY : std::fabs(a - e) / std::max(1.0, std::fabs(e));
      if (err > worst) {
        worst = err;
        worstAt = i;
      }
    }
    if (worst <= tol) return "";
    return "element " + std::to_string(worstAt) + " is " + std::to_string(actual.scalarAsDouble(worstAt)) +
           ", expected " + std::to_string(expected.scalarAsDouble(worstAt)) + " (scaled error " +
           std::to_string(worst) + " > " + std::to_string(tol) + ")";
  }
  const size_t width = dtypeSize(expected.dtype());
  for (int64_t i = 0; i < n; ++i) {
    const std::byte* a = actual.rawData() + i * width;
    const std::byte* e = expected.rawData() + i * width;
    if (std::memcmp(a, e, width) == 0) continue;
    if (expected.dtype() == DType::Float16 || expected.dtype() == DType::BFloat16) {
      uint16_t ha, he;
      std::memcpy(&ha, a, 2);
      std::memcpy(&he, e, 2);
      auto wide = expected.dtype() == DType::Float16 ? halfToFloat : bfloat16ToFloat;
      if (std::isnan(wide(ha)) && std::isnan(wide(he))) continue;
    }
    if (expected.dtype() == DType::Bool && (a[0] != std::byte{0}) == (e[0] != std::byte{0})) continue;
    return "element " + std::to_string(i) + " is " + std::to_string(actual.scalarAsDouble(i)) + ", expected " +
           std::to_string(expected.scalarAsDouble(i));
  }
  return "";
}

}  // namespace kiln::testing
