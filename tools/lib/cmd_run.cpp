#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "tools/lib/command.h"
#include "tools/lib/model_loader.h"
#include "tools/lib/npy.h"
#include "tools/lib/run_inputs.h"

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

/// Compiles and runs once on the JIT; says on stderr which nodes fell back to reference kernels.
Expected<std::vector<Tensor>> runJit(const Model& model, const std::vector<Tensor>& inputs, int threads) {
  auto runtime = llvmjit::JitRuntime::compile(model, {.threads = threads});
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
    std::string model, output, backend = "reference";
    std::vector<std::string> inputs, dims;
    uint64_t seed = 0;
    int threads = 1;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a model and write or summarize its outputs.\n"
             "Inputs not given are generated deterministically from the model's signature\n"
             "(floats uniform in [-1, 1), integers in [0, 10)); symbolic dims default to 1.");
  cmd->add_option("MODEL", opts->model, "Model file (.onnx or .kir)")->required();
  cmd->add_option("--backend", opts->backend,
                  "Execution backend (reference: kiln's interpreter; jit: native code from LLVM)")
      ->check(CLI::IsMember({"reference", "jit"}));
  cmd->add_option("--threads", opts->threads, "Intra-op threads for --backend jit (default 1)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--input", opts->inputs, "NAME=FILE.npy, or FILE.npz holding inputs by name (repeatable)");
  cmd->add_option("--dim", opts->dims, "Bind a symbolic dim for generated inputs, e.g. batch=4 (repeatable)");
  cmd->add_option("--seed", opts->seed, "Seed for generated inputs (default 0)");
  cmd->add_option("-o,--output", opts->output, "Write outputs (and nothing else) to this .npz");
  return [opts]() {
    auto model = loadModel(opts->model);
    if (!model) return reportError(model.status());
    auto dims = parseDimBindings(opts->dims);
    if (!dims) return reportError(dims.status());
    auto inputs = bindInputs(*model, {.files = opts->inputs, .dims = *dims, .seed = opts->seed});
    if (!inputs) return reportError(inputs.takeStatus().inFile(opts->model));
    auto outputs = opts->backend == "jit" ? runJit(*model, *inputs, opts->threads)
                                          : reference::runModel(*model, *inputs);
    if (!outputs) return reportError(outputs.takeStatus().inFile(opts->model));

    const Graph& g = *model->graph;
    if (!opts->output.empty()) {
      std::vector<NamedTensor> named;
      for (size_t i = 0; i < g.numOutputs(); ++i) named.push_back({g.output(i)->name(), (*outputs)[i]});
      if (Status s = writeNpz(opts->output, named); !s) return reportError(s);
      return static_cast<int>(kExitOk);
    }
    for (size_t i = 0; i < g.numOutputs(); ++i) std::puts(describe(g.output(i)->name(), (*outputs)[i]).c_str());
    return static_cast<int>(kExitOk);
  };
}

}  // namespace kiln::tools
