// Shape and data-movement kernels: every one is type-agnostic (bytes or strings are moved,
// never interpreted), so each works on every dtype ONNX allows for it.

#include <algorithm>
#include <limits>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::reference {
namespace {

// ---- views: the bytes are shared, only dims change ------------------------------------------

Status reshapeKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(shape, readInt64List(ctx.input(1)));
  const bool allowZero = ctx.node.intAttr("allowzero", 0) != 0;
  std::vector<int64_t> dims(shape.size());
  int64_t inferred = -1, known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t d = shape[i];
    if (d == 0 && !allowZero) {
      if (i >= x.rank()) return ctx.error("shape entry " + std::to_string(i) + " is 0 but the input has rank " + std::to_string(x.rank()));
      d = x.dims()[i];
    }
    if (d == -1) {
      if (inferred >= 0) return ctx.error("shape " + dimsStr(shape) + " has more than one -1");
      inferred = static_cast<int64_t>(i);
      continue;
    }
    if (d < 0) return ctx.error("invalid shape entry " + std::to_string(d));
    dims[i] = d;
    known *= d;
  }
  if (inferred >= 0) {
    if (known == 0 || x.numElements() % known != 0)
      return ctx.error("cannot reshape " + dimsStr(x.dims()) + " to " + dimsStr(shape));
    dims[static_cast<size_t>(inferred)] = x.numElements() / known;
  }
  KILN_ASSIGN_OR_RETURN(count, checkedElementCount(dims));
  if (count != x.numElements()) return ctx.error("cannot reshape " + dimsStr(x.dims()) + " to " + dimsStr(shape));
  ctx.setOutput(0, reshapedView(x, dims));
  return Status::ok();
}

Status flattenKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto rank = static_cast<int64_t>(x.rank());
  int64_t axis = ctx.node.intAttr("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) return ctx.error("axis is out of range for rank " + std::to_string(rank));
  const auto a = static_cast<size_t>(axis);
  ctx.setOutput(0, reshapedView(x, {product(x.dims(), 0, a), product(x.dims(), a, x.rank())}));
  return Status::ok();
}

Status squeezeKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<bool> drop(x.rank(), false);
  if (ctx.hasInput(1)) {
    KILN_ASSIGN_OR_RETURN(raw, readInt64List(ctx.input(1)));
    KILN_ASSIGN_OR_RETURN(axes, normalizeAxes(raw, static_cast<int64_t>(x.rank())));
    for (int64_t a : axes) {
      if (x.dims()[static_cast<size_t>(a)] != 1)
        return ctx.error("cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(x.dims()[static_cast<size_t>(a)]));
      drop[static_cast<size_t>(a)] = true;
    }
  } else {
    for (size_t d = 0; d < x.rank(); ++d) drop[d] = x.dims()[d] == 1;
  }
  std::vector<int64_t> dims;
  for (size_t d = 0; d < x.rank(); ++d)
    if (!drop[d]) dims.push_back(x.dims()[d]);
  ctx.setOutput(0, reshapedView(x, dims));
  return Status::ok();
}

Status unsqueezeKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(raw, readInt64List(ctx.input(1)));
  const auto outRank = static_cast<int64_t>(x.rank() + raw.size());
  KILN_ASSIGN_OR_RETURN(axes, normalizeAxes(raw, outRank));
  std::vector<int64_t> dims(static_cast<size_t>(outRank), 1);
  std::vector<bool> inserted(dims.size(), false);
  for (int64_t a : axes) inserted[static_cast<size_t>(a)] = true;
  size_t k = 0;
  for (size_t d = 0; d < dims.size(); ++d)
    if (!inserted[d]) dims[d] = x.dims()[k++];
  ctx.setOutput(0, reshapedView(x, dims));
  return Status::ok();
}

// ---- shape queries ------------------------------------------------------------------------------

Status shapeKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto rank = static_cast<int64_t>(x.rank());
  auto clampAxis = [rank](int64_t a) { return std::clamp(a < 0 ? a + rank : a, int64_t{0}, rank); };
  const int64_t start = clampAxis(ctx.node.intAttr("start", 0));
  const int64_t end = clampAxis(ctx.node.intAttr("end", rank));
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d) dims.push_back(x.dims()[static_cast<size_t>(d)]);
  ctx.setOutput(0, Tensor::fromVector<int64_t>(DType::Int64, {static_cast<int64_t>(dims.size())}, dims));
  return Status::ok();
}

Status sizeKernel(KernelContext& ctx) {
  ctx.setOutput(0, Tensor::fromVector<int64_t>(DType::Int64, {}, {ctx.input(0).numElements()}));
  return Status::ok();
}

