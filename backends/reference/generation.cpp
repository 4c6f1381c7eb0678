// Tensors made from shapes and scalars: ConstantOfShape, Range, EyeLike. (Constant itself is
// handled by the interpreter: its value is the attribute, shared without a copy.)

#include <cmath>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::reference {
namespace {

Status constantOfShapeKernel(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(dims, readInt64List(ctx.input(0)));
  KILN_RETURN_IF_ERROR(checkElementCount(dims));
  Tensor value = scalarOf(DType::Float32, 0.0);
  if (const Attribute* a = ctx.node.attr("value"); a && a->kind() == AttrKind::Tensor) {
    value = a->t();
    if (value.numElements() != 1) return ctx.error("value must hold exactly one element");
  }
  ElementWriter w(value.dtype(), dims);
  w.fill(0, value, 0, w.numElements());
  ctx.setOutput(0, w.finish());
  return Status::ok();
}

Status rangeKernel(KernelContext& ctx) {
  const Tensor& start = ctx.input(0);
  const DType dtype = start.dtype();
  if (ctx.input(1).dtype() != dtype || ctx.input(2).dtype() != dtype)
    return ctx.error("start, limit and delta must have the same element type");
  return visitDType<TypeList<float, double, int16_t, int32_t, int64_t>>(dtype, [&](auto zero) -> Status {
    using T = decltype(zero);
    if (ctx.input(0).numElements() != 1 || ctx.input(1).numElements() != 1 || ctx.input(2).numElements() != 1)
      return ctx.error("start, limit and delta must be scalars");
    const T s = in<T>(ctx.input(0))[0], l = in<T>(ctx.input(1))[0], d = in<T>(ctx.input(2))[0];
    if (d == 0) return ctx.error("delta is 0");
    // Element count ceil((l - s) / d), refused when absurd (NaN, or more than 2^40) before
    // anything is allocated.
    constexpr int64_t kMaxElements = int64_t{1} << 40;
    int64_t n;
    if constexpr (std::is_floating_point_v<T>) {
      const double count = std::max(std::ceil(static_cast<double>(l - s) / static_cast<double>(d)), 0.0);
      if (!(count <= static_cast<double>(kMaxElements))) return ctx.error("Range would have too many elements");
      n = static_cast<int64_t>(count);
    } else {
      // Exact integer ceil in 128 bits, so even int64 extremes cannot overflow.
      const __int128 span = static_cast<__int128>(l) - static_cast<__int128>(s), step = d;
      __int128 count = span / step + ((span % step != 0) && ((span > 0) == (step > 0)) ? 1 : 0);
      if (count < 0) count = 0;
      if (count > kMaxElements) return ctx.error("Range would have too many elements");
      n = static_cast<int64_t>(count);
    }
    Tensor out = newTensor(dtype, {n});
    T* o = reinterpret_cast<T*>(out.mutableRawData());
    // Accumulate by repeated addition, as the ONNX reference and ONNX Runtime do.
    T v = s;
    for (int64_t i = 0; i < n; ++i, v = static_cast<T>(v + d)) o[i] = v;
    ctx.setOutput(0, std::move(out));
    return Status::ok();
  });
}

Status eyeLikeKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 2) return ctx.error("input must be 2-D");
  DType dtype = x.dtype();
  if (const Attribute* a = ctx.node.attr("dtype"); a && a->kind() == AttrKind::Int) {
    auto d = dtypeFromOnnx(static_cast<int32_t>(a->i()));
    if (!d) return ctx.error("unsupported dtype " + std::to_string(a->i()));
    dtype = *d;
  }
  if (dtype == DType::String || dtypeSize(dtype) == 0) return ctx.error("unsupported output type");
  const int64_t k = ctx.node.intAttr("k", 0), rows = x.dims()[0], cols = x.dims()[1];
  Tensor out = newTensor(dtype, {rows, cols});
  std::byte* p = out.mutableRawData();
  const size_t es = dtypeSize(dtype);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r + k;
    if (c >= 0 && c < cols) storeDouble(p + static_cast<size_t>(r * cols + c) * es, dtype, 1.0);
  }
  ctx.setOutput(0, std::move(out));
  return Status::ok();
}

}  // namespace

void registerGenerationKernels(KernelRegistry& registry) {
  registry.add("", "ConstantOfShape", constantOfShapeKernel);
  registry.add("", "Range", rangeKernel);
  registry.add("", "EyeLike", eyeLikeKernel);
}

}  // namespace kiln::reference
