// Indexed reads and writes: Gather*, Scatter*, NonZero, OneHot, Trilu. Moves elements of any
// dtype; only the Scatter reductions and OneHot's depth look at values.

#include <algorithm>
#include <cstring>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::reference {
namespace {

/// Maps an index in [-dim, dim) to [0, dim), else an error.
Expected<int64_t> wrapIndex(int64_t i, int64_t dim) {
  if (i < -dim || i >= dim)
    return Status::error("index " + std::to_string(i) + " is out of bounds for an axis of size " + std::to_string(dim));
  return i < 0 ? i + dim : i;
}

Status gatherKernel(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const auto rank = static_cast<int64_t>(data.rank());
  KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(ctx.node.intAttr("axis", 0), rank));
  KILN_ASSIGN_OR_RETURN(idx, readInt64List(indices));
  const AxisSplit s = splitAt(data.dims(), axis);
  std::vector<int64_t> outDims(data.dims().begin(), data.dims().begin() + axis);
  outDims.insert(outDims.end(), indices.dims().begin(), indices.dims().end());
  outDims.insert(outDims.end(), data.dims().begin() + axis + 1, data.dims().end());
  ElementWriter w(data.dtype(), outDims);
  const auto n = static_cast<int64_t>(idx.size());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t k = 0; k < n; ++k) {
      KILN_ASSIGN_OR_RETURN(i, wrapIndex(idx[static_cast<size_t>(k)], s.axis));
      w.copy((o * n + k) * s.inner, data, (o * s.axis + i) * s.inner, s.inner);
    }
  ctx.setOutput(0, w.finish());
  return Status::ok();
}

Status gatherElementsKernel(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const auto rank = static_cast<int64_t>(data.rank());
  if (static_cast<int64_t>(indices.rank()) != rank) return ctx.error("data and indices have different ranks");
  KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(ctx.node.intAttr("axis", 0), rank));
  KILN_ASSIGN_OR_RETURN(idx, readInt64List(indices));
  const auto a = static_cast<size_t>(axis);
  auto strides = contiguousStrides(data.dims());
  std::vector<int64_t> source(idx.size());
  Status status;
  forEachIndex(indices.dims(), [&](int64_t j, const std::vector<int64_t>& m) {
    if (!status.isOk()) return;
    int64_t k = 0;
    for (size_t d = 0; d < m.size(); ++d) {
      int64_t c = m[d];
      if (d == a) {
        auto w = wrapIndex(idx[static_cast<size_t>(j)], data.dims()[d]);
        if (!w) {
          status = w.takeStatus();
          return;
        }
        c = *w;
      } else if (c >= data.dims()[d]) {
        status = Status::error("indices shape " + dimsStr(indices.dims()) + " exceeds data shape " + dimsStr(data.dims()));
        return;
      }
      k += c * strides[d];
    }
    source[static_cast<size_t>(j)] = k;
  });
  KILN_RETURN_IF_ERROR(status);
  ctx.setOutput(0, takeElements(data, indices.dims(), source));
  return Status::ok();
}

/// Offsets into `data` of the slices that an ND index tensor names: indices of shape
/// [..., k] address data[b..., i0..ik-1, :] (after `batchDims` shared leading dims).
struct NdIndex {
  std::vector<int64_t> offsets;  ///< element offset of each addressed slice
  int64_t sliceSize = 1;         ///< elements per slice
};

Expected<NdIndex> resolveNd(const Tensor& data, const Tensor& indices, int64_t batchDims) {
  if (indices.rank() < 1) return Status::error("indices must have rank >= 1");
  const auto k = indices.dims().back();
  const auto b = static_cast<size_t>(batchDims);
  if (batchDims < 0 || b >= indices.rank() || b > data.rank())
    return Status::error("batch_dims is out of range");
  if (b + static_cast<size_t>(k) > data.rank())
    return Status::error("the last dim of indices (" + std::to_string(k) + ") is larger than the data rank allows");
  for (size_t d = 0; d < b; ++d)
    if (data.dims()[d] != indices.dims()[d]) return Status::error("batch dims of data and indices differ");
  KILN_ASSIGN_OR_RETURN(idx, readInt64List(indices));
  auto strides = contiguousStrides(data.dims());
  NdIndex r;
  r.sliceSize = product(data.dims(), b + static_cast<size_t>(k), data.rank());
  const int64_t batches = product(data.dims(), 0, b);
  const int64_t batchStride = product(data.dims(), b, data.rank());
  const int64_t tuples = product(indices.dims(), 0, indices.rank() - 1);
  const int64_t perBatch = batches ? tuples / batches : 0;
  r.offsets.resize(static_cast<size_t>(tuples));
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = perBatch ? (t / perBatch) * batchStride : 0;
    for (int64_t j = 0; j < k; ++j) {
      const size_t d = b + static_cast<size_t>(j);
      KILN_ASSIGN_OR_RETURN(i, wrapIndex(idx[static_cast<size_t>(t * k + j)], data.dims()[d]));
      off += i * strides[d];
    }
    r.offsets[static_cast<size_t>(t)] = off;
  }
  return r;
}

