#include "backends/llvm/gemm/gemm_conv.h"

#include <algorithm>

namespace kiln::llvmgemm {

int64_t convColumnsFloats(const GemmTiling& tiling, const Conv2dShape& shape) {
  return packedBFloats(tiling, shape.gemmN(), shape.gemmK());
}

void im2colPacked(const GemmTiling& tiling, const Conv2dShape& s, const float* image, float* packed) {
  const int64_t nr = tiling.nr;
  const int64_t k = s.gemmK(), n = s.gemmN(), outW = s.outWidth(), outH = s.outHeight();
  const int64_t panels = (n + nr - 1) / nr;
  // The last panel's columns past n are never stored by the GEMM; zero them all the same.
  if (n % nr != 0)
    for (int64_t row = 0; row < k; ++row)
      std::fill(packed + (panels - 1) * k * nr + row * nr + n % nr, packed + (panels - 1) * k * nr + (row + 1) * nr, 0.f);
  for (int64_t c = 0; c < s.inChannels; ++c)
    for (int64_t ky = 0; ky < s.kernelH; ++ky)
      for (int64_t kx = 0; kx < s.kernelW; ++kx) {
        const int64_t row = (c * s.kernelH + ky) * s.kernelW + kx;
        const float* channel = image + c * s.height * s.width;
        for (int64_t oy = 0; oy < outH; ++oy) {
          const int64_t y = oy * s.strideH - s.padTop + ky * s.dilationH;
          const bool rowInside = y >= 0 && y < s.height;
          for (int64_t ox = 0; ox < outW; ++ox) {
            const int64_t x = ox * s.strideW - s.padLeft + kx * s.dilationW;
            const int64_t pixel = oy * outW + ox;
            const float value = rowInside && x >= 0 && x < s.width ? channel[y * s.width + x] : 0.f;
            packed[(pixel / nr) * k * nr + row * nr + pixel % nr] = value;
          }
        }
      }
}

void conv2dImage(const CompiledGemm& gemm, const Conv2dShape& s, const float* image, const float* weights,
                 const float* bias, float* out, float* columns, float* workspace) {
  im2colPacked(gemm.config.tiling, s, image, columns);
  const int64_t m = s.outChannels, n = s.gemmN(), k = s.gemmK();
  gemm.run(m, n, k, weights, k, columns, /*ldb=*/n, out, n, 1.f, 0.f, bias, 0, m, 0, n, workspace);
}

}  // namespace kiln::llvmgemm
