// --verify-each: the IR verifier after every pass, so a broken rewrite is reported by the pass
// that made it rather than by whatever later stage trips over it.

#include "ir/verifier.h"
#include "passes/instrumentation.h"

namespace kiln {
namespace {

class VerifyEach final : public PassInstrumentation {
 public:
  Status beforePipeline(const IrUnit& unit) override {
    return check(unit, "the input IR is invalid (before any pass)");
  }
  Status afterPass(const PassRun& run, const IrUnit& unit, bool changed, double) override {
    if (!changed) return Status::ok();  // the IR is the one already verified
    return check(unit, "pass '" + run.pass.name() + "' left invalid IR");
  }

 private:
  static Status check(const IrUnit& unit, const std::string& what) {
    VerifyOptions o;
    o.file = unit.file();
    std::vector<Diagnostic> problems = unit.model ? verifyModel(*unit.model, o) : verifyGraph(unit.graph, o);
    if (problems.empty()) return Status::ok();
    // The first violation keeps its node and op; the others follow in the message.
    Diagnostic d = problems.front();
    d.message = "verify-each: " + what + ": " + d.message;
    constexpr size_t kShown = 8;
    for (size_t i = 1; i < problems.size() && i < kShown; ++i) d.message += "\n  " + problems[i].str();
    if (problems.size() > kShown) d.message += "\n  ... and " + std::to_string(problems.size() - kShown) + " more";
    return d;
  }
};

}  // namespace

std::unique_ptr<PassInstrumentation> createVerifyEachInstrumentation() { return std::make_unique<VerifyEach>(); }

}  // namespace kiln
