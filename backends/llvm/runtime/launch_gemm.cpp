// The launches of MatMul, Gemm, Conv and the pooling kernels (emitted by emit_gemm.cpp and
// emit_pool.cpp).

#include <algorithm>

#include "backends/llvm/launches.h"
#include "backends/reference/window_geometry.h"
#include "backends/reference/tensor_util.h"


namespace kiln::llvmjit {
namespace {

using reference::product;

int64_t roundUp(int64_t x, int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }

/// Pixel columns per conv iteration: about 128 or more (a chunk's im2col panels then stay in
/// L2 beside the weights), at most 16 chunks, balanced, a multiple of nr.
int64_t convPixelChunk(int64_t pixels, int64_t nr) {
  const int64_t chunks = std::clamp<int64_t>(pixels / 128, 1, 16);
  return roundUp((pixels + chunks - 1) / chunks, nr);
}

}  // namespace

void packGemmB(const float* src, int64_t k, int64_t n, int64_t rowStride, int64_t colStride, int64_t nr, float* dst) {
  for (int64_t panel = 0; panel * nr < n; ++panel)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t lane = 0; lane < nr; ++lane) {
        const int64_t col = panel * nr + lane;
        *dst++ = col < n ? src[kk * rowStride + col * colStride] : 0.f;
      }
}

void packGemmA(const float* src, int64_t m, int64_t k, int64_t mr, float* dst) {
  for (int64_t panel = 0; panel * mr < m; ++panel)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t lane = 0; lane < mr; ++lane) {
        const int64_t row = panel * mr + lane;
        *dst++ = row < m ? src[row * k + kk] : 0.f;
      }
}

int64_t MatMulLaunch::packedFloats(std::span<const int64_t> dims) const {
  // One matrix only (leading dims of 1): a batch of constant matrices is packed per call.
  if (dims.size() < 2 || product(dims.first(dims.size() - 2)) != 1) return 0;
  return roundUp(dims.back(), layout_.nr) * dims[dims.size() - 2];
}

void MatMulLaunch::packConstant(std::span<const int64_t> dims, const float* src, float* dst) const {
  const int64_t k = dims[dims.size() - 2], n = dims.back();
  packGemmB(src, k, n, n, 1, layout_.nr, dst);
}

int64_t GemmLaunch::packedFloats(std::span<const int64_t> dims) const {
  if (dims.size() != 2) return 0;
  const int64_t k = transB_ ? dims[1] : dims[0], n = transB_ ? dims[0] : dims[1];
  return roundUp(n, layout_.nr) * k;
}

void GemmLaunch::packConstant(std::span<const int64_t> dims, const float* src, float* dst) const {
  if (transB_)
    packGemmB(src, dims[1], dims[0], 1, dims[1], layout_.nr, dst);
  else
    packGemmB(src, dims[0], dims[1], dims[1], 1, layout_.nr, dst);
}

int64_t ConvLaunch::packedFloats(std::span<const int64_t> dims) const {
  if (dims.size() != 4) return 0;
  return roundUp(dims[0], layout_.mr) * dims[1] * dims[2] * dims[3];
}

void ConvLaunch::packConstant(std::span<const int64_t> dims, const float* src, float* dst) const {
  packGemmA(src, dims[0], dims[1] * dims[2] * dims[3], layout_.mr, dst);
}

int64_t gemmRowChunk(int64_t m, int64_t mr) {
  const int64_t want = std::max<int64_t>(64, (m + 7) / 8);
  return (want + mr - 1) / mr * mr;
}

bool MatMulLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  const auto &da = in[0], &db = in[1];
  if (da.size() < 2 || db.size() < 2) return false;
  const int64_t m = da[da.size() - 2], k = da.back(), n = db.back();
  if (db[db.size() - 2] != k) return false;
  std::span<const int64_t> ba(da.data(), da.size() - 2), bb(db.data(), db.size() - 2);
  const size_t rank = std::max(ba.size(), bb.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t x = i + ba.size() >= rank ? ba[i + ba.size() - rank] : 1;
    const int64_t y = i + bb.size() >= rank ? bb[i + bb.size() - rank] : 1;
    if (x != y && x != 1 && y != 1) return false;
    out[i] = x == 1 ? y : x;
  }
  const int64_t batch = product(out), batchA = product(ba), batchB = product(bb);
  // Simple broadcasting only: each operand either spans the whole batch or is one matrix.
  if ((batchA != batch && batchA != 1) || (batchB != batch && batchB != 1)) return false;
  const int64_t rows = gemmRowChunk(m, layout_.mr), chunks = std::max<int64_t>(1, (m + rows - 1) / rows);
  out.push_back(m);
  out.push_back(n);
  launch.outputDims = {out};
  launch.kernelDims = {chunks, m, n, k, batchA == 1 ? 0 : m * k, batchB == 1 ? 0 : k * n, rows};
  launch.iterations = batch * chunks;
  launch.workPerIteration = std::min(rows, m) * n * std::max<int64_t>(k, 1);
  launch.workspaceBytes = layout_.workspaceFloats * 4;
  return true;
}

