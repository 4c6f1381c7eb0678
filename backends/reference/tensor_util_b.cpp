#include "backends/reference/tensor_util_b.h"

#include <cmath>
#include <cstring>

#include "ir/float16.h"

namespace kiln::reference {

Tensor reshapedView(const Tensor& t, std::vector<int64_t> dims) {
  KILN_ASSERT(product(dims) == t.numElements());
  if (t.dtype() == DType::String) return Tensor::fromStrings(std::move(dims), t.strings());
  auto r = Tensor::fromBuffer(t.dtype(), std::move(dims), t.buffer());
  KILN_ASSERT(r.hasValue());
  return r.take();
}

ElementWriter::ElementWriter(DType dtype, std::vector<int64_t> dims)
    : dtype_(dtype), dims_(std::move(dims)), count_(product(dims_)) {
  if (dtype_ == DType::String) {
    strings_.resize(static_cast<size_t>(count_));
  } else {
    tensor_ = Tensor::zeros(dtype_, dims_);
    data_ = tensor_.mutableRawData();
    elemSize_ = dtypeSize(dtype_);
  }
}

ElementWriter::ElementWriter(const Tensor& init) : ElementWriter(init.dtype(), init.dims()) {
  copy(0, init, 0, count_);
}

void ElementWriter::copy(int64_t dst, const Tensor& src, int64_t srcIndex, int64_t count) {
  KILN_ASSERT(src.dtype() == dtype_);
  if (count <= 0) return;
  if (dtype_ == DType::String) {
    for (int64_t i = 0; i < count; ++i) strings_[static_cast<size_t>(dst + i)] = src.strings()[static_cast<size_t>(srcIndex + i)];
    return;
  }
  std::memcpy(data_ + static_cast<size_t>(dst) * elemSize_, src.rawData() + static_cast<size_t>(srcIndex) * elemSize_,
              static_cast<size_t>(count) * elemSize_);
}

void ElementWriter::fill(int64_t dst, const Tensor& src, int64_t srcIndex, int64_t count) {
  KILN_ASSERT(src.dtype() == dtype_);
  if (dtype_ == DType::String) {
    for (int64_t i = 0; i < count; ++i) strings_[static_cast<size_t>(dst + i)] = src.strings()[static_cast<size_t>(srcIndex)];
    return;
  }
  const std::byte* s = src.rawData() + static_cast<size_t>(srcIndex) * elemSize_;
  for (int64_t i = 0; i < count; ++i) std::memcpy(data_ + static_cast<size_t>(dst + i) * elemSize_, s, elemSize_);
}

Tensor ElementWriter::finish() {
  if (dtype_ == DType::String) return Tensor::fromStrings(dims_, std::move(strings_));
  data_ = nullptr;
  return std::move(tensor_);
}

Tensor takeElements(const Tensor& src, std::vector<int64_t> outDims, std::span<const int64_t> index,
                    const Tensor* fill) {
  ElementWriter w(src.dtype(), std::move(outDims));
  KILN_ASSERT(static_cast<int64_t>(index.size()) == w.numElements());
  const int64_t n = w.numElements();
  if (src.dtype() != DType::String) {
    // Byte copies without the per-element bookkeeping of ElementWriter::copy.
    const size_t es = dtypeSize(src.dtype());
    const std::byte* s = src.rawData();
    std::byte* d = w.raw(0);
    const std::byte* f = fill ? fill->rawData() : nullptr;
    for (int64_t j = 0; j < n; ++j) {
      int64_t k = index[static_cast<size_t>(j)];
      if (k >= 0) std::memcpy(d + static_cast<size_t>(j) * es, s + static_cast<size_t>(k) * es, es);
      else if (f) std::memcpy(d + static_cast<size_t>(j) * es, f, es);
    }
    return w.finish();
  }
  for (int64_t j = 0; j < n; ++j) {
    int64_t k = index[static_cast<size_t>(j)];
    if (k >= 0) w.copy(j, src, k);
    else if (fill) w.fill(j, *fill, 0, 1);
  }
  return w.finish();
}

void forEachIndex(std::span<const int64_t> dims,
                  const std::function<void(int64_t, const std::vector<int64_t>&)>& fn) {
  const int64_t n = product(dims);
  if (n == 0) return;
  std::vector<int64_t> idx(dims.size(), 0);
  for (int64_t j = 0; j < n; ++j) {
    fn(j, idx);
    for (size_t d = dims.size(); d-- > 0;) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
}

std::vector<int64_t> stridedIndex(std::span<const int64_t> outDims, std::span<const int64_t> strides,
                                  int64_t offset) {
  const int64_t n = product(outDims);
  std::vector<int64_t> index(static_cast<size_t>(std::max<int64_t>(n, 0)));
  if (n <= 0) return index;
  const size_t rank = outDims.size();
  std::vector<int64_t> idx(rank, 0);
  int64_t cur = offset;
  for (int64_t j = 0; j < n; ++j) {
    index[static_cast<size_t>(j)] = cur;
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < outDims[d]) {
        cur += strides[d];
        break;
      }
      cur -= strides[d] * (outDims[d] - 1);
      idx[d] = 0;
    }
  }
  return index;
}

