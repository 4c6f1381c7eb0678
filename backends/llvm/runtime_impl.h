#pragma once
// The JIT runtime's state, shared by its compile step (runtime_compile.cpp) and its execution
// (runtime.cpp). Internal to backends/llvm.

#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "backends/llvm/kernel_abi.h"
#include "backends/llvm/runtime.h"
#include "backends/llvm/thread_pool.h"
#include "backends/reference/interpreter.h"

namespace kiln::llvmjit {

using reference::RuntimeValue;

struct ControlStep;

struct Step {
  /// Control: an If/Loop/Scan whose bodies are programs of their own (control_step.h).
  enum class Kind { Constant, Generated, Fallback, Control };
  const Node* node = nullptr;
  Kind kind = Kind::Fallback;
  KernelFn kernel = nullptr;
  std::unique_ptr<KernelLaunch> launch;
  std::string kernelName;
  std::vector<int> inputs;   ///< value ids, -1 for an omitted operand
  std::vector<int> outputs;  ///< value ids, -1 for an omitted result
  std::vector<int> freeAfter;  ///< ids whose last reader is this step
  bool hasSubgraphs = false;
  std::shared_ptr<ControlStep> control;  ///< Kind::Control only
  std::vector<size_t> valueOperands;  ///< launch->valueOperands(), cached by bindSteps
  bool checksOperands = false;        ///< launch->checksOperands(), cached by bindSteps
};

/// Everything that depends on the input shapes: launches, the arena and its tensor views.
struct ExecutionPlan {
  std::vector<std::vector<int64_t>> inputDims;          ///< the key
  std::vector<LaunchShape> launches;                    ///< per step (generated ones)
  std::vector<bool> shapeFallback;                      ///< per step: generated code refused these shapes
  std::vector<std::vector<std::vector<int64_t>>> boundValues;  ///< per step: its value operands, as bound
  std::vector<std::vector<int64_t>> valueDims;          ///< per value id, as recorded
  std::vector<std::optional<RuntimeValue>> arenaValue;  ///< per value id: a view into the arena
  std::shared_ptr<std::byte> arena;
  size_t arenaBytes = 0, unsharedBytes = 0;
};

/// One graph's compiled steps and their run state: the model's graph (JitRuntime::Impl), or
/// the body of a control step (whose graph is owned by the model's).
struct Program {
  JitOptions options;
  std::shared_ptr<const Graph> graph;  ///< a shape-inferred copy of the model's graph, or a body of it
  /// A body's values from enclosing graphs, bound after its inputs (value ids follow them).
  std::vector<const Value*> captures;
  /// Where run-time fallbacks are reported: the model's stats (null: this program's own).
  JitStats* statsSink = nullptr;
  std::string file;
  /// Owns the machine code the kernels of `steps` point into: the JIT engine, or nothing for
  /// kernels linked into a library.
  std::shared_ptr<void> code;
  std::shared_ptr<ThreadPool> pool;
  reference::Interpreter interpreter;
  std::vector<Step> steps;
  std::vector<const Value*> values;  ///< by id
  std::unordered_map<const Value*, int> idOf;
  std::vector<int> inputIds, outputIds;  ///< inputIds: graph inputs, then captures
  std::vector<std::optional<RuntimeValue>> constants;  ///< by id
  JitStats stats;
  std::vector<StepProfile> profile;
  std::vector<std::unique_ptr<ExecutionPlan>> plans;
  /// Per step: its constant operand packed once for the kernel (null when none); read by
  /// every run and every thread.
  std::vector<std::shared_ptr<float>> packed;
  /// Per pool thread: a 64-byte aligned kernel workspace of workspaceBytes, grown (only) when a
  /// launch needs more, so the steady-state run loop allocates nothing for generated steps.
  std::vector<std::shared_ptr<std::byte>> workspaces;
  size_t workspaceBytes = 0;

  // Per-run state, sized once.
  std::vector<const RuntimeValue*> slots;
  std::vector<RuntimeValue> owned;
  std::vector<void*> pointers;
  std::vector<std::vector<void*>> workerPointers;  ///< per pool thread: `pointers` with its workspace

  /// Packs each generated step's constant operand that its kernel can read pre-packed.
  void prepackConstants();
  /// Makes every thread's workspace at least `bytes`.
  void reserveWorkspaces(size_t bytes);

  Status compileSteps();
  /// Value ids, operands, liveness, constants and the per-run state of `steps` (which hold
  /// their nodes, kinds and launches); no code generation.
  Status bindSteps();
  Status execute(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs);
  /// Runs on one value per entry of inputIds (graph inputs, then captures), unchecked.
  Status executeValues(const std::vector<RuntimeValue>& inputs, std::vector<RuntimeValue>& outputs);
  JitStats& reportStats() { return statsSink ? *statsSink : stats; }
};

struct JitRuntime::Impl : Program {};

}  // namespace kiln::llvmjit
