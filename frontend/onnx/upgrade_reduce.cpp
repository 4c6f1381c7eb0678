// Upgrades of reductions: `axes` became input 1 (ReduceSum at 13, the other Reduce* at 18).
// An absent axes list meant "reduce every dim" before and still does with the default
// noop_with_empty_axes=0, so only a present attribute moves.

#include "frontend/onnx/upgrade_steps.h"

namespace kiln::onnx_frontend {
namespace {

Status reduceAxesAttrToInput(UpgradeContext& ctx, Node*& node) { return attrToInt64Input(ctx, node, "axes", 1); }

}  // namespace

std::vector<UpgradeStep> reduceUpgrades() {
  std::vector<UpgradeStep> steps = {{"ReduceSum", 13, "axesAttrToInput", reduceAxesAttrToInput}};
  for (const char* op : {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
                         "ReduceMin", "ReduceProd", "ReduceSumSquare"})
    steps.push_back({op, 18, "axesAttrToInput", reduceAxesAttrToInput});
  return steps;
}

}  // namespace kiln::onnx_frontend
