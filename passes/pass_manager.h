#pragma once
// The pass manager: runs a pipeline over a model or graph with the instrumentation its options
// ask for. Every flag of `kiln compile` that concerns passes maps to one field of
// PassManagerOptions, which stays a plain struct so the CLI fills it directly.

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/model.h"
#include "passes/instrumentation.h"
#include "passes/pass_context.h"
#include "passes/pipeline.h"

namespace kiln {

struct PassManagerOptions {
  // IR printing (`--print-ir-before PASS`, `--print-ir-after PASS`, `--print-ir-before-all`,
  // `--print-ir-after-all`, `--print-ir-after-change`, `--print-ir-after-failure`).
  std::vector<std::string> printIrBefore;
  std::vector<std::string> printIrAfter;
  bool printIrBeforeAll = false;
  bool printIrAfterAll = false;
  bool printIrAfterChange = false;
  bool printIrAfterFailure = false;
  /// Constants with more elements than this print as a summary in printed IR and dumps.
  size_t printElideAbove = 16;

  /// `--dump-dir DIR`: numbered `.kir` files, `00-input.kir` then one per changing pass run.
  std::string dumpDir;
  /// `--dump-onnx`: also an ONNX snapshot per dump, written by this callback (tools/lib emits
  /// through backends/onnx); empty: none.
  OnnxSnapshotWriter dumpOnnx;
  /// `--dump-dot`: also a Graphviz `.dot` per dump.
  bool dumpDot = false;
  /// `--time-passes`: wall time per pass and share of the total.
  bool timePasses = false;
  /// `--stats`: nodes and constant bytes before/after each pass, per op kind, and counters.
  bool stats = false;
  /// `--verify-each`: the IR verifier after every pass.
  bool verifyEach = false;
  /// `--check-numerics`: the reference interpreter on fixed inputs after every pass.
  bool checkNumerics = false;
  double checkNumericsMaxAbsDiff = 1e-5;

  /// Size guard: total constant bytes may not grow past this factor of the input's (plus
  /// kConstantBudgetSlack, so a model with no weights can still fold its shape arithmetic).
  /// Folds that would exceed it are skipped and counted in the statistics. <= 0: no guard.
  double constantBudgetFactor = 1.1;
  static constexpr uint64_t kConstantBudgetSlack = 64 * 1024;

  /// `--explain-fusion`: passes record remarks (fusion near misses) in the context.
  bool remarks = false;
  /// Where printed IR and the reports go; null: standard error.
  std::ostream* out = nullptr;
};

class PassManager {
 public:
  explicit PassManager(PassManagerOptions options = {}, const OpRegistry& registry = OpRegistry::builtin());
  ~PassManager();
  PassManager(const PassManager&) = delete;
  PassManager& operator=(const PassManager&) = delete;

  /// Appends passes to the pipeline.
  void add(std::unique_ptr<Pass> pass) { pipeline_.add(std::move(pass)); }
  void add(Pipeline pipeline);
  /// Parses pipeline text and appends it.
  Status addPipeline(std::string_view text);
  const Pipeline& pipeline() const { return pipeline_; }

  /// Adds an instrumentation besides those the options create (runs after them).
  void addInstrumentation(std::unique_ptr<PassInstrumentation> instrumentation);

  /// Runs the pipeline on the model's main graph. A failing pass returns its diagnostic,
  /// prefixed with the pass name, naming the model file and the node.
  Status run(Model& model);
  Status run(Graph& graph);

  PassContext& context() { return *ctx_; }
  const Statistics& statistics() const { return ctx_->statistics(); }
  const std::vector<Diagnostic>& warnings() const { return ctx_->warnings(); }
  /// The instrumentations' end-of-run reports (timing, statistics); also written to
  /// options.out at the end of run() when any is non-empty.
  std::string report() const;
  /// Number of pass executions in the last run (a fixpoint group counts each iteration).
  size_t passRuns() const { return runIndex_; }

 private:
  Status runUnit(const IrUnit& unit);
  Expected<bool> runEntry(PipelineEntry& entry, const IrUnit& unit, int64_t iteration);
  Expected<bool> runPass(Pass& pass, const IrUnit& unit, int64_t iteration);

  PassManagerOptions options_;
  std::unique_ptr<PassContext> ctx_;
  Pipeline pipeline_;
  std::vector<std::unique_ptr<PassInstrumentation>> instrumentations_;
  size_t runIndex_ = 0;
};

}  // namespace kiln
