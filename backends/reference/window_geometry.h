#pragma once
// Sliding-window geometry shared by Conv and the pools: strides, dilations, pads and auto_pad
// resolved into per-axis begin/end padding and output sizes.

#include <cstdint>
#include <span>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/node.h"

namespace kiln::reference {

/// Per spatial axis: the window and where it lands.
struct WindowGeometry {
  std::vector<int64_t> input;      ///< spatial input sizes
  std::vector<int64_t> kernel;     ///< window sizes (before dilation)
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> padBegin, padEnd;
  std::vector<int64_t> output;     ///< spatial output sizes

  size_t rank() const { return input.size(); }
  /// Dilated window extent: (k - 1) * d + 1.
  int64_t extent(size_t i) const { return (kernel[i] - 1) * dilations[i] + 1; }
};

/// Reads strides, dilations, pads and auto_pad from `node` and computes pads and output
/// sizes for a forward window op (Conv, MaxPool, AveragePool, LpPool). `ceilMode` rounds
/// output sizes up; a window that would start inside the end padding is then dropped, as
/// ONNX Runtime and PyTorch do.
Expected<WindowGeometry> resolveWindow(const Node& node, std::span<const int64_t> input,
                                       std::span<const int64_t> kernel, bool ceilMode);

}  // namespace kiln::reference
