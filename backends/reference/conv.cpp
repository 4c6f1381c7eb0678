// Conv and ConvTranspose, N-d (1-D/2-D/3-D...), with groups, strides, dilations, pads and
// auto_pad. Both lower to a GEMM per (batch, group) through column buffers:
//   Conv:          Y_g[M_g, P]       = W_g[M_g, C_g*K] * im2col(X_g)[C_g*K, P]
//   ConvTranspose: col[M_g*K, Q]     = W_g[C_g, M_g*K]^T * X_g[C_g, Q];  Y_g = col2im(col)
// where K is the kernel volume, P the output positions and Q the input positions.

#include <Eigen/Core>
#include <algorithm>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util.h"
#include "backends/reference/window_geometry.h"

namespace kiln::reference {
namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Moves data between an image [channels, image...] and its column matrix
/// [channels * K, cols...]: image coordinate = colPos * stride - padBegin + k * dilation.
/// kGather copies image -> columns (zeros outside the image); otherwise the columns are
/// added into the image (col2im).
template <typename T, bool kGather>
void imageColumns(T* image, T* col, int64_t channels, std::span<const int64_t> imageDims,
                  std::span<const int64_t> colDims, const WindowGeometry& g) {
  const size_t r = g.rank();
  const int64_t imageSize = product(imageDims), colSize = product(colDims);
  const int64_t kSize = product(g.kernel);
  const int64_t lastCols = colDims[r - 1];
  const int64_t outerCols = lastCols == 0 ? 0 : colSize / lastCols;
  const int64_t lastImage = imageDims[r - 1], lastStride = g.strides[r - 1];
  std::vector<int64_t> kIdx(r), pos(r);
  for (int64_t c = 0; c < channels; ++c) {
    T* img = image + c * imageSize;
    for (int64_t kk = 0; kk < kSize; ++kk) {
      for (int64_t rem = kk, d = static_cast<int64_t>(r) - 1; d >= 0; --d) {
        kIdx[d] = rem % g.kernel[d];
        rem /= g.kernel[d];
      }
      T* colRow = col + (c * kSize + kk) * colSize;
      const int64_t kx = kIdx[r - 1] * g.dilations[r - 1] - g.padBegin[r - 1];
      // Columns whose last-axis image coordinate is inside the image: [lo, hi).
      const int64_t lo = std::clamp<int64_t>((-kx + lastStride - 1) / lastStride, 0, lastCols);
      const int64_t hi = std::clamp<int64_t>(lastImage - kx <= 0 ? 0 : (lastImage - kx - 1) / lastStride + 1, lo, lastCols);
      for (int64_t oc = 0; oc < outerCols; ++oc) {
        int64_t base = 0;
        bool valid = true;
        for (int64_t rem = oc, d = static_cast<int64_t>(r) - 2; d >= 0; --d) {
          pos[d] = rem % colDims[d];
          rem /= colDims[d];
        }
        for (size_t d = 0; d + 1 < r; ++d) {
          const int64_t iy = pos[d] * g.strides[d] - g.padBegin[d] + kIdx[d] * g.dilations[d];
          if (iy < 0 || iy >= imageDims[d]) valid = false;
          base = base * imageDims[d] + iy;
        }
        base = base * lastImage + kx;
        T* dst = colRow + oc * lastCols;
        if constexpr (kGather) {
          if (!valid) {
            std::fill(dst, dst + lastCols, T(0));
            continue;
          }
          std::fill(dst, dst + lo, T(0));
          if (lastStride == 1)
            std::copy(img + base + lo, img + base + hi, dst + lo);
          else
            for (int64_t ox = lo; ox < hi; ++ox) dst[ox] = img[base + ox * lastStride];
          std::fill(dst + hi, dst + lastCols, T(0));
        } else {
          if (!valid) continue;
          for (int64_t ox = lo; ox < hi; ++ox) img[base + ox * lastStride] += dst[ox];
        }
      }
    }
  }
}

/// Bias [M] added per output channel of y [N, M, spatial...].
template <typename T>
void addBias(T* y, const T* bias, int64_t n, int64_t m, int64_t spatial) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < m; ++c) {
      T* p = y + (b * m + c) * spatial;
      const T v = bias[c];
      for (int64_t i = 0; i < spatial; ++i) p[i] += v;
    }
}