bool GemmLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  const auto &da = in[0], &db = in[1];
  if (da.size() != 2 || db.size() != 2) return false;
  const int64_t m = transA_ ? da[1] : da[0], k = transA_ ? da[0] : da[1];
  const int64_t n = transB_ ? db[0] : db[1];
  if ((transB_ ? db[1] : db[0]) != k) return false;
  int64_t rowStride = 0, colStride = 0;
  if (in.size() > 2 && !in[2].empty()) {
    const auto& dc = in[2];
    if (dc.size() > 2) return false;
    const int64_t cm = dc.size() == 2 ? dc[0] : 1, cn = dc.back();
    if ((cm != 1 && cm != m) || (cn != 1 && cn != n)) return false;
    colStride = cn == 1 ? 0 : 1;
    rowStride = cm == 1 ? 0 : cn;
  }
  const int64_t rows = gemmRowChunk(m, layout_.mr), chunks = std::max<int64_t>(1, (m + rows - 1) / rows);
  launch.outputDims = {{m, n}};
  launch.kernelDims = {chunks, m, n, k, da[1], db[1], rowStride, colStride, rows};
  launch.iterations = chunks;
  launch.workPerIteration = std::min(rows, m) * n * std::max<int64_t>(k, 1);
  launch.workspaceBytes = layout_.workspaceFloats * 4;
  return true;
}

bool ConvLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  const auto &dx = in[0], &dw = in[1];
  if (dx.size() != 4 || dw.size() != 4 || dw[1] != dx[1]) return false;
  if (in.size() > 2 && !in[2].empty() && (in[2].size() != 1 || in[2][0] != dw[0])) return false;
  const std::vector<int64_t> kernel = {dw[2], dw[3]};
  auto g = reference::resolveWindow(node_, std::span<const int64_t>(dx).subspan(2), kernel, false);
  if (!g || g->output[0] <= 0 || g->output[1] <= 0) return false;
  const int64_t cout = dw[0], pixels = g->output[0] * g->output[1], depth = dx[1] * dw[2] * dw[3];
  // Large images split over pixel columns (no slice repeats another's im2col); small ones over
  // output channels, each slice building the image's columns itself.
  const int64_t perChunk = convPixelChunk(pixels, layout_.nr);
  const int64_t colChunks = (pixels + perChunk - 1) / perChunk;
  const int64_t rows = colChunks > 1 ? roundUp(cout, layout_.mr) : gemmRowChunk(cout, layout_.mr);
  const int64_t rowChunks = std::max<int64_t>(1, (cout + rows - 1) / rows);
  const bool direct = dw[2] == 1 && dw[3] == 1 && g->strides[0] == 1 && g->strides[1] == 1 && g->padBegin[0] == 0 &&
                      g->padBegin[1] == 0 && g->output[0] == dx[2] && g->output[1] == dx[3];
  launch.outputDims = {{dx[0], cout, g->output[0], g->output[1]}};
  launch.kernelDims = {dx[1], dx[2], dx[3], cout, dw[2], dw[3], g->strides[0], g->strides[1],
                       g->dilations[0], g->dilations[1], g->padBegin[0], g->padBegin[1], g->output[0],
                       g->output[1], rowChunks, rows, colChunks, perChunk, direct ? 1 : 0};
  launch.iterations = dx[0] * colChunks * rowChunks;
  launch.workPerIteration = std::min(rows, cout) * depth * std::min(perChunk, pixels);
  launch.workspaceBytes = (layout_.workspaceFloats + (direct ? 0 : roundUp(perChunk, layout_.nr) * depth)) * 4;
  return true;
}

bool PoolLaunch::bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const {
  const auto& d = inputDims[0];
  if (d.size() != 4) return false;
  auto g = reference::resolveWindow(node_, std::span<const int64_t>(d).subspan(2), kernel_, ceil_);
  if (!g || g->output[0] < 0 || g->output[1] < 0) return false;
  launch.outputDims = {{d[0], d[1], g->output[0], g->output[1]}};
  launch.kernelDims = {d[0] * d[1], d[2], d[3], g->output[0], g->output[1], g->kernel[0], g->kernel[1],
                       g->strides[0], g->strides[1], g->dilations[0], g->dilations[1], g->padBegin[0],
                       g->padBegin[1], g->padEnd[0], g->padEnd[1]};
  launch.iterations = d[0] * d[1];
  launch.workPerIteration = g->output[0] * g->output[1] * g->kernel[0] * g->kernel[1];
  return true;
}

}  // namespace kiln::llvmjit
