#pragma once
// Type-agnostic element movement for the data-movement kernels (shape, gather/scatter,
// sequence, control flow): they copy elements of any dtype, strings included, without
// knowing what the elements are. Complements tensor_util.h (arithmetic and shapes).

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "backends/reference/kernel.h"
#include "backends/reference/tensor_util.h"

/// `auto var = *expr;` or return expr's Status from the enclosing function.
#ifndef KILN_ASSIGN_OR_RETURN
#define KILN_ASSIGN_OR_RETURN(var, expr)         \
  auto var##Or_ = (expr);                        \
  if (!var##Or_) return var##Or_.takeStatus();   \
  auto var = var##Or_.take()
#endif

namespace kiln::reference {

/// A tensor with the bytes of `t` (shared, no copy) and new dims of the same element count.
Tensor reshapedView(const Tensor& t, std::vector<int64_t> dims);

/// Builds a new tensor by copying single elements or runs of elements from source tensors
/// of the same dtype; fixed-size types copy bytes, strings copy strings.
class ElementWriter {
 public:
  ElementWriter(DType dtype, std::vector<int64_t> dims);
  /// Starts from a copy of `init`'s elements (Scatter, Pad's fill).
  explicit ElementWriter(const Tensor& init);

  /// out[dst, dst + count) = src[srcIndex, srcIndex + count).
  void copy(int64_t dst, const Tensor& src, int64_t srcIndex, int64_t count = 1);
  /// Sets out[dst, dst + count) to element `srcIndex` of `src` (a fill value).
  void fill(int64_t dst, const Tensor& src, int64_t srcIndex, int64_t count);
  /// Raw element pointer for fixed-size dtypes (reductions in Scatter).
  std::byte* raw(int64_t i) { return data_ + static_cast<size_t>(i) * elemSize_; }
  int64_t numElements() const { return count_; }
  Tensor finish();

 private:
  DType dtype_;
  std::vector<int64_t> dims_;
  Tensor tensor_;
  std::byte* data_ = nullptr;
  size_t elemSize_ = 0;
  int64_t count_ = 0;
  std::vector<std::string> strings_;
};

/// out[j] = src[index[j]] for every j (index -1: left zero / empty, or `fill[0]` when given).
/// The general form of Transpose, Slice, Tile, Expand, Pad and DepthToSpace.
Tensor takeElements(const Tensor& src, std::vector<int64_t> outDims, std::span<const int64_t> index,
                    const Tensor* fill = nullptr);

/// Calls fn(outFlatIndex, multiIndex) for every element of `dims` in row-major order.
void forEachIndex(std::span<const int64_t> dims,
                  const std::function<void(int64_t, const std::vector<int64_t>&)>& fn);

/// Source flat index of every output element of a strided view: output element with multi-index
/// m reads src at offset + sum(m[d] * strides[d]).
std::vector<int64_t> stridedIndex(std::span<const int64_t> outDims, std::span<const int64_t> strides,
                                  int64_t offset = 0);

/// Transposes `t` read as shape `viewDims` (same element count) by `perm`: output dim d is view
/// dim perm[d].
Tensor permuteTensor(const Tensor& t, std::span<const int64_t> viewDims, std::span<const int64_t> perm);

/// Concatenates tensors of one dtype along `axis` (already normalized); dims must agree elsewhere.
Expected<Tensor> concatTensors(std::span<const Tensor* const> parts, int64_t axis);

/// Slices [begin, begin + length) of `t` along `axis` (normalized, in range).
Tensor sliceAxis(const Tensor& t, int64_t axis, int64_t begin, int64_t length);

/// True for an element that is not zero (NonZero, Where-like tests); strings: non-empty.
bool isNonZeroElement(const Tensor& t, int64_t i);

/// A scalar tensor of `dtype` holding `v` converted (numeric dtypes only; f16/bf16 rounded).
Tensor scalarOf(DType dtype, double v);
/// Stores `v` converted to element i of a numeric tensor (rounded for f16/bf16, truncated for ints).
void storeDouble(std::byte* p, DType dtype, double v);

/// Ok when `dims` describes a representable tensor (checkedElementCount without the count).
Status checkElementCount(std::span<const int64_t> dims);

/// Reads an optional integer-list input: empty when absent.
Expected<std::vector<int64_t>> optionalInt64List(const KernelContext& ctx, size_t i);

}  // namespace kiln::reference
