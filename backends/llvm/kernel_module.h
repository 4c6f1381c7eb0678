#pragma once
// The kernels of a graph as one LLVM module: what the JIT compiles in memory and `kiln compile
// --emit lib` writes to an object. Internal to backends/llvm.

#include <memory>
#include <vector>

#include "backends/llvm/runtime_impl.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace kiln::llvmjit {

/// A shape-inferred copy of the model's graph (what kernels are generated for).
Expected<std::unique_ptr<Graph>> shapeInferredCopy(const Model& model);

/// Generates one kernel per node of `graph` that has generated code into `module` (named
/// Step::kernelName); fills one step per node (kind, launch) and `stats`.
void generateKernels(const Graph& graph, llvm::LLVMContext& context, llvm::Module& module, std::vector<Step>& steps,
                     JitStats& stats);

}  // namespace kiln::llvmjit
