#include "backends/reference/tensor_util.h"

#include <algorithm>
#include <limits>

namespace kiln::reference {

namespace {
constexpr std::string_view kUnsupported = "unsupported element type '";
}

Status unsupportedDType(DType dtype) {
  return Status::error(std::string(kUnsupported) + std::string(dtypeName(dtype)) + "'");
}

bool isUnsupportedDType(const Status& s) {
  return !s.isOk() && s.diagnostic().message.starts_with(kUnsupported);
}

int64_t product(std::span<const int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

int64_t product(std::span<const int64_t> dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) n *= dims[i];
  return n;
}

std::vector<int64_t> contiguousStrides(std::span<const int64_t> dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

Expected<int64_t> checkedElementCount(std::span<const int64_t> dims) {
  int64_t n = 1;
  bool overflow = false;
  for (int64_t d : dims) {
    if (d < 0) return Status::error("negative dimension in shape " + dimsStr(dims));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) overflow = true;
    else n *= d;
  }
  // A zero dim makes the count 0 even if other dims multiplied out of range.
  if (std::find(dims.begin(), dims.end(), 0) != dims.end()) return int64_t{0};
  if (overflow) return Status::error("element count of shape " + dimsStr(dims) + " overflows int64");
  return n;
}

Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return Status::error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Expected<std::vector<int64_t>> normalizeAxes(std::span<const int64_t> axes, int64_t rank) {
  std::vector<int64_t> out;
  out.reserve(axes.size());
  for (int64_t a : axes) {
    auto n = normalizeAxis(a, rank);
    if (!n) return n.takeStatus();
    if (std::find(out.begin(), out.end(), *n) != out.end())
      return Status::error("axis " + std::to_string(a) + " appears more than once");
    out.push_back(*n);
  }
  return out;
}

AxisSplit splitAt(std::span<const int64_t> dims, int64_t axis) {
  AxisSplit s;
  auto a = static_cast<size_t>(axis);
  s.outer = product(dims, 0, a);
  s.axis = a < dims.size() ? dims[a] : 1;
  s.inner = product(dims, a + 1, dims.size());
  return s;
}

Expected<std::vector<int64_t>> readInt64List(const Tensor& t) {
  if (!isInteger(t.dtype()))
    return Status::error("expected an integer tensor, got '" + std::string(dtypeName(t.dtype())) + "'");
  if (!t.hasData()) return Status::error("integer tensor has no data");
  std::vector<int64_t> v(static_cast<size_t>(t.numElements()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = t.scalarAsInt(static_cast<int64_t>(i));
  return v;
}

Expected<int64_t> readInt64Scalar(const Tensor& t) {
  if (t.numElements() != 1)
    return Status::error("expected a one-element integer tensor, got shape " + dimsStr(t.dims()));
  auto v = readInt64List(t);
  if (!v) return v.takeStatus();
  return (*v)[0];
}

Expected<double> readDoubleScalar(const Tensor& t) {
  if (t.numElements() != 1)
    return Status::error("expected a one-element tensor, got shape " + dimsStr(t.dims()));
  if (t.dtype() == DType::String || !t.hasData())
    return Status::error("expected a numeric tensor, got '" + std::string(dtypeName(t.dtype())) + "'");
  return t.scalarAsDouble(0);
}

Expected<std::vector<int64_t>> broadcastShapes(std::span<const int64_t> a, std::span<const int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) out[i] = da;
    else if (da == 1) out[i] = db;
    else
      return Status::error("shapes " + dimsStr(a) + " and " + dimsStr(b) + " cannot be broadcast");
  }
  return out;
}

Expected<std::vector<int64_t>> broadcastShapes(std::span<const std::vector<int64_t>> shapes) {
  std::vector<int64_t> out;
  for (const auto& s : shapes) {
    auto r = broadcastShapes(out, s);
    if (!r) return r.takeStatus();
    out = r.take();
  }
  return out;
}

std::vector<int64_t> broadcastStrides(std::span<const int64_t> inDims, std::span<const int64_t> outDims) {
  KILN_ASSERT(inDims.size() <= outDims.size());
  std::vector<int64_t> strides(outDims.size(), 0);
  size_t shift = outDims.size() - inDims.size();
  int64_t s = 1;
  for (size_t i = inDims.size(); i-- > 0;) {
    KILN_ASSERT(inDims[i] == outDims[i + shift] || inDims[i] == 1);
    strides[i + shift] = inDims[i] == 1 ? 0 : s;
    s *= inDims[i];
  }
  return strides;
}

std::string dimsStr(std::span<const int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

}  // namespace kiln::reference
