#pragma once
// If, Loop and Scan in the JIT. The node is a control step of its program; each of its bodies
// (then/else branch, loop body, scan body) is a Program of its own: generated kernels where
// there are emitters, reference kernels elsewhere, its own value ids and memory plans, and
// control steps again for nested bodies. A body reads values of enclosing graphs through its
// captures, bound after its inputs. The semantics are the reference kernels'
// (backends/reference/control_flow.cpp). No LLVM here: runtime/control_step.cpp runs them,
// control_compile.cpp builds them.

#include <memory>
#include <span>
#include <vector>

#include "backends/llvm/runtime_impl.h"

namespace kiln::llvmjit {

struct ControlStep {
  /// If: then_branch, else_branch; Loop and Scan: body.
  std::vector<std::unique_ptr<Program>> bodies;
  /// Per body: the ids, in the enclosing program, of the values it captures.
  std::vector<std::vector<int>> captureIds;
};

/// Whether `node` is an op that runs as a control step (If, Loop, Scan).
bool isControlOp(const Node& node);

/// The values `body` reads that none of its inputs or nodes define (those of nested bodies
/// included), in the order they are first read.
std::vector<const Value*> capturedValues(const Graph& body);

/// Binds the bodies of every control step of `program`, recursively: value ids, liveness,
/// the enclosing program's pool and options, and their captures as ids of `program`.
Status bindControlSteps(Program& program);

/// Runs one control step of a program whose current values (by id) are `slots`; fills one
/// result per node output.
Status runControlStep(ControlStep& control, const Node& node, std::span<const RuntimeValue* const> inputs,
                      const std::vector<const RuntimeValue*>& slots, std::vector<RuntimeValue>& results);

}  // namespace kiln::llvmjit
