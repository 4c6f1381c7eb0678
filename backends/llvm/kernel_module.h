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

class CodegenContext;
class JitEngine;
struct ControlStep;

/// A shape-inferred copy of the model's graph, lowered for code generation (jit_lowering.h):
/// what kernels are generated for.
Expected<std::unique_ptr<Graph>> shapeInferredCopy(const Model& model);

/// Generates one kernel per node of `graph` that has generated code into `module` (named
/// Step::kernelName); fills one step per node (kind, launch) and `stats`. With `controlFlow`,
/// If/Loop/Scan nodes become control steps whose bodies' kernels go into the same module
/// (control_step.h); without, they are fallbacks (what model libraries do, docs/aot.md).
void generateKernels(const Graph& graph, llvm::LLVMContext& context, llvm::Module& module, std::vector<Step>& steps,
                     JitStats& stats, bool controlFlow = false);

/// generateKernels on an existing context, kernel names starting with `prefix`.
void generateSteps(CodegenContext& cg, const Graph& graph, const std::string& prefix, bool controlFlow,
                   std::vector<Step>& steps, JitStats& stats);

/// The control step of an If/Loop/Scan node: one body program per subgraph, its steps
/// generated recursively (kernel names prefixed with `prefix` and the body's index); null
/// when a subgraph attribute is missing (the node then runs on its reference kernel).
std::shared_ptr<ControlStep> generateControlStep(CodegenContext& cg, const Node& node, const std::string& prefix,
                                                 JitStats& stats);

/// Looks up the kernels of every body program below `steps` in `engine`.
Status resolveBodyKernels(std::vector<Step>& steps, JitEngine& engine);

/// Every generated step of `steps` and of the bodies below them, in program order.
std::vector<const Step*> generatedSteps(const std::vector<Step>& steps);

}  // namespace kiln::llvmjit
