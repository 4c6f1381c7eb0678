#pragma once
// The shape side of every generated kernel (KernelLaunch subclasses), without LLVM: the JIT's
// emitters create them, the runtime binds them, and a compiled library stores them as plain
// integers (encode / decodeLaunch) next to its kernels. Definitions in backends/llvm/runtime.

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "backends/llvm/axis_split.h"
#include "backends/llvm/broadcast_plan.h"
#include "backends/llvm/kernel_abi.h"
#include "ir/diagnostic.h"
#include "ir/node.h"

namespace kiln::llvmjit {

/// First integer of an encoded launch.
enum class LaunchTag : int64_t {
  Elementwise = 1, AxisSplit, BatchNorm, MatMul, Gemm, Conv, Pool, Copy, Transpose, Concat, Slice,
  GroupedConv = 100,  ///< grouped and depthwise Conv / kiln.FusedConv (GroupedConvLaunch)
  // Shape chains and indexing (launches_shape.h).
  ShapeOf = 120, SameShape = 121, ConstantOfShape = 122, Gather = 123, ScatterND = 124, Expand = 125,
  RuntimeCopy = 126, RuntimeSlice = 127, Pad = 128, CheckedDiv = 129,
  Recurrent = 140, Einsum = 141
};

/// Reads one launch written by KernelLaunch::encode from the front of `codes` (advancing it).
/// `node` is the node the kernel belongs to (window launches read its attributes).
Expected<std::unique_ptr<KernelLaunch>> decodeLaunch(std::span<const int64_t>& codes, const Node& node);

/// What the runtime needs of the GEMM tiling a kernel was generated with.
struct GemmLayout {
  int64_t mr = 6;               ///< rows of the register tile (panels of a packed A)
  int64_t nr = 16;              ///< columns of the register tile (panels of a packed B)
  int64_t workspaceFloats = 0;  ///< the driver's workspace (gemmWorkspaceFloats)
};

/// B (K x N, element (k, n) at src[k * rowStride + n * colStride]) as ceil(N / nr) panels of
/// K x nr, k-major, zero-padded: the layout of a driver compiled with prepackedB.
void packGemmB(const float* src, int64_t k, int64_t n, int64_t rowStride, int64_t colStride, int64_t nr, float* dst);
/// A (M x K row-major) as ceil(M / mr) panels of K x mr, k-major, zero-padded: prepackedA.
void packGemmA(const float* src, int64_t m, int64_t k, int64_t mr, float* dst);

/// Rows per GEMM kernel iteration for M rows and a register tile of `mr` rows: large enough
/// that re-packing B per chunk costs little, small enough to give the pool several slices.
int64_t gemmRowChunk(int64_t m, int64_t mr);

/// MatMul: kernelDims = chunks, M, N, K, strideA, strideB, rowsPerChunk
/// (iteration = batch * chunks + chunk). A constant B that is one matrix is taken pre-packed.
class MatMulLaunch final : public KernelLaunch {
 public:
  explicit MatMulLaunch(GemmLayout layout) : layout_(layout) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;
  int packableOperand() const override { return 1; }
  int64_t packedFloats(std::span<const int64_t> dims) const override;
  void packConstant(std::span<const int64_t> dims, const float* src, float* dst) const override;

 private:
  GemmLayout layout_;
};

/// Gemm: kernelDims = chunks, M, N, K, lda, ldb, cRowStride, cColStride, rowsPerChunk.
/// A constant B is taken pre-packed (transB applied while packing).
class GemmLaunch final : public KernelLaunch {
 public:
  GemmLaunch(bool transA, bool transB, GemmLayout layout) : transA_(transA), transB_(transB), layout_(layout) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;
  int packableOperand() const override { return 1; }
  int64_t packedFloats(std::span<const int64_t> dims) const override;
  void packConstant(std::span<const int64_t> dims, const float* src, float* dst) const override;

 private:
  bool transA_, transB_;
  GemmLayout layout_;
};

/// Conv: kernelDims = C, H, W, Cout, KH, KW, SH, SW, DH, DW, padTop, padLeft, OH, OW,
/// rowChunks, rowsPerChunk, colChunks, pixelsPerChunk, direct (iteration = (image * colChunks
/// + colChunk) * rowChunks + rowChunk). Large images split over pixel columns (each slice
/// builds only its own columns), small ones over output channels. `direct` (1x1, stride 1, no
/// padding) reads the image itself as B, without im2col. Constant weights (the A operand) are
/// taken pre-packed. The window geometry comes from the node's attributes at bind time.
class ConvLaunch final : public KernelLaunch {
 public:
  ConvLaunch(const Node& node, GemmLayout layout) : node_(node), layout_(layout) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;
  int packableOperand() const override { return 1; }
  int64_t packedFloats(std::span<const int64_t> dims) const override;
  void packConstant(std::span<const int64_t> dims, const float* src, float* dst) const override;

