#pragma once
// Rewrites nodes without a kernel generator into standard ops with one, where exact
// (jit_lowering.cpp lists which). Runs on the JIT's shape-inferred copy of the graph.

#include "ir/diagnostic.h"
#include "ir/graph.h"
#include "ir/opset_rewrite.h"

namespace kiln::llvmjit {

/// Lowers `graph` and its subgraphs in place; fresh value names come from `names`.
Status lowerForCodegen(Graph& graph, opset::NameGen& names);

}  // namespace kiln::llvmjit
