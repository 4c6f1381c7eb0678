#pragma once
// The upgrade adapters behind upgradeToCanonical, as data: one table per op family, each row
// naming the op, the version whose form the adapter produces (from the form of the op's
// previous version), and a small named function. Version bumps that only widened the type
// constraints have no row. Private to frontend/onnx.

#include <functional>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/node.h"
#include "ir/opset_rewrite.h"

namespace kiln::onnx_frontend {

struct UpgradeContext {
  opset::NameGen& names;
  int64_t sourceOpset = 0;
};

/// Rewrites `node` into the form of the row's version. May replace the node (then `node`
/// points at the replacement, possibly of another op: Upsample becomes Resize). Errors are
/// plain messages; the driver adds the node's name and op.
using UpgradeFn = std::function<Status(UpgradeContext&, Node*& node)>;

struct UpgradeStep {
  std::string op;
  int version = 0;   ///< the form this step produces
  std::string rule;  ///< adapter name, for messages and tests
  UpgradeFn fn;
};

// Family tables (upgrade_<family>.cpp).
std::vector<UpgradeStep> elementwiseUpgrades();
std::vector<UpgradeStep> shapeUpgrades();
std::vector<UpgradeStep> reduceUpgrades();
std::vector<UpgradeStep> nnUpgrades();
std::vector<UpgradeStep> resizeUpgrades();

/// Every step of every family, grouped by op and sorted by version.
const std::vector<UpgradeStep>& allUpgradeSteps();

// ---- helpers shared by the family files ---------------------------------------------------

/// Moves attribute `name` (ints, or a single int) into a new int64 constant input at `index`
/// (omitted inputs before it stay null); leaves the input omitted when the attribute is absent.
Status attrToInt64Input(UpgradeContext& ctx, Node* node, std::string_view name, size_t index);
/// A scalar constant holding `value` in the element type of `like`: typed directly when that
/// type is known, else a float32 constant passed through CastLike(., like).
Value* scalarLike(opset::Builder& b, double value, Value* like, std::string_view hint);
/// Sets input `index`, padding omitted inputs with null.
void setInputAt(Node* node, size_t index, Value* v);

}  // namespace kiln::onnx_frontend
