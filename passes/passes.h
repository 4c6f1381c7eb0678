#pragma once
// Factories of kiln's passes, one per file in passes/. The registry (pass_registry.cpp) maps
// their names to these; code that builds a pipeline by hand may call them directly.

#include <memory>

#include "passes/pass.h"

namespace kiln {

/// `shape-infer`: symbolic shape inference over the graph and its subgraphs.
std::unique_ptr<Pass> createShapeInferPass();
/// `fold-constants`: pure nodes whose inputs are all constants become constants.
std::unique_ptr<Pass> createFoldConstantsPass();
/// `dce`: removes nodes none of whose outputs is used.
std::unique_ptr<Pass> createDcePass();
/// `cse`: merges structurally identical nodes (same op, inputs and attributes).
std::unique_ptr<Pass> createCsePass();
/// `canonicalize`: removes no-op nodes and merges inverse or repeated data movement.
std::unique_ptr<Pass> createCanonicalizePass();
/// `fold-batchnorm`: inference BatchNormalization folded into the preceding Conv/Gemm/MatMul.
std::unique_ptr<Pass> createFoldBatchNormPass();
/// `eliminate-static-shapes`: Shape/Size (and Gather/Slice of a Shape) with a statically
/// known result become constants.
std::unique_ptr<Pass> createEliminateStaticShapesPass();
/// `dynamize-shapes`: chosen input axes become symbolic; constants holding their traced sizes
/// are rewritten to compute them from the input shapes (docs/dynamize.md).
std::unique_ptr<Pass> createDynamizeShapesPass();
/// `fuse-patterns`: the declarative fusion patterns of passes/fusion, applied to a fixpoint.
std::unique_ptr<Pass> createFusePatternsPass();
/// `group-elementwise`: connected elementwise ops become kiln.FusedElementwise nodes.
std::unique_ptr<Pass> createGroupElementwisePass();

}  // namespace kiln
