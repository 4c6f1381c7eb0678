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
  Recurrent = 140, Einsum = 141
};

/// Reads one launch written by KernelLaunch::encode from the front of `codes` (advancing it).
/// `node` is the node the kernel belongs to (window launches read its attributes).
Expected<std::unique_ptr<KernelLaunch>> decodeLaunch(std::span<const int64_t>& codes, const Node& node);

/// Rows per GEMM kernel iteration for M rows and a register tile of `mr` rows: large enough
/// that re-packing B per chunk costs little, small enough to give the pool several slices.
int64_t gemmRowChunk(int64_t m, int64_t mr);

/// MatMul: kernelDims = chunks, M, N, K, strideA, strideB, rowsPerChunk
/// (iteration = batch * chunks + chunk).
class MatMulLaunch final : public KernelLaunch {
 public:
  explicit MatMulLaunch(int64_t mr) : mr_(mr) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  int64_t mr_;
};

/// Gemm: kernelDims = chunks, M, N, K, lda, ldb, cRowStride, cColStride, rowsPerChunk.
class GemmLaunch final : public KernelLaunch {
 public:
  GemmLaunch(bool transA, bool transB, int64_t mr) : transA_(transA), transB_(transB), mr_(mr) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  bool transA_, transB_;
  int64_t mr_;
};

/// Conv: kernelDims = C, H, W, Cout, KH, KW, SH, SW, DH, DW, padTop, padLeft, OH, OW, chunks,
/// rowsPerChunk (iteration = image * chunks + chunk of output channels). The window geometry
/// comes from the node's attributes at bind time.
class ConvLaunch final : public KernelLaunch {
 public:
  ConvLaunch(const Node& node, int64_t mr) : node_(node), mr_(mr) {}
  bool bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const override;
  void encode(std::vector<int64_t>& out) const override;

 private:
  const Node& node_;
  int64_t mr_;
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