// ---- permutations and copies --------------------------------------------------------------

Status transposeKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const size_t rank = x.rank();
  std::vector<int64_t> perm = ctx.node.intsAttr("perm");
  if (perm.empty()) {
    perm.resize(rank);
    for (size_t d = 0; d < rank; ++d) perm[d] = static_cast<int64_t>(rank - 1 - d);
  }
  if (perm.size() != rank) return ctx.error("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(rank));
  KILN_ASSIGN_OR_RETURN(p, normalizeAxes(perm, static_cast<int64_t>(rank)));
  ctx.setOutput(0, permuteTensor(x, x.dims(), p));
  return Status::ok();
}

Status concatKernel(KernelContext& ctx) {
  std::vector<const Tensor*> parts;
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    if (ctx.hasInput(i)) parts.push_back(&ctx.input(i));
  if (parts.empty()) return ctx.error("Concat needs at least one input");
  KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(ctx.node.intAttr("axis", 0), static_cast<int64_t>(parts[0]->rank())));
  KILN_ASSIGN_OR_RETURN(result, concatTensors(parts, axis));
  ctx.setOutput(0, std::move(result));
  return Status::ok();
}

Status splitKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(ctx.node.intAttr("axis", 0), static_cast<int64_t>(x.rank())));
  const int64_t dim = x.dims()[static_cast<size_t>(axis)];
  const auto numOutputs = static_cast<int64_t>(ctx.outputs.size());
  std::vector<int64_t> sizes;
  if (ctx.hasInput(1)) {
    KILN_ASSIGN_OR_RETURN(split, readInt64List(ctx.input(1)));
    sizes = split;
  }
  if (sizes.empty()) {
    // num_outputs (v18): chunks of ceil(dim / n), the last one smaller; without it the
    // outputs split the axis evenly.
    int64_t n = ctx.node.intAttr("num_outputs", numOutputs);
    if (n <= 0) return ctx.error("num_outputs must be positive");
    if (!ctx.node.attr("num_outputs") && dim % n != 0)
      return ctx.error("axis of size " + std::to_string(dim) + " does not split evenly into " + std::to_string(n));
    const int64_t chunk = (dim + n - 1) / n;
    for (int64_t i = 0, left = dim; i < n; ++i, left -= chunk) sizes.push_back(std::clamp(left, int64_t{0}, chunk));
  }
  if (static_cast<int64_t>(sizes.size()) != numOutputs)
    return ctx.error("split has " + std::to_string(sizes.size()) + " parts for " + std::to_string(numOutputs) + " outputs");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) return ctx.error("negative split size");
    total += s;
  }
  if (total != dim) return ctx.error("split sizes sum to " + std::to_string(total) + ", axis has " + std::to_string(dim));
  int64_t begin = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    ctx.setOutput(i, sliceAxis(x, axis, begin, sizes[i]));
    begin += sizes[i];
  }
  return Status::ok();
}

Status sliceKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto rank = static_cast<int64_t>(x.rank());
  KILN_ASSIGN_OR_RETURN(starts, readInt64List(ctx.input(1)));
  KILN_ASSIGN_OR_RETURN(ends, readInt64List(ctx.input(2)));
  KILN_ASSIGN_OR_RETURN(axesRaw, optionalInt64List(ctx, 3));
  KILN_ASSIGN_OR_RETURN(steps, optionalInt64List(ctx, 4));
  if (ends.size() != starts.size()) return ctx.error("starts and ends have different lengths");
  if (axesRaw.empty())
    for (size_t i = 0; i < starts.size(); ++i) axesRaw.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axesRaw.size() != starts.size() || steps.size() != starts.size())
    return ctx.error("starts, ends, axes and steps have different lengths");
  KILN_ASSIGN_OR_RETURN(axes, normalizeAxes(axesRaw, rank));

  std::vector<int64_t> outDims = x.dims(), begin(x.rank(), 0), step(x.rank(), 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<size_t>(axes[i]);
    const int64_t dim = x.dims()[a], s = steps[i];
    if (s == 0) return ctx.error("slice step is 0");
    int64_t b = starts[i], e = ends[i];
    // Clamp before adding dim so INT64_MIN/MAX sentinels cannot overflow.
    b = std::clamp(b, -dim - 1, dim + 1);
    e = std::clamp(e, -dim - 1, dim + 1);
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    if (s > 0) {
      b = std::clamp(b, int64_t{0}, dim);
      e = std::clamp(e, int64_t{0}, dim);
      outDims[a] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = std::clamp(b, int64_t{0}, dim - 1);
      e = std::clamp(e, int64_t{-1}, dim - 1);
      outDims[a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    begin[a] = b;
    step[a] = s;
  }
  auto inStrides = contiguousStrides(x.dims());
  int64_t offset = 0;
  std::vector<int64_t> strides(x.rank());
  for (size_t d = 0; d < x.rank(); ++d) {
    offset += begin[d] * inStrides[d];
    strides[d] = step[d] * inStrides[d];
  }
  if (product(outDims) == 0) offset = 0;
  auto index = stridedIndex(outDims, strides, offset);
  ctx.setOutput(0, takeElements(x, outDims, index));
  return Status::ok();
}

Status expandKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(shape, readInt64List(ctx.input(1)));
  KILN_ASSIGN_OR_RETURN(outDims, broadcastShapes(x.dims(), shape));
  KILN_RETURN_IF_ERROR(checkElementCount(outDims));
  auto index = stridedIndex(outDims, broadcastStrides(x.dims(), outDims));
  ctx.setOutput(0, takeElements(x, outDims, index));
  return Status::ok();
}

