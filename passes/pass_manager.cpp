#include "passes/pass_manager.h"

#include <chrono>
#include <iostream>

#include "passes/graph_stats.h"

namespace kiln {

PassManager::PassManager(PassManagerOptions options, const OpRegistry& registry)
    : options_(std::move(options)), ctx_(std::make_unique<PassContext>(registry)) {
  const PassManagerOptions& o = options_;
  ctx_->setRemarksEnabled(o.remarks);
  // Order matters only for what is printed first: IR printing, then dumps, then checks.
  if (o.printIrBeforeAll || o.printIrAfterAll || o.printIrAfterChange || o.printIrAfterFailure ||
      !o.printIrBefore.empty() || !o.printIrAfter.empty()) {
    PrintIrConfig c{.beforePasses = o.printIrBefore, .afterPasses = o.printIrAfter,
                    .beforeAll = o.printIrBeforeAll, .afterAll = o.printIrAfterAll,
                    .afterChange = o.printIrAfterChange, .afterFailure = o.printIrAfterFailure,
                    .elideAbove = o.printElideAbove, .out = o.out};
    instrumentations_.push_back(createPrintIrInstrumentation(std::move(c)));
  }
  if (!o.dumpDir.empty())
    instrumentations_.push_back(createDumpDirInstrumentation(
        {.dir = o.dumpDir, .elideAbove = o.printElideAbove, .onnx = o.dumpOnnx, .dot = o.dumpDot}));
  if (o.verifyEach) instrumentations_.push_back(createVerifyEachInstrumentation());
  if (o.checkNumerics)
    instrumentations_.push_back(createCheckNumericsInstrumentation({.maxAbsDiff = o.checkNumericsMaxAbsDiff}));
  if (o.stats) instrumentations_.push_back(createStatisticsInstrumentation());
  if (o.timePasses) instrumentations_.push_back(createTimingInstrumentation());
}

PassManager::~PassManager() = default;

void PassManager::add(Pipeline pipeline) {
  for (auto& e : pipeline.entries) pipeline_.entries.push_back(std::move(e));
}

Status PassManager::addPipeline(std::string_view text) {
  auto p = parsePipeline(text);
  if (!p) return p.takeStatus();
  add(p.take());
  return Status::ok();
}

void PassManager::addInstrumentation(std::unique_ptr<PassInstrumentation> instrumentation) {
  instrumentations_.push_back(std::move(instrumentation));
}

Status PassManager::run(Model& model) {
  IrUnit unit{*model.graph, &model};
  return runUnit(unit).inFile(model.sourcePath);
}

Status PassManager::run(Graph& graph) { return runUnit(IrUnit{graph, nullptr}); }

std::string PassManager::report() const {
  std::string out;
  for (const auto& inst : instrumentations_) out += inst->report(*ctx_);
  return out;
}

Status PassManager::runUnit(const IrUnit& unit) {
  runIndex_ = 0;
  ctx_->setFile(unit.file());
  uint64_t initial = constantBytes(unit.graph);
  ctx_->setConstantBytes(initial);
  if (options_.constantBudgetFactor > 0) {
    auto scaled = static_cast<uint64_t>(static_cast<double>(initial) * options_.constantBudgetFactor);
    ctx_->setConstantBudget(std::max(scaled, initial + PassManagerOptions::kConstantBudgetSlack));
  } else {
    ctx_->setConstantBudget(std::nullopt);
  }

  Status status;
  for (const auto& inst : instrumentations_) {
    status = inst->beforePipeline(unit);
    if (!status) break;
  }
  if (status) {
    for (auto& entry : pipeline_.entries) {
      auto r = runEntry(entry, unit, 0);
      if (!r) {
        status = r.takeStatus();
        break;
      }
    }
  }
  if (status)
    for (const auto& inst : instrumentations_) {
      status = inst->afterPipeline(unit);
      if (!status) break;
    }
  // Reports are wanted even when the pipeline failed: the time spent until then is real.
  std::string text = report();
  if (!text.empty()) {
    std::ostream& out = options_.out ? *options_.out : std::cerr;
    out << text;
    out.flush();
  }
  return status;
}

Expected<bool> PassManager::runEntry(PipelineEntry& entry, const IrUnit& unit, int64_t iteration) {
  if (!entry.isFixpoint()) return runPass(*entry.pass, unit, iteration);
  bool everChanged = false;
  for (int64_t it = 1; it <= entry.maxIterations; ++it) {
    bool changed = false;
    for (auto& e : entry.group) {
      auto r = runEntry(e, unit, it);
      if (!r) return r;
      changed |= *r;
    }
    everChanged |= changed;
    if (!changed) return everChanged;
  }
  // Still changing after the last iteration: passes that undo each other are a kiln bug, but
  // the IR is valid, so warn and go on.
  ctx_->warn(Diagnostic{.message = entry.str() + " did not converge after " +
                                   std::to_string(entry.maxIterations) + " iterations"});
  ctx_->stat("fixpoint", "not-converged");
  return everChanged;
}

Expected<bool> PassManager::runPass(Pass& pass, const IrUnit& unit, int64_t iteration) {
  PassRun run{pass, ++runIndex_, iteration};
  for (const auto& inst : instrumentations_) KILN_RETURN_IF_ERROR(inst->beforePass(run, unit));

  Rewriter& rewriter = ctx_->rewriter();
  rewriter.resetNames();
  ctx_->setConstantBytes(constantBytes(unit.graph));
  uint64_t changesBefore = rewriter.changes();
  auto start = std::chrono::steady_clock::now();
  Expected<bool> result = pass.run(unit.graph, *ctx_);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!result) {
    Status s = result.takeStatus();
    s.diagnostic().message = "pass '" + pass.name() + "': " + s.diagnostic().message;
    s.inFile(unit.file());
    for (const auto& inst : instrumentations_) inst->afterPassFailed(run, unit, s);
    return s;
  }
  bool changed = rewriter.changes() != changesBefore;
  // A pass that reports a change the Rewriter did not see mutated the IR behind its back, and
  // --print-ir-after-change and fixpoints would then be wrong.
  KILN_ASSERT(changed || !*result);
  for (const auto& inst : instrumentations_) {
    Status s = inst->afterPass(run, unit, changed, seconds);
    if (!s) {
      if (s.diagnostic().file.empty()) s.inFile(unit.file());
      return s;
    }
  }
  return changed;
}

}  // namespace kiln
