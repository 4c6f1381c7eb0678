#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "tools/lib/command.h"
#include "tools/lib/input_shape_args.h"
#include "tools/lib/model_loader.h"
#include "tools/lib/model_writer.h"
#include "tools/lib/npy.h"
#include "tools/lib/run_inputs.h"
#include "tools/lib/validation_run.h"

namespace kiln::tools {
namespace {

/// One line per output: name, type, and a value summary a person can sanity-check.
std::string describe(const std::string& name, const Tensor& t) {
  std::string out = fmt::format("{:<24} {}[{}]", name, dtypeName(t.dtype()), fmt::join(t.dims(), ","));
  if (t.dtype() == DType::String || t.numElements() == 0) return out;
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double x = t.scalarAsDouble(i);
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    sum += x;
  }
  return out + fmt::format("  min {:.6g}  max {:.6g}  mean {:.6g}", lo, hi, sum / static_cast<double>(t.numElements()));
}

/// Inputs for a TorchScript file, which declares no signature: with --input-shape, that
/// signature (files fill the inputs they name, the rest is generated); without, the given
/// files in order (NAME=FILE.npy entries, .npz members in archive order).
Expected<std::vector<Tensor>> torchInputs(const std::vector<std::string>& files,
                                          const std::vector<std::string>& shapes, const InputSpec& spec) {
  if (!shapes.empty()) {
    auto parsed = parseInputShapes(shapes);
    if (!parsed) return parsed.takeStatus();
    return bindInputs(signatureFromInputShapes(*parsed), spec);
  }
  if (files.empty())
    return Status::error("a TorchScript model declares no input signature: give its inputs with --input "
                         "NAME=FILE.npy / FILE.npz, or their shapes with --input-shape NAME=1x3x224x224[:dtype]");
  std::vector<Tensor> inputs;
  for (const auto& entry : files) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) {
      auto arrays = readNpz(entry);
      if (!arrays) return arrays.takeStatus();
      for (auto& a : *arrays) inputs.push_back(std::move(a.tensor));
    } else {
      auto t = readNpy(entry.substr(eq + 1));
      if (!t) return t.takeStatus();
      inputs.push_back(t.take());
    }
  }
  return inputs;
}

/// TorchScript outputs carry no names; they are named as the importer names graph outputs.
std::string torchOutputName(size_t i) { return i == 0 ? "output" : fmt::format("output_{}", i); }

/// Compiles and runs once on the JIT; says on stderr which nodes fell back to reference kernels.
Expected<std::vector<Tensor>> runJit(const Model& model, const std::vector<Tensor>& inputs, int threads,
                                     const std::string& cacheDir) {
  auto runtime = llvmjit::JitRuntime::compile(model, {.threads = threads, .cacheDir = cacheDir});
  if (!runtime) return runtime.takeStatus();
  auto outputs = (*runtime)->run(inputs);
  const auto& stats = (*runtime)->stats();
  if (!stats.fallbacks.empty())
    std::fprintf(stderr, "kiln: jit: %zu of %zu nodes ran on reference kernels (kiln bench --profile lists them)\n",
                 stats.fallbacks.size(), stats.nodes);
  return outputs;
}

}  // namespace

