#include "tools/lib/validation_run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "tools/lib/model_loader.h"
#include "tools/lib/run_inputs.h"
#include "tools/lib/torch_loader.h"

namespace kiln::tools {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Orders `inputs` (bound to `candidate`'s inputs) for the reference graph: by name where every
/// reference input has a namesake, else by position when the counts agree.
Expected<std::vector<Tensor>> inputsForReference(const Graph& reference, const Graph& candidate,
                                                 const std::vector<Tensor>& inputs, const std::string& referencePath) {
  std::vector<Tensor> out;
  for (Value* in : reference.inputs()) {
    size_t i = 0;
    while (i < candidate.numInputs() && candidate.input(i)->name() != in->name()) ++i;
    if (i == candidate.numInputs()) break;
    out.push_back(inputs[i]);
  }
  if (out.size() == reference.numInputs()) return out;
  if (reference.numInputs() == candidate.numInputs()) return inputs;
  return Diagnostic{.file = referencePath,
                    .message = "has " + std::to_string(reference.numInputs()) + " inputs, the candidate " +
                               std::to_string(candidate.numInputs()) + ", and their names differ"};
}

/// Symbol sizes read off a reference whose inputs are static where the candidate's are symbolic
/// (a model made dynamic by kiln compile --dynamic): both run at the reference's own sizes.
/// Sizes the user bound explicitly win.
std::map<std::string, int64_t> dimsFromReference(const Graph& reference, const Graph& candidate,
                                                 std::map<std::string, int64_t> dims) {
  for (Value* in : candidate.inputs()) {
    const Value* namesake = nullptr;
    for (Value* r : reference.inputs())
      if (r->name() == in->name()) namesake = r;
    if (!namesake || !in->type().isTensor() || !namesake->type().isTensor()) continue;
    const Shape& shape = in->type().shape();
    const Shape& fixed = namesake->type().shape();
    if (!shape.isRanked() || !fixed.isRanked() || shape.rank() != fixed.rank()) continue;
    for (size_t axis = 0; axis < shape.rank(); ++axis)
      if (auto symbol = shape[axis].asSymbol(); symbol && fixed[axis].isStatic())
        dims.emplace(std::string(*symbol), fixed[axis].value());
  }
  return dims;
}

/// Runs the candidate on the backend `setup` asks for; fills the runner fields of `run`.
/// With Auto, a model the JIT cannot compile (no code generator for this host, an op it
/// cannot lay out) runs in the reference interpreter, and the note says why.
Expected<std::vector<Tensor>> runCandidate(const Model& candidate, const std::vector<Tensor>& inputs,
                                           CandidateBackend backend, ValidationRun& run) {
  if (backend != CandidateBackend::Reference) {
    auto runtime = llvmjit::JitRuntime::compile(candidate, {.threads = 1});
    if (runtime) {
      run.candidateRunner = "kiln JIT";
      run.candidateBackend = "jit";
      const auto& stats = (*runtime)->stats();
      if (!stats.fallbacks.empty())
        run.candidateNote = std::to_string(stats.fallbacks.size()) + " of " + std::to_string(stats.nodes) +
                            " nodes ran on the JIT's reference kernels";
      auto start = std::chrono::steady_clock::now();  // compiling is not part of the run time
      auto outputs = (*runtime)->run(inputs);
      run.candidateSeconds = secondsSince(start);
      return outputs;
    }
    if (backend == CandidateBackend::Jit) return runtime.takeStatus();
    run.candidateNote = "the JIT could not compile the candidate (" + runtime.status().str() +
                        "); it ran in the reference interpreter";
  }
  run.candidateRunner = "kiln reference interpreter";
  run.candidateBackend = "reference";
  auto start = std::chrono::steady_clock::now();
  auto outputs = reference::runModel(candidate, inputs);
  run.candidateSeconds = secondsSince(start);
  return outputs;
}

}  // namespace

Expected<CandidateBackend> parseCandidateBackend(const std::string& text) {
  if (text.empty()) return CandidateBackend::Auto;
  if (text == "reference") return CandidateBackend::Reference;
  if (text == "jit") return CandidateBackend::Jit;
  return Status::error("--candidate-backend must be 'reference' or 'jit', not '" + text + "'");
}

bool isTorchScriptPath(const std::string& path) { return formatFromPath(path) == ModelFormat::TorchScript; }

Expected<std::vector<Tensor>> runTorchScript(const std::string& path, const std::vector<Tensor>& inputs, int threads) {
  auto api = loadTorchApi();
  if (!api) return api.takeStatus();
  return (*api)->runFile(path, inputs, {.threads = threads});
}

Expected<ValidationRun> validateAgainst(const std::string& referencePath, const Model& candidate,
                                        const std::string& candidatePath, const ValidationSetup& setup) {
  ValidationRun run;
  const Graph& g = *candidate.graph;
  Expected<Model> reference = Status::error("not loaded");
  std::map<std::string, int64_t> dims = setup.dims;
  if (!isTorchScriptPath(referencePath)) {
    reference = loadModel(referencePath);
    if (!reference) return reference.takeStatus();
    dims = dimsFromReference(*reference->graph, g, std::move(dims));
  }
  auto inputs = bindInputs(candidate, {.files = setup.inputFiles, .dims = dims, .seed = setup.seed});
  if (!inputs) return inputs.takeStatus().inFile(candidatePath);
  for (size_t i = 0; i < g.numInputs(); ++i) {
    // NAME=FILE.npy names its input; an .npz may hold any of them, so it counts for all.
    bool fromFile = false;
    for (const auto& f : setup.inputFiles)
      fromFile |= f.find('=') == std::string::npos || f.rfind(g.input(i)->name() + "=", 0) == 0;
    run.inputs.push_back({g.input(i)->name(), (*inputs)[i].dtype(), (*inputs)[i].dims(), !fromFile});
  }

  // Loading libtorch (about a second) is not part of the reference's run time.
  if (isTorchScriptPath(referencePath))
    if (auto api = loadTorchApi(); !api) return api.takeStatus();
  auto start = std::chrono::steady_clock::now();
  Expected<std::vector<Tensor>> referenceOutputs = Status::error("not run");
  if (isTorchScriptPath(referencePath)) {
    run.referenceRunner = "libtorch";
    run.referenceBackend = "libtorch";
    referenceOutputs = runTorchScript(referencePath, *inputs);
  } else {
    run.referenceRunner = "kiln reference interpreter";
    run.referenceBackend = "reference";
    auto ordered = inputsForReference(*reference->graph, g, *inputs, referencePath);
    if (!ordered) return ordered.takeStatus();
    referenceOutputs = reference::runModel(*reference, *ordered);
  }
  if (!referenceOutputs) return referenceOutputs.takeStatus().inFile(referencePath);
  run.referenceSeconds = secondsSince(start);

  auto candidateOutputs = runCandidate(candidate, *inputs, setup.candidateBackend, run);
  if (!candidateOutputs) return candidateOutputs.takeStatus().inFile(candidatePath);

  std::vector<std::string> names;
  for (size_t i = 0; i < g.numOutputs(); ++i) names.push_back(g.output(i)->name());
  run.result = compareOutputs(names, *referenceOutputs, *candidateOutputs, setup.tolerance);
  return run;
}

}  // namespace kiln::tools