Status gatherNdKernel(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const int64_t batchDims = ctx.node.intAttr("batch_dims", 0);
  KILN_ASSIGN_OR_RETURN(nd, resolveNd(data, indices, batchDims));
  std::vector<int64_t> outDims(indices.dims().begin(), indices.dims().end() - 1);
  const size_t tail = static_cast<size_t>(batchDims + indices.dims().back());
  outDims.insert(outDims.end(), data.dims().begin() + static_cast<ptrdiff_t>(tail), data.dims().end());
  ElementWriter w(data.dtype(), outDims);
  for (size_t t = 0; t < nd.offsets.size(); ++t)
    w.copy(static_cast<int64_t>(t) * nd.sliceSize, data, nd.offsets[t], nd.sliceSize);
  ctx.setOutput(0, w.finish());
  return Status::ok();
}

enum class Reduction { None, Add, Mul, Max, Min };

Expected<Reduction> readReduction(const Node& node) {
  const std::string r = node.stringAttr("reduction", "none");
  if (r == "none") return Reduction::None;
  if (r == "add") return Reduction::Add;
  if (r == "mul") return Reduction::Mul;
  if (r == "max") return Reduction::Max;
  if (r == "min") return Reduction::Min;
  return Status::error("unknown reduction '" + r + "'");
}

/// Writes update element `u` into output element `o`, combining by `red`.
struct ScatterWriter {
  ElementWriter& out;
  const Tensor& updates;
  Reduction red;

  Status apply(int64_t o, int64_t u, int64_t count) {
    if (red == Reduction::None) {
      out.copy(o, updates, u, count);
      return Status::ok();
    }
    return visitDType<NumericAndBoolTypes>(updates.dtype(), [&](auto zero) -> Status {
      using T = decltype(zero);
      const T* src = in<T>(updates) + u;
      T* dst = reinterpret_cast<T*>(out.raw(o));
      for (int64_t i = 0; i < count; ++i) {
        T& d = dst[i];
        const T s = src[i];
        if constexpr (std::is_same_v<T, bool>) {
          switch (red) {
            case Reduction::Add: case Reduction::Max: d = d || s; break;
            case Reduction::Mul: case Reduction::Min: d = d && s; break;
            default: break;
          }
        } else {
          switch (red) {
            case Reduction::Add: d = static_cast<T>(d + s); break;
            case Reduction::Mul: d = static_cast<T>(d * s); break;
            case Reduction::Max: d = std::max(d, s); break;
            case Reduction::Min: d = std::min(d, s); break;
            default: break;
          }
        }
      }
      return Status::ok();
    });
  }
};

Status scatterElementsKernel(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  const auto rank = static_cast<int64_t>(data.rank());
  if (indices.dims() != updates.dims()) return ctx.error("indices and updates have different shapes");
  if (static_cast<int64_t>(indices.rank()) != rank) return ctx.error("data and indices have different ranks");
  if (updates.dtype() != data.dtype()) return ctx.error("data and updates have different element types");
  KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(ctx.node.intAttr("axis", 0), rank));
  KILN_ASSIGN_OR_RETURN(red, readReduction(ctx.node));
  KILN_ASSIGN_OR_RETURN(idx, readInt64List(indices));
  const auto a = static_cast<size_t>(axis);
  auto strides = contiguousStrides(data.dims());
  ElementWriter w(data);
  ScatterWriter sw{w, updates, red};
  Status status;
  forEachIndex(indices.dims(), [&](int64_t j, const std::vector<int64_t>& m) {
    if (!status.isOk()) return;
    int64_t k = 0;
    for (size_t d = 0; d < m.size(); ++d) {
      int64_t c = m[d];
      if (d == a) {
        auto wi = wrapIndex(idx[static_cast<size_t>(j)], data.dims()[d]);
        if (!wi) {
          status = wi.takeStatus();
          return;
        }
        c = *wi;
      } else if (c >= data.dims()[d]) {
        status = Status::error("indices shape exceeds data shape");
        return;
      }
      k += c * strides[d];
    }
    status = sw.apply(k, j, 1);
  });
  KILN_RETURN_IF_ERROR(status);
  ctx.setOutput(0, w.finish());
  return Status::ok();
}

