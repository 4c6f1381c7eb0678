#pragma once
// The one error for a model with aten ops kiln cannot lower: every such op, how often it
// occurs, and where the trace recorded it. Kept free of torch headers so it is unit-tested
// on its own.

#include <string>
#include <vector>

namespace kiln::torchscript {

struct UnsupportedUse {
  std::string kind;      ///< `aten::unfold`
  std::string location;  ///< `model.py:42` as the trace recorded it; may be empty
};

/// `3 unsupported ops in the model: aten::unfold x2 (model.py:42, model.py:57), aten::foo x1
/// (model.py:60)`: ops in first-seen order, at most `maxLocations` locations each.
std::string formatUnsupportedReport(const std::vector<UnsupportedUse>& uses, size_t maxLocations = 3);

}  // namespace kiln::torchscript
