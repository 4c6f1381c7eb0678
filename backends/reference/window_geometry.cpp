#include "backends/reference/window_geometry.h"

#include <string>

#include "backends/reference/tensor_util.h"

namespace kiln::reference {
namespace {

Expected<std::vector<int64_t>> perAxis(const Node& node, const char* name, size_t count, int64_t fallback) {
  std::vector<int64_t> v = node.intsAttr(name, {});
  if (v.empty()) return std::vector<int64_t>(count, fallback);
  if (v.size() != count)
    return Status::error(std::string(name) + " has " + std::to_string(v.size()) + " values, expected " +
                         std::to_string(count));
  return v;
}

int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

Expected<WindowGeometry> resolveWindow(const Node& node, std::span<const int64_t> input,
                                       std::span<const int64_t> kernel, bool ceilMode) {
  const size_t r = input.size();
  WindowGeometry g;
  g.input.assign(input.begin(), input.end());
  g.kernel.assign(kernel.begin(), kernel.end());
  if (kernel.size() != r)
    return Status::error("kernel has " + std::to_string(kernel.size()) + " spatial axes, input has " + std::to_string(r));
  auto strides = perAxis(node, "strides", r, 1);
  if (!strides) return strides.takeStatus();
  auto dilations = perAxis(node, "dilations", r, 1);
  if (!dilations) return dilations.takeStatus();
  auto pads = perAxis(node, "pads", 2 * r, 0);
  if (!pads) return pads.takeStatus();
  g.strides = strides.take();
  g.dilations = dilations.take();
  for (size_t i = 0; i < r; ++i) {
    if (g.strides[i] <= 0 || g.dilations[i] <= 0 || g.kernel[i] <= 0)
      return Status::error("strides, dilations and kernel sizes must be positive");
  }
  g.padBegin.assign(pads->begin(), pads->begin() + static_cast<long>(r));
  g.padEnd.assign(pads->begin() + static_cast<long>(r), pads->end());
  g.output.resize(r);

  const std::string autoPad = node.stringAttr("auto_pad", "NOTSET");
  for (size_t i = 0; i < r; ++i) {
    const int64_t in = g.input[i], ext = g.extent(i), s = g.strides[i];
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      // Output ceil(in / stride); the padding needed to get there goes mostly at the end
      // (SAME_UPPER) or the beginning (SAME_LOWER).
      const int64_t out = ceilDiv(in, s);
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + ext - in);
      g.padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.padEnd[i] = total - g.padBegin[i];
      g.output[i] = out;
      continue;
    }
    if (autoPad == "VALID") {
      g.padBegin[i] = g.padEnd[i] = 0;
    } else if (autoPad != "NOTSET" && !autoPad.empty()) {
      return Status::error("unknown auto_pad '" + autoPad + "'");
    }
    const int64_t span = in + g.padBegin[i] + g.padEnd[i] - ext;
    if (span < 0)
      return Status::error("window of extent " + std::to_string(ext) + " does not fit input of size " +
                           std::to_string(in) + " with its padding");
    int64_t out = (ceilMode ? ceilDiv(span, s) : floorDiv(span, s)) + 1;
    if (ceilMode && (out - 1) * s >= in + g.padBegin[i]) --out;
    g.output[i] = out;
  }
  return g;
}

}  // namespace kiln::reference