Status scatterNdKernel(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  if (updates.dtype() != data.dtype()) return ctx.error("data and updates have different element types");
  KILN_ASSIGN_OR_RETURN(red, readReduction(ctx.node));
  KILN_ASSIGN_OR_RETURN(nd, resolveNd(data, indices, 0));
  // updates must be indices.shape[:-1] + data.shape[k:].
  std::vector<int64_t> expect(indices.dims().begin(), indices.dims().end() - 1);
  expect.insert(expect.end(), data.dims().begin() + indices.dims().back(), data.dims().end());
  if (updates.dims() != expect)
    return ctx.error("updates shape " + dimsStr(updates.dims()) + " should be " + dimsStr(expect));
  ElementWriter w(data);
  ScatterWriter sw{w, updates, red};
  for (size_t t = 0; t < nd.offsets.size(); ++t)
    KILN_RETURN_IF_ERROR(sw.apply(nd.offsets[t], static_cast<int64_t>(t) * nd.sliceSize, nd.sliceSize));
  ctx.setOutput(0, w.finish());
  return Status::ok();
}

Status nonZeroKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  // A scalar reads as a one-element vector (what ONNX Runtime does).
  std::vector<int64_t> dims = x.dims();
  if (dims.empty()) dims = {1};
  std::vector<std::vector<int64_t>> coords;
  forEachIndex(dims, [&](int64_t j, const std::vector<int64_t>& m) {
    if (isNonZeroElement(x, j)) coords.push_back(m);
  });
  const auto rank = static_cast<int64_t>(dims.size()), n = static_cast<int64_t>(coords.size());
  Tensor out = Tensor::zeros(DType::Int64, {rank, n});
  auto o = out.mutableData<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < rank; ++d) o[static_cast<size_t>(d * n + i)] = coords[static_cast<size_t>(i)][static_cast<size_t>(d)];
  ctx.setOutput(0, std::move(out));
  return Status::ok();
}

Status oneHotKernel(KernelContext& ctx) {
  const Tensor& indices = ctx.input(0);
  const Tensor& values = ctx.input(2);
  KILN_ASSIGN_OR_RETURN(depthValue, readDoubleScalar(ctx.input(1)));
  const auto depth = static_cast<int64_t>(depthValue);
  if (depth < 0) return ctx.error("depth must not be negative");
  if (values.numElements() != 2) return ctx.error("values must hold [off_value, on_value]");
  const auto outRank = static_cast<int64_t>(indices.rank() + 1);
  KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(ctx.node.intAttr("axis", -1), outRank));
  std::vector<int64_t> outDims = indices.dims();
  outDims.insert(outDims.begin() + axis, depth);
  KILN_RETURN_IF_ERROR(checkElementCount(outDims));
  const AxisSplit s = splitAt(outDims, axis);
  ElementWriter w(values.dtype(), outDims);
  w.fill(0, values, 0, w.numElements());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      // Indices may be any numeric type; fractional ones truncate, negatives count from the end.
      auto v = static_cast<int64_t>(indices.scalarAsDouble(o * s.inner + i));
      if (v < 0) v += depth;
      if (v < 0 || v >= depth) continue;  // out of range: the whole row stays off
      w.copy((o * depth + v) * s.inner + i, values, 1);
    }
  ctx.setOutput(0, w.finish());
  return Status::ok();
}

Status triluKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) return ctx.error("input must have rank >= 2");
  int64_t k = 0;
  if (ctx.hasInput(1)) {
    KILN_ASSIGN_OR_RETURN(kv, readInt64Scalar(ctx.input(1)));
    k = kv;
  }
  const bool upper = ctx.node.intAttr("upper", 1) != 0;
  const int64_t rows = x.dims()[x.rank() - 2], cols = x.dims()[x.rank() - 1];
  std::vector<int64_t> index(static_cast<size_t>(x.numElements()));
  for (int64_t j = 0; j < x.numElements(); ++j) {
    const int64_t c = j % cols, r = (j / cols) % rows;
    const bool keep = upper ? c - r >= k : c - r <= k;
    index[static_cast<size_t>(j)] = keep ? j : -1;
  }
  ctx.setOutput(0, takeElements(x, x.dims(), index));
  return Status::ok();
}

}  // namespace

void registerGatherScatterKernels(KernelRegistry& registry) {
  registry.add("", "Gather", gatherKernel);
  registry.add("", "GatherElements", gatherElementsKernel);
  registry.add("", "GatherND", gatherNdKernel);
  registry.add("", "ScatterElements", scatterElementsKernel);
  registry.add("", "ScatterND", scatterNdKernel);
  registry.add("", "NonZero", nonZeroKernel);
  registry.add("", "OneHot", oneHotKernel);
  registry.add("", "Trilu", triluKernel);
}

}  // namespace kiln::reference
