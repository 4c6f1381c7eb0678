// Convolution through im2col into packed panels and the emitted GEMM, against a direct
// convolution accumulated in double.

#include "backends/llvm/gemm/gemm_conv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace kiln::llvmgemm {
namespace {

std::vector<float> randomVector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<float> directConv(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w,
                              const std::vector<float>& bias, bool relu) {
  const int64_t oh = s.outHeight(), ow = s.outWidth();
  std::vector<float> out(s.outChannels * oh * ow);
  for (int64_t o = 0; o < s.outChannels; ++o)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        double sum = bias.empty() ? 0.0 : bias[o];
        for (int64_t c = 0; c < s.inChannels; ++c)
          for (int64_t ky = 0; ky < s.kernelH; ++ky)
            for (int64_t kx = 0; kx < s.kernelW; ++kx) {
              int64_t y = oy * s.strideH - s.padTop + ky * s.dilationH;
              int64_t xx = ox * s.strideW - s.padLeft + kx * s.dilationW;
              if (y < 0 || y >= s.height || xx < 0 || xx >= s.width) continue;
              sum += double(x[(c * s.height + y) * s.width + xx]) *
                     w[((o * s.inChannels + c) * s.kernelH + ky) * s.kernelW + kx];
            }
        out[(o * oh + oy) * ow + ox] = static_cast<float>(relu && sum < 0 ? 0.0 : sum);
      }
  return out;
}

const CompiledGemm& convGemm(GemmBias bias, GemmActivation activation) {
  static CompiledGemm compiled[2][2];
  CompiledGemm& g = compiled[bias == GemmBias::PerRow][activation == GemmActivation::Relu];
  if (!g.run) {
    GemmConfig config;
    config.name = "conv_gemm";
    config.prepackedB = true;
    config.bias = bias;
    config.activation = activation;
    config.tiling = hostGemmTiling();
    auto result = compileGemm(config);
    EXPECT_TRUE(result.hasValue()) << (result ? "" : result.status().str());
    g = result.take();
  }
  return g;
}

void checkConv(const Conv2dShape& s, bool withBias, bool relu) {
  const CompiledGemm& g = convGemm(withBias ? GemmBias::PerRow : GemmBias::None,
                                   relu ? GemmActivation::Relu : GemmActivation::None);
  auto x = randomVector(s.inChannels * s.height * s.width, 1);
  auto w = randomVector(s.outChannels * s.gemmK(), 2);
  std::vector<float> bias = withBias ? randomVector(s.outChannels, 3) : std::vector<float>{};
  std::vector<float> out(s.outChannels * s.gemmN(), std::nanf("")), columns(convColumnsFloats(g.config.tiling, s));
  std::vector<float> workspace(gemmWorkspaceFloats(g.config.tiling));
  conv2dImage(g, s, x.data(), w.data(), withBias ? bias.data() : nullptr, out.data(), columns.data(), workspace.data());
  auto expected = directConv(s, x, w, bias, relu);
  const float tol = 1e-5f * (4.f + 2.f * std::sqrt(static_cast<float>(s.gemmK())));
  int bad = 0;
  for (size_t i = 0; i < out.size(); ++i)
    if (!(std::fabs(out[i] - expected[i]) <= tol * std::max(1.f, std::fabs(expected[i]))) && ++bad <= 3)
      ADD_FAILURE() << "output " << i << ": expected " << expected[i] << " got " << out[i];
  EXPECT_EQ(bad, 0);
}

TEST(EmittedGemmConv, ThreeByThreePadded) {
  checkConv({.inChannels = 16, .height = 14, .width = 14, .outChannels = 24, .kernelH = 3, .kernelW = 3,
             .padTop = 1, .padLeft = 1, .padBottom = 1, .padRight = 1},
            true, true);
}

TEST(EmittedGemmConv, StridedDilatedAndAsymmetric) {
  checkConv({.inChannels = 3, .height = 23, .width = 19, .outChannels = 8, .kernelH = 7, .kernelW = 7, .strideH = 2,
             .strideW = 2, .padTop = 3, .padLeft = 3, .padBottom = 3, .padRight = 3},
            true, false);
  checkConv({.inChannels = 5, .height = 11, .width = 13, .outChannels = 7, .kernelH = 3, .kernelW = 2, .strideH = 1,
             .strideW = 2, .dilationH = 2, .dilationW = 3, .padTop = 2, .padLeft = 0, .padBottom = 1, .padRight = 3},
            false, true);
}

TEST(EmittedGemmConv, PointwiseAndTinyOutputs) {
  checkConv({.inChannels = 32, .height = 7, .width = 9, .outChannels = 40}, true, true);  // 1x1
  checkConv({.inChannels = 4, .height = 3, .width = 3, .outChannels = 2, .kernelH = 3, .kernelW = 3}, false, false);
  checkConv({.inChannels = 1, .height = 1, .width = 1, .outChannels = 1}, true, false);
}

}  // namespace
}  // namespace kiln::llvmgemm
