#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "tools/lib/command.h"
#include "tools/lib/model_loader.h"
#include "tools/lib/run_inputs.h"
#include "tools/lib/validation_report.h"
#include "tools/lib/validation_run.h"

namespace kiln::tools {

CommandAction addValidateCommand(CLI::App& app) {
  struct Options {
    std::string reference, candidate, report, candidateBackend;
    std::vector<std::string> inputs, dims;
    uint64_t seed = 0;
    Tolerance tolerance;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Run two models on the same inputs and compare their outputs numerically.\n"
                  "REFERENCE: a traced TorchScript .pt (run by libtorch) or an ONNX/.kir model (kiln's\n"
                  "reference interpreter); CANDIDATE: an ONNX/.kir model (the JIT, or the interpreter).\n"
                  "Per output: max abs diff, MSE, cosine similarity, a difference histogram, NaN/Inf and\n"
                  "constant-output checks, and PASS / WARN / FAIL. Exit 1 on FAIL, 2 on bad input.\n"
                  "Example: kiln validate model.pt model.onnx --report validation.json");
  cmd->add_option("REFERENCE", opts->reference, "Reference model (.pt, .onnx or .kir)")->required();
  cmd->add_option("CANDIDATE", opts->candidate, "Model under test (.onnx or .kir)")->required();
  cmd->add_option("--inputs,--input", opts->inputs,
                  "FILE.npz holding inputs by name, or NAME=FILE.npy (repeatable); others are generated");
  cmd->add_option("--atol", opts->tolerance.atol, "Absolute tolerance for PASS (default 1e-5; WARN below 10x)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--rtol", opts->tolerance.rtol, "Relative tolerance added as rtol*|reference| (default 0)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--report", opts->report, "Write the whole comparison as JSON to this file");
  cmd->add_option("--seed", opts->seed, "Seed for generated inputs (default 0)");
  cmd->add_option("--candidate-backend", opts->candidateBackend,
                  "Run the candidate on the JIT (jit) or kiln's reference interpreter (reference); default:\n"
                  "the JIT where it compiles the model for this host, else the interpreter (the report says)")
      ->check(CLI::IsMember({"reference", "jit"}));
  cmd->add_option("--dim", opts->dims, "Bind a symbolic dim for generated inputs, e.g. batch=4 (repeatable)");
  return [opts]() {
    if (isTorchScriptPath(opts->candidate))
      return reportError(Diagnostic{.file = opts->candidate,
                                    .message = "the CANDIDATE must be an ONNX or .kir model; a .pt is run by libtorch "
                                               "as the REFERENCE (kiln validate model.pt model.onnx)"});
    auto candidate = loadModel(opts->candidate);
    if (!candidate) return reportError(candidate.status());
    auto dims = parseDimBindings(opts->dims);
    if (!dims) return reportError(dims.status());
    auto backend = parseCandidateBackend(opts->candidateBackend);
    if (!backend) return reportError(backend.status());
    ValidationSetup setup{.inputFiles = opts->inputs, .dims = *dims, .seed = opts->seed, .tolerance = opts->tolerance,
                          .candidateBackend = *backend};
    auto run = validateAgainst(opts->reference, *candidate, opts->candidate, setup);
    if (!run) return reportError(run.status());

    ValidationHeader header{.reference = opts->reference, .candidate = opts->candidate, .seed = opts->seed,
                            .tolerance = opts->tolerance};
    std::fputs(formatValidationTable(header, *run).c_str(), stdout);
    if (!opts->report.empty())
      if (Status s = writeValidationJson(opts->report, header, *run); !s) return reportError(s);
    return static_cast<int>(run->result.verdict == Verdict::Fail ? kExitValidationFail : kExitOk);
  };
}

}  // namespace kiln::tools