Status checkBias(const KernelContext& ctx, int64_t channels) {
  if (!ctx.hasInput(2)) return Status::ok();
  const Tensor& b = ctx.input(2);
  if (b.rank() != 1 || b.dims()[0] != channels || b.dtype() != ctx.input(0).dtype())
    return ctx.error("bias must be a 1-D tensor of " + std::to_string(channels) + " elements");
  return Status::ok();
}

Status convKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (x.rank() < 3 || w.rank() != x.rank())
    return ctx.error("X " + dimsStr(x.dims()) + " and W " + dimsStr(w.dims()) + " must have the same rank >= 3");
  if (x.dtype() != w.dtype()) return ctx.error("X and W types differ");
  const int64_t group = ctx.node.intAttr("group", 1);
  const int64_t batch = x.dims()[0], channels = x.dims()[1], filters = w.dims()[0];
  if (group <= 0 || channels % group != 0 || filters % group != 0 || w.dims()[1] * group != channels)
    return ctx.error("channels (" + std::to_string(channels) + ") and W " + dimsStr(w.dims()) +
                     " do not match group = " + std::to_string(group));
  std::span<const int64_t> kernel(w.dims().data() + 2, w.rank() - 2);
  if (auto ks = ctx.node.intsAttr("kernel_shape"); !ks.empty() && !std::equal(ks.begin(), ks.end(), kernel.begin(), kernel.end()))
    return ctx.error("kernel_shape " + dimsStr(ks) + " disagrees with W " + dimsStr(w.dims()));
  auto geom = resolveWindow(ctx.node, std::span<const int64_t>(x.dims().data() + 2, x.rank() - 2), kernel, false);
  if (!geom) return geom.takeStatus();
  const WindowGeometry& g = *geom;
  KILN_RETURN_IF_ERROR(checkBias(ctx, filters));

  std::vector<int64_t> outDims = {batch, filters};
  outDims.insert(outDims.end(), g.output.begin(), g.output.end());
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), outDims);
    const int64_t cg = channels / group, mg = filters / group;
    const int64_t kSize = product(g.kernel), inSize = product(g.input), outSize = product(g.output);
    // A 1x1 window with unit strides and no padding reads X itself as the column matrix.
    bool pointwise = kSize == 1;
    for (size_t i = 0; i < g.rank(); ++i)
      pointwise = pointwise && g.strides[i] == 1 && g.padBegin[i] == 0 && g.padEnd[i] == 0;
    std::vector<T> col(pointwise ? 0 : static_cast<size_t>(cg * kSize * outSize));
    const T* px = in<T>(x);
    const T* pw = in<T>(w);
    T* py = out<T>(y);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t gi = 0; gi < group; ++gi) {
        const T* xg = px + (b * channels + gi * cg) * inSize;
        const T* colData = xg;
        if (!pointwise) {
          imageColumns<T, true>(const_cast<T*>(xg), col.data(), cg, g.input, g.output, g);
          colData = col.data();
        }
        Eigen::Map<const RowMajor<T>> W(pw + gi * mg * cg * kSize, mg, cg * kSize);
        Eigen::Map<const RowMajor<T>> C(colData, cg * kSize, outSize);
        Eigen::Map<RowMajor<T>> Y(py + (b * filters + gi * mg) * outSize, mg, outSize);
        Y.noalias() = W * C;
      }
    }
    if (ctx.hasInput(2)) addBias(py, in<T>(ctx.input(2)), batch, filters, outSize);
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

