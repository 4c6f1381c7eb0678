#pragma once
// The calling convention of every generated kernel, shared by the code generator and the
// runtime (no LLVM types here).
//
//   void kernel(void* const* buffers, const int64_t* dims, int64_t begin, int64_t end)
//
// `buffers` holds the node's inputs in operand order (null for an omitted optional input)
// followed by its outputs. `dims` holds the sizes the kernel loops over (what the launch
// computed from the actual input shapes: one compiled function serves every batch size).
// [begin, end) is the slice of the kernel's outermost loop to run: the thread pool splits it.
//
// Two more entries follow the outputs in `buffers` for every generated kernel (kernels that
// need neither ignore them): the node's constant operand pre-packed by
// KernelLaunch::packConstant (null when the operand is not constant: the kernel packs it per
// call), then a 64-byte aligned workspace of LaunchShape::workspaceBytes owned by the calling
// thread (allocated once by the runtime, never per call).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/tensor.h"

namespace kiln::llvmjit {

using KernelFn = void (*)(void* const* buffers, const int64_t* dims, int64_t begin, int64_t end);

/// What one call of a kernel needs, computed from the actual input shapes.
struct LaunchShape {
  std::vector<std::vector<int64_t>> outputDims;  ///< one per node output
  std::vector<int64_t> kernelDims;               ///< the kernel's `dims` argument
  int64_t iterations = 0;                        ///< extent of the outermost (parallel) loop
  int64_t workPerIteration = 1;                  ///< elements touched per iteration (split heuristic)
  int64_t workspaceBytes = 0;                    ///< scratch one thread's slice needs (buffers[outputs + 1])
};

/// Extra `buffers` entries after a kernel's outputs: the pre-packed constant, the workspace.
inline constexpr size_t kExtraKernelBuffers = 2;

/// The shape side of a generated kernel: checks that the actual input shapes fit what the code
/// was generated for and computes the launch. Called once per distinct set of input shapes.
class KernelLaunch {
 public:
  virtual ~KernelLaunch() = default;
  /// False when the shapes do not fit the generated code (the runtime then uses the reference
  /// kernel for this node and says so).
  virtual bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const = 0;
  /// Appends this launch as plain integers (its tag first, see launches.h) so that a compiled
  /// library can store it; decodeLaunch() reads it back.
  virtual void encode(std::vector<int64_t>& out) const = 0;

  /// Operands whose contents (not only dims) decide the launch: small integer tensors such as
  /// a runtime Reshape's shape or Slice's starts. The runtime reads them as int64, calls
  /// bindValues() instead of bind(), and re-binds (a new plan) when they change.
  virtual std::vector<size_t> valueOperands() const { return {}; }
  /// bind() for launches with value operands: `values[k]` is operand valueOperands()[k]
  /// (empty for an omitted one).
  virtual bool bindValues(std::span<const std::vector<int64_t>> inputDims,
                          std::span<const std::vector<int64_t>> /*values*/, LaunchShape& launch) const {
    return bind(inputDims, launch);
  }
  /// True when check() must run before every call of the kernel.
  virtual bool checksOperands() const { return false; }
  /// Validates operand contents the generated code trusts (e.g. Gather indices in range)
  /// before each call; an error message (empty: fine) stops the run as the reference kernel
  /// would. `operands` are null for omitted ones.
  virtual std::string check(std::span<const Tensor* const> /*operands*/) const { return {}; }
  /// The operand the kernel can read pre-packed when it is a constant (-1: none).
  virtual int packableOperand() const { return -1; }
  /// Floats the packed form of a constant operand of `dims` takes (0: it cannot be packed).
  virtual int64_t packedFloats(std::span<const int64_t> /*dims*/) const { return 0; }
  /// Writes the constant operand (`dims`, f32 at `src`) in the layout the kernel reads.
  virtual void packConstant(std::span<const int64_t> /*dims*/, const float* /*src*/, float* /*dst*/) const {}
};

/// One node's kernel compiled ahead of time: its entry point and launch (both null when the
/// node runs on the reference kernel).
struct PrebuiltKernel {
  KernelFn fn = nullptr;
  std::unique_ptr<KernelLaunch> launch;
};

}  // namespace kiln::llvmjit