Status tileKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(repeats, readInt64List(ctx.input(1)));
  if (repeats.size() != x.rank()) return ctx.error("repeats has " + std::to_string(repeats.size()) + " entries for rank " + std::to_string(x.rank()));
  // Output viewed as [r0, d0, r1, d1, ...]: the repeat axes have stride 0.
  std::vector<int64_t> viewDims, viewStrides, outDims;
  auto inStrides = contiguousStrides(x.dims());
  for (size_t d = 0; d < x.rank(); ++d) {
    if (repeats[d] < 0) return ctx.error("negative repeat count");
    viewDims.push_back(repeats[d]);
    viewDims.push_back(x.dims()[d]);
    viewStrides.push_back(0);
    viewStrides.push_back(inStrides[d]);
    outDims.push_back(repeats[d] * x.dims()[d]);
  }
  KILN_RETURN_IF_ERROR(checkElementCount(outDims));
  auto index = stridedIndex(viewDims, viewStrides);
  ctx.setOutput(0, takeElements(x, outDims, index));
  return Status::ok();
}

/// Where output coordinate `o` of an axis of size `dim` padded by `before` reads from, or -1
/// for the constant fill.
int64_t padSource(int64_t o, int64_t before, int64_t dim, int mode) {
  int64_t i = o - before;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case 0: return -1;  // constant
    case 1: {           // reflect: mirror without repeating the edge, as numpy does
      if (dim == 1) return 0;
      const int64_t period = 2 * (dim - 1);
      int64_t m = ((i % period) + period) % period;
      return m < dim ? m : period - m;
    }
    case 2: return std::clamp(i, int64_t{0}, dim - 1);  // edge
    default: return ((i % dim) + dim) % dim;            // wrap
  }
}

Status padKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto rank = static_cast<int64_t>(x.rank());
  KILN_ASSIGN_OR_RETURN(pads, readInt64List(ctx.input(1)));
  KILN_ASSIGN_OR_RETURN(axesRaw, optionalInt64List(ctx, 3));
  if (axesRaw.empty())
    for (int64_t d = 0; d < rank; ++d) axesRaw.push_back(d);
  KILN_ASSIGN_OR_RETURN(axes, normalizeAxes(axesRaw, rank));
  if (pads.size() != 2 * axes.size())
    return ctx.error("pads has " + std::to_string(pads.size()) + " entries for " + std::to_string(axes.size()) + " axes");
  const std::string modeName = ctx.node.stringAttr("mode", "constant");
  int mode;
  if (modeName == "constant") mode = 0;
  else if (modeName == "reflect") mode = 1;
  else if (modeName == "edge") mode = 2;
  else if (modeName == "wrap") mode = 3;
  else return ctx.error("unknown pad mode '" + modeName + "'");

  std::vector<int64_t> before(x.rank(), 0), after(x.rank(), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    before[static_cast<size_t>(axes[i])] = pads[i];
    after[static_cast<size_t>(axes[i])] = pads[i + axes.size()];
  }
  // Negative pads crop first; the positive ones then pad the cropped data (so `wrap` and
  // `reflect` read the cropped tensor, as in ONNX's reference and ONNX Runtime).
  std::vector<int64_t> outDims(x.rank());
  std::vector<std::vector<int64_t>> source(x.rank());  // per axis: input coordinate or -1
  for (size_t d = 0; d < x.rank(); ++d) {
    const int64_t dim = x.dims()[d];
    const int64_t cropBegin = std::max<int64_t>(-before[d], 0), cropEnd = std::max<int64_t>(-after[d], 0);
    const int64_t kept = dim - cropBegin - cropEnd;
    if (kept < 0) return ctx.error("pads crop more than axis " + std::to_string(d) + " holds");
    const int64_t padBegin = std::max<int64_t>(before[d], 0), padEnd = std::max<int64_t>(after[d], 0);
    outDims[d] = kept + padBegin + padEnd;
    if (mode != 0 && kept == 0 && outDims[d] > 0)
      return ctx.error("cannot pad an empty axis in mode '" + modeName + "'");
  }
  KILN_ASSIGN_OR_RETURN(count, checkedElementCount(outDims));
  for (size_t d = 0; d < x.rank(); ++d) {
    const int64_t cropBegin = std::max<int64_t>(-before[d], 0);
    const int64_t kept = x.dims()[d] - cropBegin - std::max<int64_t>(-after[d], 0);
    for (int64_t o = 0; o < outDims[d]; ++o) {
      const int64_t k = padSource(o, std::max<int64_t>(before[d], 0), kept, mode);
      source[d].push_back(k < 0 ? -1 : k + cropBegin);
    }
  }
  auto inStrides = contiguousStrides(x.dims());
  std::vector<int64_t> index(static_cast<size_t>(count));
  forEachIndex(outDims, [&](int64_t j, const std::vector<int64_t>& m) {
    int64_t k = 0;
    for (size_t d = 0; d < m.size(); ++d) {
      int64_t s = source[d][static_cast<size_t>(m[d])];
      if (s < 0) {
        k = -1;
        break;
      }
      k += s * inStrides[d];
    }
    index[static_cast<size_t>(j)] = k;
  });

  Tensor fill;
  if (ctx.hasInput(2) && ctx.input(2).numElements() > 0) {
    fill = ctx.input(2);
    if (fill.dtype() != x.dtype()) return ctx.error("constant_value has a different element type than data");
  } else {
    fill = Tensor::zeros(x.dtype(), {});
  }
  ctx.setOutput(0, takeElements(x, outDims, index, &fill));
  return Status::ok();
}

