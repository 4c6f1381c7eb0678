#pragma once
// Runs a reference and a candidate model on the same inputs and compares their outputs: the
// shared core of `kiln validate` and `kiln compile --validate`.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/model.h"
#include "tools/lib/validation.h"

namespace kiln::tools {

/// TorchScript files (`.pt`, `.pth`) are run by libtorch; everything else is loaded as IR.
bool isTorchScriptPath(const std::string& path);

/// Runs forward() of the TorchScript file with libtorch (loads libkiln_torch.so on first use).
Expected<std::vector<Tensor>> runTorchScript(const std::string& path, const std::vector<Tensor>& inputs,
                                             int threads = 0);

/// Where the candidate runs: the JIT when it can compile for this host (else the reference
/// interpreter, with a note), or the one named.
enum class CandidateBackend { Auto, Reference, Jit };

/// `reference` / `jit` as given to --candidate-backend; other text is an error.
Expected<CandidateBackend> parseCandidateBackend(const std::string& text);

struct ValidationSetup {
  std::vector<std::string> inputFiles;  ///< `FILE.npz` or `NAME=FILE.npy`; the rest is generated
  std::map<std::string, int64_t> dims;  ///< symbol sizes for generated inputs (default 1)
  uint64_t seed = 0;
  Tolerance tolerance;
  CandidateBackend candidateBackend = CandidateBackend::Auto;
};

/// One bound input, for the report.
struct ValidationInput {
  std::string name;
  DType dtype = DType::Undefined;
  std::vector<int64_t> dims;
  bool generated = false;
};

struct ValidationRun {
  std::string referenceRunner, candidateRunner;  ///< "libtorch", "kiln reference interpreter", "kiln JIT"
  std::string referenceBackend, candidateBackend;  ///< "libtorch", "reference", "jit"
  /// Why the candidate did not run where asked (the JIT fell back to the reference
  /// interpreter), or which nodes the JIT ran on reference kernels; empty when neither.
  std::string candidateNote;
  std::vector<ValidationInput> inputs;
  ValidationResult result;
  double referenceSeconds = 0, candidateSeconds = 0;
};

/// Binds inputs from `candidate`'s signature, runs the reference (a `.pt` through libtorch,
/// else the model file through kiln's reference interpreter) and `candidate` (on the backend
/// of `setup`) on them, and compares the outputs by position. Errors (bad model, inputs that do not fit, a
/// runner failing) are diagnostics; a numeric mismatch is a FAIL verdict in the result.
Expected<ValidationRun> validateAgainst(const std::string& referencePath, const Model& candidate,
                                        const std::string& candidatePath, const ValidationSetup& setup);

}  // namespace kiln::tools
