#pragma once
// Rewrites nodes imported at an older opset into kiln's canonical op forms (ONNX semantics at
// each op's newest version up to opset 21): attributes that became inputs, changed defaults,
// ops that were replaced (Upsample -> Resize). Operates on IR only; driven by data tables,
// one per op family.

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::onnx_frontend {

/// Upgrades every default-domain node of `model` (subgraphs included) from the model's
/// declared default-domain opset to canonical form, then records the canonical opset.
Status upgradeToCanonical(Model& model);

}  // namespace kiln::onnx_frontend
