// Resize (v19 form). Each axis gets a table of taps (input index, weight) per output
// coordinate, built from the coordinate transformation and the interpolation mode; the output
// is the sum over the product of the axes' taps. The formulas (float arithmetic, the scale==1
// shortcut, edge clamping, cubic coefficients, antialias windows) follow ONNX Runtime, the
// project's judge, so results agree with it to float rounding.

#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::reference {
namespace {

enum class Mode { Nearest, Linear, Cubic };

struct Tap {
  int64_t index;
  float weight;
};

/// Taps of one output coordinate; `extrapolate` marks a tf_crop_and_resize coordinate outside
/// the input, whose output is extrapolation_value.
struct AxisTaps {
  std::vector<std::vector<Tap>> taps;  ///< per output coordinate
  std::vector<bool> extrapolate;
};

struct Options {
  Mode mode = Mode::Nearest;
  std::string transform = "half_pixel";
  std::string nearestMode = "round_prefer_floor";
  float cubicA = -0.75f;
  bool excludeOutside = false;
  bool antialias = false;
};

/// Input coordinate of output coordinate `x` (ONNX Runtime's get_original_coordinate).
float originalCoordinate(const std::string& t, float x, float scale, float lengthResized, float lengthOriginal,
                         float roiStart, float roiEnd) {
  if (t == "half_pixel") return (x + 0.5f) / scale - 0.5f;
  if (t == "half_pixel_symmetric") {
    const float outputWidth = scale * lengthOriginal;
    const float adjustment = lengthResized / outputWidth;
    const float center = lengthOriginal / 2;
    const float offset = center * (1 - adjustment);
    return offset + (x + 0.5f) / scale - 0.5f;
  }
  if (t == "pytorch_half_pixel") return lengthResized > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
  if (t == "align_corners") return lengthResized == 1 ? 0.0f : x * (lengthOriginal - 1) / (lengthResized - 1);
  if (t == "asymmetric") return x / scale;
  // tf_crop_and_resize
  const double orig = lengthResized > 1
                          ? roiStart * (lengthOriginal - 1) + (x * (roiEnd - roiStart) * (lengthOriginal - 1)) / (lengthResized - 1)
                          : 0.5 * (roiStart + roiEnd) * (lengthOriginal - 1);
  return static_cast<float>(orig);
}

int64_t nearestPixel(const std::string& mode, float x) {
  if (mode == "round_prefer_ceil") return static_cast<int64_t>(std::round(x));
  if (mode == "floor") return static_cast<int64_t>(std::floor(x));
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  // round_prefer_floor: exact halves go down.
  if (x == static_cast<float>(static_cast<int64_t>(x)) + 0.5f) return static_cast<int64_t>(std::floor(x));
  return static_cast<int64_t>(std::round(x));
}

float cubicFilter(float x, float a) {
  x = std::abs(x);
  if (x < 1.0f) return ((a + 2.0f) * x - (a + 3.0f)) * x * x + 1;
  if (x < 2.0f) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0f;
}

float linearFilter(float x) {
  x = std::abs(x);
  return x < 1.0f ? 1.0f - x : 0.0f;
}

AxisTaps axisTaps(const Options& o, int64_t inLen, int64_t outLen, float scale, float roiStart, float roiEnd) {
  AxisTaps r;
  r.taps.resize(static_cast<size_t>(outLen));
  r.extrapolate.assign(static_cast<size_t>(outLen), false);
  const bool crop = o.transform == "tf_crop_and_resize";
  const auto lenF = static_cast<float>(inLen), outF = static_cast<float>(outLen);
  for (int64_t i = 0; i < outLen; ++i) {
    auto& taps = r.taps[static_cast<size_t>(i)];
    const float x = scale == 1.0f ? static_cast<float>(i)
                                  : originalCoordinate(o.transform, static_cast<float>(i), scale, outF, lenF, roiStart, roiEnd);
    if (crop && (x < 0 || x > lenF - 1)) r.extrapolate[static_cast<size_t>(i)] = true;
    if (o.antialias && o.mode != Mode::Nearest) {
      // A filter stretched by 1/scale when downsampling and normalized over its window, as in
      // Pillow and ONNX Runtime (which take this path for every scale once antialias is set).
      // Window positions outside the input read the edge element, or are dropped with
      // exclude_outside.
      const float stretch = scale < 1.0f ? 1.0f / scale : 1.0f;
      const float support = (o.mode == Mode::Linear ? 1.0f : 2.0f) * stretch;
      const float center = (scale == 1.0f ? static_cast<float>(i) : x) + 0.5f;
      const auto lo = static_cast<int64_t>(std::floor(center - support + 0.5f));
      const auto hi = static_cast<int64_t>(std::floor(center + support + 0.5f));
      float total = 0;
      for (int64_t k = lo; k < hi; ++k) {
        if (o.excludeOutside && (k < 0 || k >= inLen)) continue;
        const float d = (static_cast<float>(k) - center + 0.5f) / stretch;
        const float w = o.mode == Mode::Linear ? linearFilter(d) : cubicFilter(d, o.cubicA);
        taps.push_back({std::clamp<int64_t>(k, 0, inLen - 1), w});
        total += w;
      }
      if (total != 0)
        for (auto& t : taps) t.weight /= total;
      continue;
    }
    switch (o.mode) {
      case Mode::Nearest: {
        const int64_t k = std::clamp<int64_t>(nearestPixel(o.nearestMode, x), 0, inLen - 1);
        taps.push_back({k, 1.0f});
        break;
      }
      case Mode::Linear: {
        const float c = std::clamp(x, 0.0f, lenF - 1);
        const int64_t i1 = std::min<int64_t>(static_cast<int64_t>(c), inLen - 1);
        const int64_t i2 = std::min<int64_t>(i1 + 1, inLen - 1);
        float w1 = std::abs(c - static_cast<float>(i2)), w2 = std::abs(c - static_cast<float>(i1));
        if (i1 == i2) w1 = w2 = 0.5f;
        taps.push_back({i1, w1});
        taps.push_back({i2, w2});
        break;
      }
      case Mode::Cubic: {
        const float f = std::floor(x), s = x - f;
        const float a = o.cubicA;
        const float coeff[4] = {((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a,
                                ((a + 2) * s - (a + 3)) * s * s + 1,
                                ((a + 2) * (1 - s) - (a + 3)) * (1 - s) * (1 - s) + 1,
                                ((a * (2 - s) - 5 * a) * (2 - s) + 8 * a) * (2 - s) - 4 * a};
        float total = 0;
        for (int k = 0; k < 4; ++k) {
          int64_t idx = static_cast<int64_t>(f) - 1 + k;
          float w = coeff[k];
          if (idx < 0 || idx >= inLen) {
            if (o.excludeOutside) w = 0;
            idx = std::clamp<int64_t>(idx, 0, inLen - 1);
          }
          taps.push_back({idx, w});
          total += w;
        }
        if (o.excludeOutside && total != 0)
          for (auto& t : taps) t.weight /= total;
        break;
      }
    }
  }
  return r;
}

Expected<std::vector<float>> readFloats(const Tensor& t) {
  if (!isFloat(t.dtype())) return Status::error("expected a float tensor, got '" + std::string(dtypeName(t.dtype())) + "'");
  std::vector<float> v(static_cast<size_t>(t.numElements()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(t.scalarAsDouble(static_cast<int64_t>(i)));
  return v;
}

Status resizeKernel(KernelContext& ctx) {
  const Node& node = ctx.node;
  const Tensor& x = ctx.input(0);
  const auto rank = static_cast<int64_t>(x.rank());
  Options o;
  const std::string mode = node.stringAttr("mode", "nearest");
  if (mode == "nearest") o.mode = Mode::Nearest;
  else if (mode == "linear") o.mode = Mode::Linear;
  else if (mode == "cubic") o.mode = Mode::Cubic;
  else return ctx.error("unknown mode '" + mode + "'");
  o.transform = node.stringAttr("coordinate_transformation_mode", "half_pixel");
  static const char* kTransforms[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                                      "asymmetric", "tf_crop_and_resize"};
  if (std::none_of(std::begin(kTransforms), std::end(kTransforms), [&](const char* t) { return o.transform == t; }))
    return ctx.error("unsupported coordinate_transformation_mode '" + o.transform + "'");
  o.nearestMode = node.stringAttr("nearest_mode", "round_prefer_floor");
  if (o.nearestMode != "round_prefer_floor" && o.nearestMode != "round_prefer_ceil" && o.nearestMode != "floor" &&
      o.nearestMode != "ceil")
    return ctx.error("unknown nearest_mode '" + o.nearestMode + "'");
  o.cubicA = node.floatAttr("cubic_coeff_a", -0.75f);
  o.excludeOutside = node.intAttr("exclude_outside", 0) != 0;
  o.antialias = node.intAttr("antialias", 0) != 0;
  const float extrapolation = node.floatAttr("extrapolation_value", 0.0f);
  const std::string policy = node.stringAttr("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    return ctx.error("unknown keep_aspect_ratio_policy '" + policy + "'");

  std::vector<int64_t> axes = node.intsAttr("axes");
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  KILN_ASSIGN_OR_RETURN(axesN, normalizeAxes(axes, rank));
  const size_t na = axesN.size();

  std::vector<float> roiStart(x.rank(), 0.0f), roiEnd(x.rank(), 1.0f);
  if (ctx.hasInput(1) && ctx.input(1).numElements() > 0) {
    KILN_ASSIGN_OR_RETURN(roi, readFloats(ctx.input(1)));
    if (roi.size() != 2 * na) return ctx.error("roi must have " + std::to_string(2 * na) + " entries");
    for (size_t i = 0; i < na; ++i) {
      roiStart[static_cast<size_t>(axesN[i])] = roi[i];
      roiEnd[static_cast<size_t>(axesN[i])] = roi[i + na];
    }
  }

  std::vector<float> scales(x.rank(), 1.0f);
  std::vector<int64_t> outDims = x.dims();
  const bool haveScales = ctx.hasInput(2) && ctx.input(2).numElements() > 0;
  const bool haveSizes = ctx.hasInput(3) && ctx.input(3).numElements() > 0;
  if (haveScales == haveSizes) return ctx.error("exactly one of scales and sizes must be given");
  if (haveScales) {
    KILN_ASSIGN_OR_RETURN(s, readFloats(ctx.input(2)));
    if (s.size() != na) return ctx.error("scales must have " + std::to_string(na) + " entries");
    for (size_t i = 0; i < na; ++i) {
      const auto a = static_cast<size_t>(axesN[i]);
      if (!(s[i] > 0)) return ctx.error("scales must be positive");
      scales[a] = s[i];
      const float size = s[i] * static_cast<float>(x.dims()[a]);
      if (!(size < 9.2e18f)) return ctx.error("scales make axis " + std::to_string(a) + " too large");
      outDims[a] = static_cast<int64_t>(size);
    }
  } else {
    KILN_ASSIGN_OR_RETURN(sizes, readInt64List(ctx.input(3)));
    if (sizes.size() != na) return ctx.error("sizes must have " + std::to_string(na) + " entries");
    for (size_t i = 0; i < na; ++i) {
      const auto a = static_cast<size_t>(axesN[i]);
      if (sizes[i] < 0) return ctx.error("sizes must not be negative");
      outDims[a] = sizes[i];
      scales[a] = x.dims()[a] == 0 ? 1.0f : static_cast<float>(sizes[i]) / static_cast<float>(x.dims()[a]);
    }
    if (policy != "stretch") {
      // One scale for every resized axis: the smallest (not_larger) or largest (not_smaller).
      float s = policy == "not_larger" ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
      for (int64_t a : axesN) s = policy == "not_larger" ? std::min(s, scales[static_cast<size_t>(a)]) : std::max(s, scales[static_cast<size_t>(a)]);
      for (int64_t a : axesN) {
        scales[static_cast<size_t>(a)] = s;
        outDims[static_cast<size_t>(a)] = static_cast<int64_t>(std::round(s * static_cast<float>(x.dims()[static_cast<size_t>(a)])));
      }
    }
  }
  KILN_ASSIGN_OR_RETURN(count, checkedElementCount(outDims));
  for (size_t d = 0; d < x.rank(); ++d)
    if (x.dims()[d] == 0 && outDims[d] > 0) return ctx.error("cannot resize an empty axis to a non-empty one");
  if (count == 0) {
    ctx.setOutput(0, Tensor::zeros(x.dtype(), outDims));
    return Status::ok();
  }

  std::vector<AxisTaps> tables;
  for (size_t d = 0; d < x.rank(); ++d)
    tables.push_back(axisTaps(o, x.dims()[d], outDims[d], scales[d], roiStart[d], roiEnd[d]));
  auto inStrides = contiguousStrides(x.dims());

  if (o.mode == Mode::Nearest) {
    // Pure index mapping: works for every dtype, strings and bools included.
    std::vector<int64_t> index(static_cast<size_t>(count));
    forEachIndex(outDims, [&](int64_t j, const std::vector<int64_t>& m) {
      int64_t k = 0;
      for (size_t d = 0; d < m.size(); ++d) {
        const auto md = static_cast<size_t>(m[d]);
        if (tables[d].extrapolate[md]) {
          k = -1;
          break;
        }
        k += tables[d].taps[md][0].index * inStrides[d];
      }
      index[static_cast<size_t>(j)] = k;
    });
    Tensor fill = x.dtype() == DType::String ? Tensor::fromStrings({}, {""}) : scalarOf(x.dtype(), extrapolation);
    ctx.setOutput(0, takeElements(x, outDims, index, &fill));
    return Status::ok();
  }

  if (x.dtype() == DType::String || x.dtype() == DType::Bool || x.dtype() == DType::Complex64 ||
      x.dtype() == DType::Complex128)
    return ctx.error("mode '" + mode + "' needs a numeric input");
  // Interpolate in double for f64 inputs, float otherwise (ONNX Runtime computes in float).
  const bool wide = x.dtype() == DType::Float64;
  std::vector<double> src(static_cast<size_t>(x.numElements()));
  for (size_t i = 0; i < src.size(); ++i) src[i] = x.scalarAsDouble(static_cast<int64_t>(i));
  Tensor out = newTensor(x.dtype(), outDims);
  std::byte* po = out.mutableRawData();
  const size_t es = dtypeSize(x.dtype());
  const size_t r = x.rank();
  std::vector<size_t> tapIdx(r);
  forEachIndex(outDims, [&](int64_t j, const std::vector<int64_t>& m) {
    double value = 0;
    bool extrapolate = false;
    for (size_t d = 0; d < r; ++d) extrapolate = extrapolate || tables[d].extrapolate[static_cast<size_t>(m[d])];
    if (extrapolate) {
      value = extrapolation;
    } else {
      // Sum over the product of every axis's taps (an odometer over tap indices).
      float accF = 0;
      double accD = 0;
      std::fill(tapIdx.begin(), tapIdx.end(), 0);
      while (true) {
        double w = 1;
        float wf = 1;
        int64_t k = 0;
        for (size_t d = 0; d < r; ++d) {
          const Tap& t = tables[d].taps[static_cast<size_t>(m[d])][tapIdx[d]];
          w *= t.weight;
          wf *= t.weight;
          k += t.index * inStrides[d];
        }
        if (wide) accD += w * src[static_cast<size_t>(k)];
        else accF += wf * static_cast<float>(src[static_cast<size_t>(k)]);
        size_t d = r;
        while (d-- > 0) {
          if (++tapIdx[d] < tables[d].taps[static_cast<size_t>(m[d])].size()) break;
          tapIdx[d] = 0;
        }
        if (d == static_cast<size_t>(-1)) break;
      }
      value = wide ? accD : accF;
    }
    if (isInteger(x.dtype())) {
      // Saturate to the integer type's range.
      double lo = 0, hi = 0;
      visitDType<IntTypes>(x.dtype(), [&](auto zero) -> Status {
        using T = decltype(zero);
        lo = static_cast<double>(std::numeric_limits<T>::lowest());
        hi = static_cast<double>(std::numeric_limits<T>::max());
        return Status::ok();
      }).isOk();
      // ONNX Runtime truncates toward zero when storing interpolated integers.
      value = std::clamp(std::trunc(value), lo, hi);
    }
    storeDouble(po + static_cast<size_t>(j) * es, x.dtype(), value);
  });
  ctx.setOutput(0, std::move(out));
  return Status::ok();
}

}  // namespace

void registerResizeKernels(KernelRegistry& registry) { registry.add("", "Resize", resizeKernel); }

}  // namespace kiln::reference
