// Down adapters of reductions: axes back to an attribute (ReduceSum below 13, the other
// Reduce* below 18), non-negative axes below 11, and ArgMax/ArgMin's select_last_index.

#include "backends/onnx/adapt_steps.h"

namespace kiln::onnx_backend {
namespace {

/// Before `version`, axes are an attribute and there is no noop_with_empty_axes: absent axes
/// always reduce every dim. The no-op flavour with no axes is the identity.
AdaptFn reduceAxesInputToAttr(int version) {
  return [version](AdaptContext& ctx, Node*& node) {
    Value* axes = node->input(1);
    auto values = axes ? opset::constantInts(axes) : std::optional<std::vector<int64_t>>(std::vector<int64_t>{});
    bool noop = opset::rawInt(*node, "noop_with_empty_axes", 0) != 0;
    if (!values)
      return Outcome::blocked(version, "its axes are computed, and before opset " + std::to_string(version) +
                                           " they must be a constant attribute");
    if (axes) ctx.detached.push_back(axes);
    if (values->empty() && noop) {
      node = opset::rebuildNode(node, "Identity", {node->input(0)}, 1);
      node->attributes() = AttributeMap();
      return Outcome::changed();
    }
    bool changed = node->attributes().erase("noop_with_empty_axes");
    if (!values->empty()) node->setAttr("axes", Attribute(*values));
    if (axes) {
      node->setInput(1, nullptr);
      trimTrailingNulls(node);
      changed = true;
    }
    return changed ? Outcome::changed() : Outcome::kept();
  };
}

}  // namespace

void addReduceAdapters(AdaptTables& t) {
  t.steps.push_back({"ReduceSum", 13, "axesInputToAttr", reduceAxesInputToAttr(13)});
  for (const char* op : {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
                         "ReduceMin", "ReduceProd", "ReduceSumSquare"})
    t.steps.push_back({op, 18, "axesInputToAttr", reduceAxesInputToAttr(18)});
  for (const char* op : {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
                         "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare"})
    t.steps.push_back({op, 11, "normalizeNegativeAxes", normalizeNegativeAxes("axes", 11)});
  for (const char* op : {"ArgMax", "ArgMin"}) {
    t.steps.push_back({op, 12, "dropAttrIfDefault(select_last_index)",
                       dropAttrIfDefault("select_last_index", Attribute(int64_t{0}), 12)});
    t.steps.push_back({op, 11, "normalizeNegativeAxes", normalizeNegativeAxes("axis", 11)});
  }
}

}  // namespace kiln::onnx_backend
