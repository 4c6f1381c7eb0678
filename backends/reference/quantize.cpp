// QuantizeLinear / DequantizeLinear (v21 form): per-tensor, per-axis (1-D scale along `axis`)
// and blocked (scale of the input's rank, `block_size` elements per scale along `axis`).
// Arithmetic is float32, as in ONNX Runtime, so results match it bit for bit.

#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::reference {
namespace {

/// For each element of x, the index of its scale / zero point.
Expected<std::vector<int64_t>> scaleIndex(const Tensor& x, const Tensor& scale, const Node& node) {
  const auto n = static_cast<size_t>(x.numElements());
  std::vector<int64_t> index(n, 0);
  if (scale.numElements() == 1 && scale.rank() <= 1) return index;  // per tensor
  const auto rank = static_cast<int64_t>(x.rank());
  KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(node.intAttr("axis", 1), rank));
  const auto a = static_cast<size_t>(axis);
  const int64_t blockSize = node.intAttr("block_size", 0);
  if (blockSize <= 0) {  // per axis
    if (scale.rank() != 1 || scale.dims()[0] != x.dims()[a])
      return Status::error("per-axis scale must be 1-D of size " + std::to_string(x.dims()[a]));
    const AxisSplit s = splitAt(x.dims(), axis);
    for (size_t j = 0; j < n; ++j) index[j] = (static_cast<int64_t>(j) / s.inner) % s.axis;
    return index;
  }
  // Blocked: scale has x's dims except ceil(dim / block_size) along the axis.
  if (scale.rank() != x.rank()) return Status::error("blocked scale must have the input's rank");
  for (size_t d = 0; d < x.rank(); ++d) {
    const int64_t want = d == a ? (x.dims()[d] + blockSize - 1) / blockSize : x.dims()[d];
    if (scale.dims()[d] != want) return Status::error("blocked scale shape " + dimsStr(scale.dims()) + " does not fit the input");
  }
  auto strides = contiguousStrides(scale.dims());
  forEachIndex(x.dims(), [&](int64_t j, const std::vector<int64_t>& m) {
    int64_t k = 0;
    for (size_t d = 0; d < m.size(); ++d) k += (d == a ? m[d] / blockSize : m[d]) * strides[d];
    index[static_cast<size_t>(j)] = k;
  });
  return index;
}

float loadFloat(const Tensor& t, int64_t i) { return static_cast<float>(t.scalarAsDouble(i)); }

template <typename Q>
void quantizeInto(Tensor& out, const Tensor& x, const Tensor& scale, const Tensor* zeroPoint,
                  const std::vector<int64_t>& index) {
  Q* o = reinterpret_cast<Q*>(out.mutableRawData());
  const float lo = static_cast<float>(std::numeric_limits<Q>::lowest());
  const float hi = static_cast<float>(std::numeric_limits<Q>::max());
  const bool fastX = x.dtype() == DType::Float32, fastScale = scale.dtype() == DType::Float32;
  const float* xf = fastX ? in<float>(x) : nullptr;
  const float* sf = fastScale ? in<float>(scale) : nullptr;
  for (size_t j = 0; j < index.size(); ++j) {
    const int64_t k = index[j];
    const float xv = fastX ? xf[j] : loadFloat(x, static_cast<int64_t>(j));
    const float sv = fastScale ? sf[k] : loadFloat(scale, k);
    const float zp = zeroPoint ? static_cast<float>(zeroPoint->scalarAsDouble(k)) : 0.0f;
    // nearbyint rounds half to even in the default rounding mode; saturate to Q's range.
    float v = std::nearbyint(xv / sv) + zp;
    v = std::isnan(v) ? 0.0f : std::clamp(v, lo, hi);
    o[j] = static_cast<Q>(v);
  }
}

Status quantizeKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zeroPoint = ctx.hasInput(2) ? &ctx.input(2) : nullptr;
  if (!isFloat(x.dtype()) && x.dtype() != DType::Int32) return ctx.error("input must be float or int32");
  if (!isFloat(scale.dtype()) && scale.dtype() != DType::Int32) return ctx.error("scale must be float");
  DType outType = DType::UInt8;
  if (zeroPoint) {
    outType = zeroPoint->dtype();
  } else if (int64_t code = ctx.node.intAttr("output_dtype", 0); code != 0) {
    auto d = dtypeFromOnnx(static_cast<int32_t>(code));
    if (!d) return ctx.error("unsupported output_dtype " + std::to_string(code));
    outType = *d;
  }
  if (zeroPoint && zeroPoint->dims() != scale.dims()) return ctx.error("zero point and scale have different shapes");
  KILN_ASSIGN_OR_RETURN(index, scaleIndex(x, scale, ctx.node));
  Tensor out = newTensor(outType, x.dims());
  switch (outType) {
    case DType::UInt8: quantizeInto<uint8_t>(out, x, scale, zeroPoint, index); break;
    case DType::Int8: quantizeInto<int8_t>(out, x, scale, zeroPoint, index); break;
    case DType::UInt16: quantizeInto<uint16_t>(out, x, scale, zeroPoint, index); break;
    case DType::Int16: quantizeInto<int16_t>(out, x, scale, zeroPoint, index); break;
    default: return ctx.error("unsupported quantized type '" + std::string(dtypeName(outType)) + "'");
  }
  ctx.setOutput(0, std::move(out));
  return Status::ok();
}

Status dequantizeKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zeroPoint = ctx.hasInput(2) ? &ctx.input(2) : nullptr;
  if (!isInteger(x.dtype())) return ctx.error("input must be an integer tensor");
  if (!isFloat(scale.dtype())) return ctx.error("scale must be float");
  if (zeroPoint && zeroPoint->dtype() != x.dtype()) return ctx.error("zero point and input have different types");
  if (zeroPoint && zeroPoint->dims() != scale.dims()) return ctx.error("zero point and scale have different shapes");
  KILN_ASSIGN_OR_RETURN(index, scaleIndex(x, scale, ctx.node));
  Tensor out = newTensor(scale.dtype(), x.dims());
  std::byte* o = out.mutableRawData();
  const size_t es = dtypeSize(scale.dtype());
  for (size_t j = 0; j < index.size(); ++j) {
    const int64_t k = index[j];
    const int64_t zp = zeroPoint ? zeroPoint->scalarAsInt(k) : 0;
    // (x - zp) in integers first (exact), then one float multiply, as ONNX Runtime does.
    const auto diff = static_cast<float>(x.scalarAsInt(static_cast<int64_t>(j)) - zp);
    const float v = diff * loadFloat(scale, k);
    storeDouble(o + j * es, scale.dtype(), v);
  }
  ctx.setOutput(0, std::move(out));
  return Status::ok();
}

}  // namespace

void registerQuantizeKernels(KernelRegistry& registry) {
  registry.add("", "QuantizeLinear", quantizeKernel);
  registry.add("", "DequantizeLinear", dequantizeKernel);
}

}  // namespace kiln::reference