 private:
  const Node& node_;
  GemmLayout layout_;
};

/// Grouped and depthwise Conv (group > 1), 1-D or 2-D, run by a direct kernel
/// (emit_grouped_conv.cpp): kernelDims = C, H, W, M, Cg, Mg, KH, KW, SH, SW, DH, DW, padTop,
/// padLeft, OH, OW, Hp, Wp, Q, with M output channels, Cg = C / group input and Mg = M / group
/// output channels per group, Hp x Wp the zero-padded input plane (Wp a multiple of SW) and
/// Q = SH * Wp / SW the row pitch of the flat output grid; a 1-D Conv binds as H = KH = OH = 1.
/// One iteration per (image, output channel). The window geometry comes from the node's attributes at bind time;
/// `residual` says that operand 3 (kiln.FusedConv's Z) is present and must have the output's dims.
class GroupedConvLaunch final : public KernelLaunch {
 public:
  GroupedConvLaunch(const Node& node, int64_t group, bool residual) : node_(node), group_(group), residual_(residual) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  const Node& node_;
  int64_t group_;
  bool residual_;
};

/// MaxPool / AveragePool: kernelDims = planes, H, W, OH, OW, KH, KW, SH, SW, DH, DW, padTop,
/// padLeft, padBottom, padRight.
class PoolLaunch final : public KernelLaunch {
 public:
  PoolLaunch(const Node& node, std::vector<int64_t> kernel)
      : node_(node), kernel_(std::move(kernel)), ceil_(node.intAttr("ceil_mode", 0) != 0) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  const Node& node_;
  std::vector<int64_t> kernel_;
  bool ceil_;
};

/// How Reshape, Flatten, Squeeze and Unsqueeze compute their output dims.
struct ReshapeRule {
  enum class Kind : int64_t { Flatten, Reshape, Squeeze, Unsqueeze };
  Kind kind = Kind::Reshape;
  int64_t axis = 1;             ///< Flatten
  bool allowZero = false;       ///< Reshape
  std::vector<int64_t> values;  ///< Reshape: the shape spec; Squeeze/Unsqueeze: the axes
  bool apply(const std::vector<int64_t>& in, std::vector<int64_t>& out) const;
};

/// A flat copy under new dims: kernelDims = {elements}.
class CopyLaunch final : public KernelLaunch {
 public:
  explicit CopyLaunch(ReshapeRule rule) : rule_(std::move(rule)) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  ReshapeRule rule_;
};

/// Transpose: kernelDims = the input dims; one iteration per output row.
class TransposeLaunch final : public KernelLaunch {
 public:
  explicit TransposeLaunch(std::vector<int64_t> perm) : perm_(std::move(perm)) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  std::vector<int64_t> perm_;
};

/// Concat: kernelDims = {outer, chunk_0, ..., chunk_{n-1}}, chunk_k = dim_k(axis) * inner.
class ConcatLaunch final : public KernelLaunch {
 public:
  ConcatLaunch(size_t rank, size_t axis) : rank_(rank), axis_(axis) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  size_t rank_, axis_;
};

/// Slice with constant parameters: kernelDims = input dims, output dims, first index per axis,
/// step per axis (rank each); one iteration per output row.
class SliceLaunch final : public KernelLaunch {
 public:
  SliceLaunch(size_t rank, std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes,
              std::vector<int64_t> steps)
      : rank_(rank), starts_(std::move(starts)), ends_(std::move(ends)), axes_(std::move(axes)), steps_(std::move(steps)) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  size_t rank_;
  std::vector<int64_t> starts_, ends_, axes_, steps_;
};

/// LSTM / GRU / RNN: kernelDims = seq, batch, inputSize, hidden; one iteration per direction.
/// Output dims follow `layout`; every result gets its dims (the kernel skips omitted ones).
class RecurrentLaunch final : public KernelLaunch {
 public:
  RecurrentLaunch(int64_t gates, int64_t dirs, bool layout1) : gates_(gates), dirs_(dirs), layout1_(layout1) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  int64_t gates_, dirs_;
  bool layout1_;
};

/// Einsum lowered to gathers and batched GEMMs (einsum_plan.h): kernelDims = the size of
/// every label, then each operand's stride per dim. One iteration.
class EinsumLaunch final : public KernelLaunch {
 public:
  /// `ranks`: the operands' ranks the kernel was generated for.
  EinsumLaunch(const Node& node, std::vector<int64_t> ranks) : node_(node), ranks_(std::move(ranks)) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  const Node& node_;
  std::vector<int64_t> ranks_;
};

}  // namespace kiln::llvmjit
