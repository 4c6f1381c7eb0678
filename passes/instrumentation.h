#pragma once
// Pass instrumentation (after MLIR's PassInstrumentation): hooks the pass manager calls around
// every pass run. Printing IR, dumps, timing, statistics, verification and numeric checks are
// each one instrumentation, composable in any combination.

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/graph.h"
#include "ir/model.h"
#include "passes/pass.h"

namespace kiln {

class PassContext;

/// The IR a pipeline runs on: a graph, and the model around it when there is one (printing
/// then gives a whole `.kir` module, and diagnostics name the model file).
struct IrUnit {
  Graph& graph;
  const Model* model = nullptr;

  /// The textual IR; constants above `elideAbove` elements print as a summary.
  std::string print(size_t elideAbove = 16) const;
  const std::string& file() const;
};

/// One execution of a pass inside a pipeline run.
struct PassRun {
  const Pass& pass;
  size_t index;          ///< 1-based count of pass executions in this pipeline run
  int64_t iteration;     ///< iteration of the enclosing fixpoint group (0: not in one)
};

class PassInstrumentation {
 public:
  virtual ~PassInstrumentation() = default;

  virtual Status beforePipeline(const IrUnit&) { return Status::ok(); }
  virtual Status beforePass(const PassRun&, const IrUnit&) { return Status::ok(); }
  /// After a pass succeeded. `changed`: the Rewriter saw a change. `seconds`: the pass's own
  /// wall time. An error stops the pipeline (verification, numeric checks).
  virtual Status afterPass(const PassRun&, const IrUnit&, bool changed, double seconds) { return Status::ok(); }
  /// After a pass failed with `error`; the IR may be half rewritten.
  virtual void afterPassFailed(const PassRun&, const IrUnit&, const Status& error) {}
  virtual Status afterPipeline(const IrUnit&) { return Status::ok(); }
  /// Text for the end-of-run report (timing table, statistics); empty for none.
  virtual std::string report(const PassContext&) const { return ""; }
};

/// Which IR to print, and where.
struct PrintIrConfig {
  std::vector<std::string> beforePasses, afterPasses;  ///< pass names
  bool beforeAll = false, afterAll = false;
  /// After a pass only when it changed the IR (all passes, or those of afterPasses if any).
  bool afterChange = false;
  /// The IR as it was left by a failing pass.
  bool afterFailure = false;
  size_t elideAbove = 16;
  std::ostream* out = nullptr;  ///< null: standard error
};

std::unique_ptr<PassInstrumentation> createPrintIrInstrumentation(PrintIrConfig config);
/// Writes a model snapshot as ONNX at `path`. Supplied by the caller (tools/lib emits through
/// backends/onnx), so that passes/ stays free of protobuf.
using OnnxSnapshotWriter = std::function<Status(const Model& model, const std::string& path)>;

struct DumpDirConfig {
  std::string dir;
  size_t elideAbove = 16;
  /// Set: also `NN-<pass>.onnx` beside each `.kir`. A snapshot the writer refuses (an op with
  /// no ONNX form at the source opset, say) is skipped with the reason in index.txt.
  OnnxSnapshotWriter onnx;
  /// Also `NN-<pass>.dot` (Graphviz) beside each `.kir`.
  bool dot = false;
};

/// Writes `00-input.kir` and `NN-<pass>.kir` after each run that changed the IR into `dir`
/// (so the last file is always the IR a failing pass started from), plus `NN-<pass>.error.txt`
/// for a failing pass and `index.txt` listing every run; `.onnx` and `.dot` snapshots of the
/// same states on request.
std::unique_ptr<PassInstrumentation> createDumpDirInstrumentation(DumpDirConfig config);
/// LLVM-style table: wall time per pass, its share of the total, number of runs.
std::unique_ptr<PassInstrumentation> createTimingInstrumentation();
/// Per pass run: nodes and constant bytes before/after, op-kind deltas; then the counters
/// passes reported (fold-constants.folded, ...).
std::unique_ptr<PassInstrumentation> createStatisticsInstrumentation();
/// Runs the IR verifier after every pass; a failure names the pass that broke the IR.
std::unique_ptr<PassInstrumentation> createVerifyEachInstrumentation();

struct CheckNumericsConfig {
  double maxAbsDiff = 1e-5;
  /// Inputs, one per graph input; empty: fixed pseudo-random inputs derived from the input
  /// types (symbolic dims bound to `symbolicDimValue`).
  std::vector<Tensor> inputs;
  int64_t symbolicDimValue = 2;
  uint64_t seed = 0x6b696c6e;  // "kiln"
};
/// Runs the reference interpreter on fixed inputs before the pipeline and after every pass
/// that changed the IR; stops at the first pass that moves an output past `maxAbsDiff`,
/// naming the pass, the output, and max abs diff / MSE / cosine similarity.
std::unique_ptr<PassInstrumentation> createCheckNumericsInstrumentation(CheckNumericsConfig config);

}  // namespace kiln
