// The launch of the direct grouped / depthwise Conv kernel (emit_grouped_conv.cpp): checks the
// channel split of the actual shapes and resolves the window geometry the way the reference
// kernel does.

#include <algorithm>

#include "backends/llvm/launches.h"
#include "backends/reference/window_geometry.h"

namespace kiln::llvmjit {

bool GroupedConvLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  const auto &dx = in[0], &dw = in[1];
  const size_t rank = dx.size();
  if ((rank != 3 && rank != 4) || dw.size() != rank || group_ < 1) return false;
  const int64_t images = dx[0], channels = dx[1], outChannels = dw[0];
  if (channels % group_ != 0 || outChannels % group_ != 0 || dw[1] != channels / group_) return false;
  if (in.size() > 2 && !in[2].empty() && (in[2].size() != 1 || in[2][0] != outChannels)) return false;
  std::span<const int64_t> spatial = std::span<const int64_t>(dx).subspan(2);
  std::span<const int64_t> kernel = std::span<const int64_t>(dw).subspan(2);
  auto g = reference::resolveWindow(node_, spatial, kernel, false);
  if (!g) return false;
  for (int64_t o : g->output)
    if (o <= 0) return false;
  std::vector<int64_t> outDims = {images, outChannels};
  outDims.insert(outDims.end(), g->output.begin(), g->output.end());
  const bool hasResidual = in.size() > 3 && !in[3].empty();
  if (hasResidual != residual_ || (hasResidual && in[3] != outDims)) return false;

  // A 1-D Conv is the 2-D kernel with one row: the window axis is the last one either way.
  const size_t last = g->rank() - 1;
  const int64_t height = rank == 4 ? dx[2] : 1, kernelH = rank == 4 ? dw[2] : 1;
  const int64_t strideH = rank == 4 ? g->strides[0] : 1, dilationH = rank == 4 ? g->dilations[0] : 1;
  const int64_t padTop = rank == 4 ? g->padBegin[0] : 0, outH = rank == 4 ? g->output[0] : 1;
  const int64_t width = dx.back(), kernelW = dw.back(), strideW = g->strides[last], outW = g->output[last];
  // The padded plane holds the input at (padTop, padLeft) and every tap of every output.
  const int64_t needW = (outW - 1) * strideW + (kernelW - 1) * g->dilations[last] + 1;
  const int64_t paddedW = (std::max(g->padBegin[last] + width, needW) + strideW - 1) / strideW * strideW;
  const int64_t paddedH = std::max(padTop + height, (outH - 1) * strideH + (kernelH - 1) * dilationH + 1);
  const int64_t pitch = strideH * paddedW / strideW;
  launch.outputDims = {outDims};
  launch.kernelDims = {channels, height, width, outChannels, channels / group_, outChannels / group_,
                       kernelH, kernelW, strideH, strideW, dilationH, g->dilations[last],
                       padTop, g->padBegin[last], outH, outW, paddedH, paddedW, pitch};
  launch.iterations = images * outChannels;
  launch.workPerIteration = ((outH - 1) * pitch + outW) * (channels / group_) * kernelH * kernelW;
  return true;
}

void GroupedConvLaunch::encode(std::vector<int64_t>& out) const {
  out.insert(out.end(), {static_cast<int64_t>(LaunchTag::GroupedConv), group_, residual_ ? 1 : 0});
}

}  // namespace kiln::llvmjit
