#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "passes/pass_registry.h"
#include "passes/pipelines.h"
#include "tools/lib/command.h"
#include "tools/lib/input_shape_args.h"
#include "tools/lib/model_loader.h"
#include "tools/lib/model_writer.h"

namespace kiln::tools {
namespace {

struct CompileOptions {
  std::string input, output, emit;
  std::optional<int64_t> opset;
  std::vector<std::string> metadata;
  std::vector<std::string> inputShapes;  ///< `NAME=1x3x224x224[:dtype]`, for TorchScript inputs
  std::string outputNames;               ///< `a,b`: graph output names of a TorchScript import
  bool force = false;
  int optLevel = 2;
  std::string passes;  ///< explicit pipeline text; overrides optLevel
  bool listPasses = false, printPipelineOnly = false;
  PassManagerOptions passOptions;
};

/// Default output beside the input: `net.onnx` -> `net.kiln.onnx`, `net.kir` -> `net.onnx`.
std::string defaultOutput(const std::string& input, const std::string& emit) {
  std::filesystem::path p(input);
  std::string stem = p.stem().string();
  std::string ext = emit == "ir" ? ".kir" : ".onnx";
  std::string name = p.extension() == ext ? stem + ".kiln" + ext : stem + ext;
  return (p.parent_path() / name).string();
}

Status applyMetadata(Model& model, const std::vector<std::string>& entries) {
  for (const auto& e : entries) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::error("--metadata expects KEY=VALUE, got '" + e + "'");
    std::string key = e.substr(0, eq), value = e.substr(eq + 1);
    auto it = std::find_if(model.metadata.begin(), model.metadata.end(),
                           [&](const auto& kv) { return kv.first == key; });
    if (it != model.metadata.end()) it->second = value;
    else model.metadata.emplace_back(key, value);
  }
  return Status::ok();
}

Status optimize(Model& model, const CompileOptions& o) {
  PassManager pm(o.passOptions);
  if (!o.passes.empty()) {
    KILN_RETURN_IF_ERROR(pm.addPipeline(o.passes));
  } else {
    auto pipeline = pipelineForLevel(o.optLevel);
    if (!pipeline) return pipeline.takeStatus();
    pm.add(pipeline.take());
  }
  Status s = pm.run(model);
  for (const Diagnostic& w : pm.warnings()) std::fprintf(stderr, "kiln: %s\n", w.str().c_str());
  return s;
}

int compileOne(const CompileOptions& o) {
  auto specs = parseInputShapes(o.inputShapes);
  if (!specs) return reportError(specs.status());
  auto model = loadModel(o.input, {.inputs = specs.take(), .outputNames = parseOutputNames(o.outputNames)});
  if (!model) return reportError(model.status());
  if (Status s = applyMetadata(*model, o.metadata); !s) return reportError(s);
  if (Status s = optimize(*model, o); !s) return reportError(s.inFile(o.input));

  if (o.emit == "ir" && o.output.empty()) {
    std::string text = printModel(*model);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  std::string output = o.output.empty() ? defaultOutput(o.input, o.emit) : o.output;
  if (Status s = checkNotOverwritingInput(o.input, output, o.force); !s) return reportError(s);
  WriteOptions w{.format = o.emit == "ir" ? ModelFormat::TextIR : ModelFormat::Onnx,
                 .opset = o.opset, .force = o.force};
  if (Status s = writeModel(*model, output, w); !s) return reportError(s.inFile(o.input));
  return kExitOk;
}

}  // namespace

CommandAction addCompileCommand(CLI::App& app) {
  auto opts = std::make_shared<CompileOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compile", "Import a model, optimize it and emit ONNX at a chosen opset or kiln's textual IR.\n"
                 "Example: kiln compile model.onnx --emit ir        (print the IR)\n"
                 "         kiln compile model.onnx --opset 13 -o out.onnx");
  cmd->add_option("IN", opts->input, "Input model (.onnx, .kir or a traced TorchScript .pt)");
  cmd->add_option("-o,--output", opts->output,
                  "Output file (default: beside the input; for --emit ir: standard output)");
  cmd->add_option("--emit", opts->emit, "What to write: onnx or ir (textual IR)")
      ->check(CLI::IsMember({"onnx", "ir"}))
      ->default_str("onnx");
  cmd->add_option("--opset", opts->opset, "ONNX default-domain opset to emit (7 to 21; default: the input's)")
      ->check(CLI::Range(7, 21));
  cmd->add_option("--metadata", opts->metadata, "Set a metadata_props entry KEY=VALUE (repeatable)");
  cmd->add_option("--input-shape", opts->inputShapes,
                  "Shape of a TorchScript input, NAME=1x3x224x224[:dtype] (repeatable; dtype default float32)");
  cmd->add_option("--output-names", opts->outputNames, "Output names for a TorchScript model, a,b (default output, output_1...)");
  cmd->add_flag("--force", opts->force, "Allow the output to overwrite the input file");

  auto* passes = "Optimization";
  PassManagerOptions& po = opts->passOptions;
  cmd->add_option("-O", opts->optLevel, "Optimization level 0-3 (-O0 import and emit only; default -O2)")
      ->check(CLI::Range(0, 3))->group(passes);
  cmd->add_option("--passes", opts->passes, "Explicit pipeline, e.g. 'shape-infer,fold-constants,dce'")->group(passes);
  cmd->add_flag("--list-passes", opts->listPasses, "List every pass with its summary and exit")->group(passes);
  cmd->add_flag("--print-pipeline", opts->printPipelineOnly, "Print the pipeline the -O level runs and exit")->group(passes);
  auto* debug = "Pass debugging";
  cmd->add_option("--print-ir-before", po.printIrBefore, "Print the IR before PASS (repeatable)")->group(debug);
  cmd->add_option("--print-ir-after", po.printIrAfter, "Print the IR after PASS (repeatable)")->group(debug);
  cmd->add_flag("--print-ir-before-all", po.printIrBeforeAll, "Print the IR before every pass")->group(debug);
  cmd->add_flag("--print-ir-after-all", po.printIrAfterAll, "Print the IR after every pass")->group(debug);
  cmd->add_flag("--print-ir-after-change", po.printIrAfterChange, "Print the IR after passes that changed it")->group(debug);
  cmd->add_option("--dump-dir", po.dumpDir, "Write numbered .kir files, one per pass that changed the IR")->group(debug);
  cmd->add_flag("--time-passes", po.timePasses, "Report wall time per pass and its share")->group(debug);
  cmd->add_flag("--stats", po.stats, "Report nodes and constant bytes before/after each pass, and pass counters")->group(debug);
  cmd->add_flag("--verify-each", po.verifyEach, "Run the IR verifier after every pass")->group(debug);
  cmd->add_flag("--check-numerics", po.checkNumerics,
                "Run the reference interpreter after every pass; stop at the first pass that moves an output")
      ->group(debug);
  return [opts]() {
    if (opts->listPasses) {
      std::fputs(formatPassList().c_str(), stdout);
      return static_cast<int>(kExitOk);
    }
    if (opts->printPipelineOnly) {
      std::puts(opts->passes.empty() ? printPipeline(opts->optLevel).c_str() : opts->passes.c_str());
      return static_cast<int>(kExitOk);
    }
    if (opts->input.empty()) return reportError(Status::error("compile needs an input model (IN)"));
    CompileOptions o = *opts;
    if (o.emit.empty()) o.emit = !o.output.empty() && formatFromPath(o.output) == ModelFormat::TextIR ? "ir" : "onnx";
    return compileOne(o);
  };
}

}  // namespace kiln::tools