CommandAction addRunCommand(CLI::App& app) {
  struct Options {
    std::string model, output, backend, cacheDir;
    std::vector<std::string> inputs, dims, inputShapes;
    uint64_t seed = 0;
    int threads = 0;
    bool force = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a model and write or summarize its outputs.\n"
             "Inputs not given are generated deterministically from the model's signature\n"
             "(floats uniform in [-1, 1), integers in [0, 10)); symbolic dims default to 1.");
  cmd->add_option("MODEL", opts->model, "Model file (.onnx, .kir, or a traced TorchScript .pt)")->required();
  cmd->add_option("--backend", opts->backend,
                  "Execution backend (reference: kiln's interpreter; jit: native code from LLVM; torch: libtorch;\n"
                  "default: torch for .pt, reference otherwise)")
      ->check(CLI::IsMember({"reference", "jit", "torch"}));
  cmd->add_option("--input-shape", opts->inputShapes,
                  "For .pt: generate input NAME=1x3x224x224[:dtype] (repeatable, in forward() order)");
  cmd->add_option("--threads", opts->threads, "Intra-op threads (jit: default 1; torch: default libtorch's)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--input", opts->inputs, "NAME=FILE.npy, or FILE.npz holding inputs by name (repeatable)");
  cmd->add_option("--dim", opts->dims, "Bind a symbolic dim for generated inputs, e.g. batch=4 (repeatable)");
  cmd->add_option("--seed", opts->seed, "Seed for generated inputs (default 0)");
  cmd->add_option("-o,--output", opts->output, "Write outputs (and nothing else) to this .npz");
  cmd->add_option("--cache-dir", opts->cacheDir, "jit: keep compiled code here, keyed by the generated code and target");
  cmd->add_flag("--force", opts->force, "Allow -o to overwrite the model or an --input file");
  return [opts]() {
    std::string backend = opts->backend.empty() ? (isTorchScriptPath(opts->model) ? "torch" : "reference") : opts->backend;
    std::vector<std::string> outputNames;
    Expected<std::vector<Tensor>> outputs = Status::error("not run");
    auto dims = parseDimBindings(opts->dims);
    if (!dims) return reportError(dims.status());
    InputSpec spec{.files = opts->inputs, .dims = *dims, .seed = opts->seed};
    if (backend == "torch") {
      if (!isTorchScriptPath(opts->model))
        return reportError(Diagnostic{.file = opts->model, .message = "--backend torch runs TorchScript files (.pt, .pth)"});
      auto inputs = torchInputs(opts->inputs, opts->inputShapes, spec);
      if (!inputs) return reportError(inputs.takeStatus().inFile(opts->model));
      outputs = runTorchScript(opts->model, *inputs, opts->threads);
      if (!outputs) return reportError(outputs.takeStatus().inFile(opts->model));
      for (size_t i = 0; i < outputs->size(); ++i) outputNames.push_back(torchOutputName(i));
    } else {
      if (!opts->inputShapes.empty() && !isTorchScriptPath(opts->model))
        return reportError(Diagnostic{.file = opts->model, .message = "--input-shape is for TorchScript files; this "
                                                                      "model's signature comes from the file (use --dim)"});
      auto model = loadModel(opts->model);
      if (!model) return reportError(model.status());
      auto inputs = bindInputs(*model, spec);
      if (!inputs) return reportError(inputs.takeStatus().inFile(opts->model));
      outputs = backend == "jit" ? runJit(*model, *inputs, std::max(1, opts->threads), opts->cacheDir)
                                : reference::runModel(*model, *inputs);
      if (!outputs) return reportError(outputs.takeStatus().inFile(opts->model));
      for (size_t i = 0; i < model->graph->numOutputs(); ++i) outputNames.push_back(model->graph->output(i)->name());
    }

    if (!opts->output.empty()) {
      // An --input is `FILE.npz` or `NAME=FILE.npy`: neither it nor the model may be overwritten.
      std::vector<std::string> readFiles{opts->model};
      for (const auto& in : opts->inputs) readFiles.push_back(in.substr(in.find('=') == std::string::npos ? 0 : in.find('=') + 1));
      for (const auto& file : readFiles)
        if (Status s = checkNotOverwritingInput(file, opts->output, opts->force); !s) return reportError(s);
      std::vector<NamedTensor> named;
      for (size_t i = 0; i < outputNames.size(); ++i) named.push_back({outputNames[i], (*outputs)[i]});
      if (Status s = writeNpz(opts->output, named); !s) return reportError(s);
      return static_cast<int>(kExitOk);
    }
    for (size_t i = 0; i < outputNames.size(); ++i) std::puts(describe(outputNames[i], (*outputs)[i]).c_str());
    return static_cast<int>(kExitOk);
  };
}

}  // namespace kiln::tools