Status depthToSpaceKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t b = ctx.node.intAttr("blocksize", 0);
  if (x.rank() != 4) return ctx.error("input must be 4-D");
  if (b <= 0) return ctx.error("blocksize must be positive");
  const int64_t n = x.dims()[0], c = x.dims()[1], h = x.dims()[2], w = x.dims()[3];
  if (c % (b * b) != 0) return ctx.error("channels are not divisible by blocksize^2");
  const std::string mode = ctx.node.stringAttr("mode", "DCR");
  std::vector<int64_t> view, perm;
  if (mode == "DCR") {
    view = {n, b, b, c / (b * b), h, w};
    perm = {0, 3, 4, 1, 5, 2};
  } else if (mode == "CRD") {
    view = {n, c / (b * b), b, b, h, w};
    perm = {0, 1, 4, 2, 5, 3};
  } else {
    return ctx.error("unknown mode '" + mode + "'");
  }
  Tensor t = permuteTensor(x, view, perm);
  ctx.setOutput(0, reshapedView(t, {n, c / (b * b), h * b, w * b}));
  return Status::ok();
}

Status spaceToDepthKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t b = ctx.node.intAttr("blocksize", 0);
  if (x.rank() != 4) return ctx.error("input must be 4-D");
  if (b <= 0) return ctx.error("blocksize must be positive");
  const int64_t n = x.dims()[0], c = x.dims()[1], h = x.dims()[2], w = x.dims()[3];
  if (h % b != 0 || w % b != 0) return ctx.error("spatial dims are not divisible by blocksize");
  std::vector<int64_t> view = {n, c, h / b, b, w / b, b}, perm = {0, 3, 5, 1, 2, 4};
  Tensor t = permuteTensor(x, view, perm);
  ctx.setOutput(0, reshapedView(t, {n, c * b * b, h / b, w / b}));
  return Status::ok();
}

}  // namespace

void registerShapeKernels(KernelRegistry& registry) {
  registry.add("", "Reshape", reshapeKernel);
  registry.add("", "Flatten", flattenKernel);
  registry.add("", "Squeeze", squeezeKernel);
  registry.add("", "Unsqueeze", unsqueezeKernel);
  registry.add("", "Shape", shapeKernel);
  registry.add("", "Size", sizeKernel);
  registry.add("", "Transpose", transposeKernel);
  registry.add("", "Concat", concatKernel);
  registry.add("", "Split", splitKernel);
  registry.add("", "Slice", sliceKernel);
  registry.add("", "Expand", expandKernel);
  registry.add("", "Tile", tileKernel);
  registry.add("", "Pad", padKernel);
  registry.add("", "DepthToSpace", depthToSpaceKernel);
  registry.add("", "SpaceToDepth", spaceToDepthKernel);
}

}  // namespace kiln::reference