/// ConvTranspose geometry: pads from output_shape / auto_pad, output sizes per the ONNX spec.
Expected<WindowGeometry> resolveTransposed(const Node& node, std::span<const int64_t> input,
                                           std::span<const int64_t> kernel) {
  const size_t r = input.size();
  WindowGeometry g;
  g.input.assign(input.begin(), input.end());
  g.kernel.assign(kernel.begin(), kernel.end());
  auto attr = [&](const char* name, size_t count, int64_t fallback) -> Expected<std::vector<int64_t>> {
    std::vector<int64_t> v = node.intsAttr(name, {});
    if (v.empty()) return std::vector<int64_t>(count, fallback);
    if (v.size() != count)
      return Status::error(std::string(name) + " has " + std::to_string(v.size()) + " values, expected " + std::to_string(count));
    return v;
  };
  auto strides = attr("strides", r, 1), dilations = attr("dilations", r, 1), pads = attr("pads", 2 * r, 0),
       outputPadding = attr("output_padding", r, 0);
  for (auto* e : {&strides, &dilations, &pads, &outputPadding})
    if (!*e) return e->takeStatus();
  g.strides = strides.take();
  g.dilations = dilations.take();
  g.padBegin.assign(pads->begin(), pads->begin() + static_cast<long>(r));
  g.padEnd.assign(pads->begin() + static_cast<long>(r), pads->end());
  for (size_t i = 0; i < r; ++i)
    if (g.strides[i] <= 0 || g.dilations[i] <= 0) return Status::error("strides and dilations must be positive");
  std::vector<int64_t> outputShape = node.intsAttr("output_shape", {});
  // output_shape may list every output dim (N, C, spatial...) or just the spatial ones.
  if (outputShape.size() == r + 2) outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
  if (!outputShape.empty() && outputShape.size() != r)
    return Status::error("output_shape has " + std::to_string(outputShape.size()) + " values, expected " + std::to_string(r));
  const std::string autoPad = node.stringAttr("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER" && !autoPad.empty())
    return Status::error("unknown auto_pad '" + autoPad + "'");
  g.output.resize(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t full = g.strides[i] * (g.input[i] - 1) + (*outputPadding)[i] + g.extent(i);
    int64_t target = -1;
    if (!outputShape.empty()) target = outputShape[i];
    else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") target = g.input[i] * g.strides[i];
    if (target >= 0) {
      // The spec: SAME_UPPER puts the extra pad at the end, otherwise at the beginning. A
      // target larger than the full output pads nothing and leaves the tail zero (as ORT).
      const int64_t total = std::max<int64_t>(0, full - target);
      g.padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.padEnd[i] = total - g.padBegin[i];
      g.output[i] = target;
      continue;
    }
    if (autoPad == "VALID") g.padBegin[i] = g.padEnd[i] = 0;
    g.output[i] = full - g.padBegin[i] - g.padEnd[i];
    if (g.output[i] < 0) return Status::error("pads exceed the transposed output size");
  }
  return g;
}

Status convTransposeKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (x.rank() < 3 || w.rank() != x.rank())
    return ctx.error("X " + dimsStr(x.dims()) + " and W " + dimsStr(w.dims()) + " must have the same rank >= 3");
  if (x.dtype() != w.dtype()) return ctx.error("X and W types differ");
  const int64_t group = ctx.node.intAttr("group", 1);
  const int64_t batch = x.dims()[0], channels = x.dims()[1];
  if (group <= 0 || channels % group != 0 || w.dims()[0] != channels)
    return ctx.error("channels (" + std::to_string(channels) + ") and W " + dimsStr(w.dims()) +
                     " do not match group = " + std::to_string(group));
  const int64_t filters = w.dims()[1] * group;
  std::span<const int64_t> kernel(w.dims().data() + 2, w.rank() - 2);
  auto geom = resolveTransposed(ctx.node, std::span<const int64_t>(x.dims().data() + 2, x.rank() - 2), kernel);
  if (!geom) return geom.takeStatus();
  const WindowGeometry& g = *geom;
  KILN_RETURN_IF_ERROR(checkBias(ctx, filters));
  std::vector<int64_t> outDims = {batch, filters};
  outDims.insert(outDims.end(), g.output.begin(), g.output.end());
  return visitDType<FloatTypes>(x.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(x.dtype(), outDims);
    const int64_t cg = channels / group, mg = filters / group;
    const int64_t kSize = product(g.kernel), inSize = product(g.input), outSize = product(g.output);
    std::vector<T> col(static_cast<size_t>(mg * kSize * inSize));
    const T* px = in<T>(x);
    const T* pw = in<T>(w);
    T* py = out<T>(y);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t gi = 0; gi < group; ++gi) {
        Eigen::Map<const RowMajor<T>> W(pw + gi * cg * mg * kSize, cg, mg * kSize);
        Eigen::Map<const RowMajor<T>> X(px + (b * channels + gi * cg) * inSize, cg, inSize);
        Eigen::Map<RowMajor<T>> C(col.data(), mg * kSize, inSize);
        C.noalias() = W.transpose() * X;
        // The transposed conv's output is the "image", its input positions the columns.
        imageColumns<T, false>(py + (b * filters + gi * mg) * outSize, col.data(), mg, g.output, g.input, g);
      }
    }
    if (ctx.hasInput(2)) addBias(py, in<T>(ctx.input(2)), batch, filters, outSize);
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

}  // namespace

void registerConvKernels(KernelRegistry& r) {
  r.add("", "Conv", convKernel);
  r.add("", "ConvTranspose", convTransposeKernel);
}

}  // namespace kiln::reference
