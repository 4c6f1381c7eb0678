#pragma once
// Adapts canonical IR to a target ONNX opset: each op is kept, rewritten into that version's
// form (small named adapters, one table per op family), or expanded into ops that exist there.
// Operates on IR only, so the emitter's protobuf code never reasons about versions.

#include <cstdint>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::onnx_backend {

/// How one op crosses to the target opset (for `kiln convert --plan`).
struct OpPlan {
  std::string op;
  enum class Action { Unchanged, Adapted, Expanded, Blocked } action = Action::Unchanged;
  std::string rule;                ///< adapter or expansion name
  std::vector<std::string> nodes;  ///< node names (all of them for Blocked)
  int64_t lowestOpset = 0;         ///< for Blocked: the lowest opset that can express it
  std::string reason;              ///< for Blocked: why the target cannot (first node's reason)
};

/// Rewrites `model` in place into the form of default-domain opset `target` and records it.
/// An op that cannot be expressed fails with one diagnostic naming every blocked node.
Status adaptToOpset(Model& model, int64_t target);
/// What adaptToOpset would do, without changing anything.
std::vector<OpPlan> planOpsetAdaptation(const Model& model, int64_t target);

}  // namespace kiln::onnx_backend
