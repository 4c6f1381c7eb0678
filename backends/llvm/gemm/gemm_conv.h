#pragma once
// 2-D convolution (NCHW, one image, no groups) as the emitted GEMM:
//   out[cout, oh * ow] = act(W[cout, cin * kh * kw] * im2col(x)[cin * kh * kw, oh * ow] + bias)
// im2col writes its matrix straight into the packed-B panel layout, so the GEMM (compiled with
// prepackedB) copies nothing more; bias is per output channel, i.e. per row (GemmBias::PerRow).

#include "backends/llvm/gemm/gemm_jit.h"

#include <cstdint>

namespace kiln::llvmgemm {

/// Geometry of one convolution; pads are top/left/bottom/right as in ONNX `pads`.
struct Conv2dShape {
  int64_t inChannels = 1, height = 1, width = 1, outChannels = 1;
  int64_t kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t dilationH = 1, dilationW = 1;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;

  int64_t outHeight() const { return (height + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1; }
  int64_t outWidth() const { return (width + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1; }
  int64_t gemmK() const { return inChannels * kernelH * kernelW; }
  int64_t gemmN() const { return outHeight() * outWidth(); }
};

/// Floats of the packed im2col buffer for one image.
int64_t convColumnsFloats(const GemmTiling& tiling, const Conv2dShape& shape);

/// im2col of one CHW image into the packed-B layout (panels of nr output pixels, K-major,
/// zero padding for taps outside the image and for the last panel's missing pixels).
void im2colPacked(const GemmTiling& tiling, const Conv2dShape& shape, const float* image, float* packed);

/// One image: out (cout x oh x ow) = act(conv(image, weights) + bias). `gemm` must be compiled
/// with prepackedB, without transposes, with GemmBias::PerRow or None (bias may then be null).
/// `columns` holds convColumnsFloats floats, `workspace` gemmWorkspaceFloats.
void conv2dImage(const CompiledGemm& gemm, const Conv2dShape& shape, const float* image, const float* weights,
                 const float* bias, float* out, float* columns, float* workspace);

}  // namespace kiln::llvmgemm
