#pragma once
// The JIT runtime: compiles a model into one LLVM module (one kernel function per node with
// generated code), then runs the graph in order, calling the compiled kernels and, for every
// other node, the reference kernel (a fallback, listed in stats()). Intermediate values live
// in one arena laid out by a liveness-based memory plan, made once per set of input shapes;
// weights are bound once; the steady-state run loop does not allocate for generated kernels.
// No LLVM header here: tools include this.

#include <memory>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::llvmjit {

struct JitOptions {
  int threads = 1;       ///< intra-op threads (the calling thread included)
  int optLevel = 3;      ///< LLVM optimization level
  std::string cacheDir;  ///< compiled-object cache folder; empty: none
  bool profile = false;  ///< time every step
};

/// A node that runs on its reference kernel, and why.
struct Fallback {
  std::string node, op, reason;
};

struct JitStats {
  std::string cpu, features;
  size_t nodes = 0;             ///< nodes run (constants excluded)
  size_t generatedKernels = 0;
  std::vector<Fallback> fallbacks;
  double compileSeconds = 0;
  bool codeFromCache = false;   ///< the compiled kernels were read from JitOptions::cacheDir
  size_t arenaBytes = 0;        ///< of the latest memory plan
  size_t unsharedBytes = 0;     ///< what its buffers would take without reuse
  size_t prepackedConstants = 0;  ///< constant operands packed for their kernels (once each, at load)
  size_t prepackedBytes = 0;      ///< memory those packed copies take
  size_t workspaceAllocations = 0;  ///< times the per-thread kernel workspaces were (re)allocated
  size_t workspaceBytes = 0;      ///< per thread, current
};

/// Time spent in one step over all runs since the last reset.
struct StepProfile {
  std::string node, op;
  bool generated = false;
  double seconds = 0;
  int64_t calls = 0;
  int64_t elements = 0;  ///< output elements of the latest call
  double flops = 0;      ///< estimated FLOPs of one call (work_estimate.h), from the recorded shapes
  double bytes = 0;      ///< estimated bytes one call reads and writes, likewise
  bool control = false;  ///< an If/Loop/Scan whose bodies run as generated programs (docs/jit.md)
};

struct PrebuiltKernel;

class JitRuntime {
 public:
  static Expected<std::unique_ptr<JitRuntime>> compile(const Model& model, const JitOptions& options = {});
  /// A runtime over kernels compiled ahead of time (a model library): `graph` is shape-inferred
  /// and holds its weights; kernels[i] belongs to the i-th node of the graph (a null function
  /// runs the reference kernel). `file` names the model in diagnostics.
  static Expected<std::unique_ptr<JitRuntime>> fromKernels(std::unique_ptr<Graph> graph,
                                                           std::vector<PrebuiltKernel> kernels,
                                                           const JitOptions& options, std::string file);
  ~JitRuntime();

  /// Runs the graph on one tensor per graph input (trailing inputs with defaults may be left
  /// off) and returns one tensor per graph output.
  Expected<std::vector<Tensor>> run(const std::vector<Tensor>& inputs);

  const JitStats& stats() const;
  /// Per-step timings (empty unless JitOptions::profile).
  std::vector<StepProfile> profile() const;
  void resetProfile();

 private:
  struct Impl;
  explicit JitRuntime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Whether kiln has a code generator for (domain, op) at all (it may still fall back for some
/// dtypes or attributes; JitStats says which nodes did).
bool hasCodeGenerator(const std::string& domain, const std::string& op);

/// The generated code of a model, kernel by kernel: optimized LLVM IR, or the assembly for
/// this host. Nodes without generated code are listed as fallbacks in comments.
Expected<std::string> emitKernels(const Model& model, bool assembly, int optLevel = 3);

}  // namespace kiln::llvmjit
