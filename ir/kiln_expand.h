#pragma once
// The meaning of kiln's fused ops (ir/ops/kiln_fused.cpp), as their expansion into canonical
// default-domain ops. The ONNX emitter expands before adapting to the target opset, and the
// reference interpreter runs the expansion, so both read one definition.

#include "ir/diagnostic.h"
#include "ir/model.h"
#include "ir/opset_rewrite.h"

namespace kiln {

/// Whether `node` is a kiln-domain op with an expansion.
bool hasKilnExpansion(const Node& node);
/// Replaces one kiln-domain node by standard ops computing the same values (types inferred).
Status expandKilnNode(Node* node, opset::NameGen& names);
/// Expands every kiln-domain node of the model (subgraphs and functions included).
Status expandKilnOps(Model& model);

}  // namespace kiln