Tensor permuteTensor(const Tensor& t, std::span<const int64_t> viewDims, std::span<const int64_t> perm) {
  auto inStrides = contiguousStrides(viewDims);
  std::vector<int64_t> outDims(perm.size()), strides(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) {
    outDims[d] = viewDims[static_cast<size_t>(perm[d])];
    strides[d] = inStrides[static_cast<size_t>(perm[d])];
  }
  auto index = stridedIndex(outDims, strides);
  return takeElements(t, std::move(outDims), index);
}

Expected<Tensor> concatTensors(std::span<const Tensor* const> parts, int64_t axis) {
  KILN_ASSERT(!parts.empty());
  const Tensor& first = *parts[0];
  std::vector<int64_t> dims = first.dims();
  const size_t a = static_cast<size_t>(axis);
  if (a >= dims.size()) return Status::error("concat axis " + std::to_string(axis) + " is out of range");
  int64_t total = 0;
  for (const Tensor* p : parts) {
    if (p->dtype() != first.dtype()) return Status::error("concatenated tensors have different element types");
    if (p->rank() != dims.size()) return Status::error("concatenated tensors have different ranks");
    for (size_t d = 0; d < dims.size(); ++d)
      if (d != a && p->dims()[d] != dims[d])
        return Status::error("concatenated shapes " + dimsStr(first.dims()) + " and " + dimsStr(p->dims()) +
                             " differ outside the axis");
    total += p->dims()[a];
  }
  dims[a] = total;
  const int64_t outer = product(dims, 0, a), inner = product(dims, a + 1, dims.size());
  ElementWriter w(first.dtype(), dims);
  int64_t offset = 0;  // along the axis
  for (const Tensor* p : parts) {
    const int64_t block = p->dims()[a] * inner;
    for (int64_t o = 0; o < outer; ++o) w.copy(o * total * inner + offset * inner, *p, o * block, block);
    offset += p->dims()[a];
  }
  return w.finish();
}

Tensor sliceAxis(const Tensor& t, int64_t axis, int64_t begin, int64_t length) {
  std::vector<int64_t> dims = t.dims();
  const size_t a = static_cast<size_t>(axis);
  const int64_t outer = product(dims, 0, a), inner = product(dims, a + 1, dims.size()), n = dims[a];
  dims[a] = length;
  ElementWriter w(t.dtype(), dims);
  for (int64_t o = 0; o < outer; ++o) w.copy(o * length * inner, t, (o * n + begin) * inner, length * inner);
  return w.finish();
}

bool isNonZeroElement(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::String) return !t.strings()[static_cast<size_t>(i)].empty();
  const size_t es = dtypeSize(t.dtype());
  const std::byte* p = t.rawData() + static_cast<size_t>(i) * es;
  switch (t.dtype()) {
    case DType::Float32: case DType::Float64: case DType::Float16: case DType::BFloat16:
      return t.scalarAsDouble(i) != 0.0;
    case DType::Complex64: {
      float v[2];
      std::memcpy(v, p, sizeof v);
      return v[0] != 0.0f || v[1] != 0.0f;
    }
    case DType::Complex128: {
      double v[2];
      std::memcpy(v, p, sizeof v);
      return v[0] != 0.0 || v[1] != 0.0;
    }
    default:
      for (size_t k = 0; k < es; ++k)
        if (p[k] != std::byte{0}) return true;
      return false;
  }
}

void storeDouble(std::byte* p, DType dtype, double v) {
  auto put = [p]<typename T>(T x) { std::memcpy(p, &x, sizeof(T)); };
  switch (dtype) {
    case DType::Float32: put(static_cast<float>(v)); break;
    case DType::Float64: put(v); break;
    case DType::Float16: put(floatToHalf(static_cast<float>(v))); break;
    case DType::BFloat16: put(floatToBfloat16(static_cast<float>(v))); break;
    case DType::Int8: put(static_cast<int8_t>(static_cast<int64_t>(v))); break;
    case DType::Int16: put(static_cast<int16_t>(static_cast<int64_t>(v))); break;
    case DType::Int32: put(static_cast<int32_t>(static_cast<int64_t>(v))); break;
    case DType::Int64: put(static_cast<int64_t>(v)); break;
    case DType::UInt8: put(static_cast<uint8_t>(static_cast<int64_t>(v))); break;
    case DType::UInt16: put(static_cast<uint16_t>(static_cast<int64_t>(v))); break;
    case DType::UInt32: put(static_cast<uint32_t>(static_cast<int64_t>(v))); break;
    case DType::UInt64: put(static_cast<uint64_t>(static_cast<int64_t>(v))); break;
    case DType::Bool: put(static_cast<uint8_t>(v != 0.0)); break;
    default: KILN_ASSERT(false && "storeDouble on a non-numeric dtype");
  }
}

Tensor scalarOf(DType dtype, double v) {
  Tensor t = Tensor::zeros(dtype, {});
  storeDouble(t.mutableRawData(), dtype, v);
  return t;
}

Status checkElementCount(std::span<const int64_t> dims) {
  auto n = checkedElementCount(dims);
  return n ? Status::ok() : n.takeStatus();
}

Expected<std::vector<int64_t>> optionalInt64List(const KernelContext& ctx, size_t i) {
  if (!ctx.hasInput(i)) return std::vector<int64_t>{};
  return readInt64List(ctx.input(i));
}

}  // namespace kiln::reference
