#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "backends/llvm/runtime.h"
#include "ir/atomic_file.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "passes/pass_registry.h"
#include "passes/pipelines.h"
#include "tools/lib/batch_inputs.h"
#include "tools/lib/command.h"
#include "tools/lib/dynamic_options.h"
#include "tools/lib/example_sizes.h"
#include "tools/lib/compile_summary.h"
#include "tools/lib/metadata_options.h"
#include "tools/lib/input_shape_args.h"
#include "tools/lib/model_loader.h"
#include "tools/lib/model_writer.h"
#include "tools/lib/validation_report.h"
#include "tools/lib/validation_run.h"

namespace kiln::tools {
namespace {

struct CompileOptions {
  std::vector<std::string> inputs;  ///< files or quoted globs; more than one file is batch mode
  std::string output, emit;
  std::optional<int64_t> opset;
  std::vector<std::string> metadata;
  std::string metadataFile;
  std::vector<std::string> inputShapes;  ///< `NAME=1x3x224x224[:dtype]`, for TorchScript inputs
  std::string outputNames;               ///< `a,b`: graph output names of a TorchScript import
  bool force = false;
  bool validate = true;  ///< run source and output on the same random inputs and compare
  std::string candidateBackend;  ///< --candidate-backend for the validation: reference, jit, or auto
  bool summary = false;  ///< write <output stem>.summary.json beside the output
  int optLevel = 2;
  std::string passes;  ///< explicit pipeline text; overrides optLevel
  bool listPasses = false, printPipelineOnly = false;
  PassManagerOptions passOptions;
  DynamicOptions dynamic;  ///< --dynamic, --dynamic-batch, --strict-dynamic
  bool dumpOnnx = false;  ///< --dump-onnx: ONNX snapshots in the dump folder
  std::string targetRuntime = "any";  ///< --target-runtime: any | onnxruntime (com.microsoft ops)
};

/// Default output beside the input: `net.onnx` -> `net.kiln.onnx`, `net.kir` -> `net.onnx`.
std::string defaultOutput(const std::string& input, const std::string& emit) {
  std::filesystem::path p(input);
  std::string stem = p.stem().string();
  std::string ext = emit == "ir" ? ".kir" : ".onnx";
  std::string name = p.extension() == ext ? stem + ".kiln" + ext : stem + ext;
  return (p.parent_path() / name).string();
}

/// `--dump-onnx` snapshots: emitted at the model's source opset, checked like any output.
OnnxSnapshotWriter onnxSnapshotWriter() {
  return [](const Model& model, const std::string& path) {
    return writeModel(model, path, WriteOptions{.format = ModelFormat::Onnx});
  };
}

Status optimize(Model& model, const CompileOptions& o) {
  PassManagerOptions passOptions = o.passOptions;
  if (o.dumpOnnx) passOptions.dumpOnnx = onnxSnapshotWriter();
  PassManager pm(passOptions);
  auto dynamic = dynamicPipeline(o.dynamic);
  if (!dynamic) return dynamic.takeStatus();
  if (*dynamic) KILN_RETURN_IF_ERROR(pm.addPipeline(**dynamic));
  if (!o.passes.empty()) {
    KILN_RETURN_IF_ERROR(pm.addPipeline(o.passes));
  } else {
    auto pipeline = pipelineForLevel(o.optLevel);
    if (!pipeline) return pipeline.takeStatus();
    pm.add(pipeline.take());
  }
  Status s = pm.run(model);
  for (const Diagnostic& w : pm.warnings()) std::fprintf(stderr, "kiln: %s\n", w.str().c_str());
  for (const std::string& r : pm.context().remarks()) std::fprintf(stderr, "kiln: remark: %s\n", r.c_str());
  return s;
}

/// What became of one model: the exit status it alone would give, and why it failed.
struct ModelOutcome {
  int code = kExitOk;
  std::string why;
};

ModelOutcome failed(const Status& s) {
  reportError(s);
  return {kExitBadInput, s.str()};
}

/// Runs the source and the compiled model on the same random inputs. A validation that cannot
/// run (an op the reference interpreter lacks, inputs it cannot generate) is a warning, not a
/// failed compile: the output is fine as far as kiln knows.
std::optional<ValidationRun> validateCompiled(const std::string& input, const Model& compiled,
                                              const std::string& output, const ValidationSetup& setup,
                                              std::string& note) {
  Expected<Model> reloaded = Status::error("not loaded");
  const Model* candidate = &compiled;
  if (!output.empty()) {  // judge the file as written: emitter and opset adapters included
    reloaded = loadModel(output);
    if (!reloaded) {
      note = reloaded.status().str();
      return std::nullopt;
    }
    candidate = &*reloaded;
  }
  auto run = validateAgainst(input, *candidate, output.empty() ? input : output, setup);
  if (!run) {
    note = run.status().str();
    return std::nullopt;
  }
  return run.take();
}

/// With two example sizes, the module imported at the second one (the reference for
/// checkAtSecondSize); null otherwise.
Expected<std::optional<Model>> importSecondSize(const std::string& input, const ExampleSizes& sizes,
                                                const CompileOptions& o) {
  if (!sizes.twoSizes()) return std::optional<Model>();
  auto model = loadModel(input, {.inputs = sizes.second, .outputNames = parseOutputNames(o.outputNames)});
  if (!model) {
    Status s = model.takeStatus();
    s.diagnostic().message = "at the second example size: " + s.diagnostic().message;
    return s;
  }
  return std::optional<Model>(model.take());
}

/// `o` with a --dynamic entry for every axis the two example sizes move (the user's own
/// --dynamic for an axis wins).
CompileOptions withExampleAxes(const CompileOptions& o, const ExampleSizes& sizes) {
  CompileOptions out = o;
  for (const std::string& axis : sizes.dynamicAxes()) {
    std::string prefix = axis.substr(0, axis.find('=') + 1);
    if (std::none_of(o.dynamic.axes.begin(), o.dynamic.axes.end(), [&](const auto& a) { return a.rfind(prefix, 0) == 0; }))
      out.dynamic.axes.push_back(axis);
  }
  return out;
}

/// Compiles `input` to `output` (empty: textual IR on standard output).
ModelOutcome compileModel(const CompileOptions& o, const MetadataEntries& metadata, const std::string& input,
                          const std::string& output) {
  auto sizes = parseExampleSizes(o.inputShapes);
  if (!sizes) return failed(sizes.status());
  if (sizes->twoSizes() && !isTorchScriptPath(input))
    return failed(Diagnostic{.file = input, .message = "two example sizes (--input-shape given twice for one input) "
                                                       "apply to a traced TorchScript module"});
  auto model = loadModel(input, {.inputs = sizes->first, .outputNames = parseOutputNames(o.outputNames)});
  if (!model) return failed(model.status());
  applyMetadata(*model, metadata);
  auto secondImport = importSecondSize(input, *sizes, o);
  if (!secondImport) return failed(secondImport.status());
  if (Status s = optimize(*model, withExampleAxes(o, *sizes)); !s) return failed(s.inFile(input));
  if (*secondImport)
    if (Status s = checkAtSecondSize(*model, **secondImport, *sizes); !s) return failed(s.inFile(input));

  if (o.emit == "llvm-ir" || o.emit == "asm") {  // the JIT's generated code, kernel by kernel
    auto text = llvmjit::emitKernels(*model, o.emit == "asm");
    if (!text) return failed(text.takeStatus().inFile(input));
    if (output.empty()) {
      std::fwrite(text->data(), 1, text->size(), stdout);
      return {};
    }
    if (Status s = checkNotOverwritingInput(input, output, o.force); !s) return failed(s);
    if (Status s = writeFileAtomically(output, *text); !s) return failed(s);
    return {};
  }
  if (output.empty()) {
    std::string text = printModel(*model);
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    if (Status s = checkNotOverwritingInput(input, output, o.force); !s) return failed(s);
    WriteOptions w{.format = o.emit == "ir" ? ModelFormat::TextIR : ModelFormat::Onnx, .opset = o.opset, .force = o.force,
                   .onnxRuntime = o.targetRuntime == "onnxruntime"};
    if (Status s = writeModel(*model, output, w); !s) return failed(s.inFile(input));
  }

  ModelOutcome outcome;
  std::optional<ValidationRun> validation;
  std::string note;
  if (o.validate) {
    auto backend = parseCandidateBackend(o.candidateBackend);
    if (!backend) return failed(backend.status());
    // With two example sizes: at both, and at one in between; the worst run is the verdict.
    auto symbolSizes = sizes->twoSizes() ? sizes->validationSizes() : std::vector<std::map<std::string, int64_t>>(1);
    for (const auto& dims : symbolSizes) {
      auto run = validateCompiled(input, *model, output, {.dims = dims, .candidateBackend = *backend}, note);
      if (!run) {
        validation.reset();
        std::fprintf(stderr, "kiln: warning: validation could not run%s: %s\n",
                     dims.empty() ? "" : (" at " + formatSymbolSizes(dims)).c_str(), note.c_str());
        break;
      }
      std::string verdict = formatValidationVerdict(*run);
      if (!dims.empty()) verdict.replace(0, std::string("validation:").size(), "validation at " + formatSymbolSizes(dims) + ":");
      std::fputs(verdict.c_str(), stderr);
      if (!validation || run->result.verdict > validation->result.verdict) validation = std::move(run);
    }
    if (validation && validation->result.verdict == Verdict::Fail)
      outcome = {kExitValidationFail, "validation FAIL (the output was written; see kiln validate)"};
  }
  if (o.summary && !output.empty()) {
    CompileSummary summary{.source = input, .output = output, .target = o.emit,
                           .opset = o.emit == "ir" ? std::nullopt : std::optional<int64_t>(o.opset.value_or(model->sourceOpset)),
                           .pipeline = o.passes.empty() ? printPipeline(o.optLevel) : o.passes,
                           .metadata = metadata, .validationEnabled = o.validate,
                           .validation = validation ? &*validation : nullptr, .validationNote = note};
    if (Status s = writeCompileSummary(summaryPathFor(output), summary); !s) return failed(s);
  }
  return outcome;
}

/// Compiles every input next to its source (or under `-o DIR`), past failures, and ends with
/// the list of what failed and why.
int compileBatch(const CompileOptions& o, const MetadataEntries& metadata, const std::vector<std::string>& inputs) {
  if (!o.output.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(o.output) && !std::filesystem::is_directory(o.output))
      return reportError(Diagnostic{.file = o.output, .message = "with several inputs, -o names a folder, not a file"});
    std::filesystem::create_directories(o.output, ec);
    if (ec) return reportError(Diagnostic{.file = o.output, .message = "cannot create the folder: " + ec.message()});
  }
  std::string root = commonParent(inputs);
  std::vector<std::pair<std::string, std::string>> failures;  // input, why
  int worst = kExitOk;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& input = inputs[i];
    std::string name = std::filesystem::path(defaultOutput(input, o.emit)).filename().string();
    std::string output = batchOutputPath(input, name, o.output, root);
    std::fprintf(stderr, "[%zu/%zu] %s -> %s\n", i + 1, inputs.size(), input.c_str(), output.c_str());
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(output).parent_path(), ec);
    ModelOutcome outcome = compileModel(o, metadata, input, output);
    // No empty folders left for a model that failed (remove() refuses a folder that is not empty).
    if (outcome.code == kExitBadInput && !o.output.empty())
      for (auto folder = std::filesystem::path(output).parent_path();
           folder.has_relative_path() && folder != std::filesystem::path(o.output) && std::filesystem::remove(folder, ec);
           folder = folder.parent_path()) {
      }
    if (outcome.code != kExitOk) {
      failures.emplace_back(input, outcome.why);
      worst = std::max(worst, outcome.code);
    }
  }
  std::printf("compiled %zu of %zu models", inputs.size() - failures.size(), inputs.size());
  std::printf(failures.empty() ? "\n" : "; %zu failed:\n", failures.size());
  for (const auto& [input, why] : failures)  // most diagnostics already begin with the file
    std::printf("  FAILED %s\n", why.rfind(input, 0) == 0 ? why.c_str() : (input + ": " + why).c_str());
  return worst;
}

}  // namespace

CommandAction addCompileCommand(CLI::App& app) {
  auto opts = std::make_shared<CompileOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compile", "Import a model, optimize it and emit ONNX at a chosen opset or kiln's textual IR.\n"
                 "Example: kiln compile model.onnx --emit ir        (print the IR)\n"
                 "         kiln compile model.onnx --opset 13 -o out.onnx");
  cmd->add_option("IN", opts->inputs,
                  "Input model(s) (.onnx, .kir or a traced TorchScript .pt); several files or a quoted glob ('runs/*/best.onnx') compile\n"
                  "each one beside its source (or under -o DIR), continuing past failures");
  cmd->add_option("-o,--output", opts->output,
                  "Output file (default: beside the input; for --emit ir, llvm-ir, asm: standard output); a folder\n"
                  "in batch mode");
  cmd->add_option("--emit", opts->emit,
                  "What to write: onnx, ir (textual IR), llvm-ir or asm (the JIT's kernels for this CPU)")
      ->check(CLI::IsMember({"onnx", "ir", "llvm-ir", "asm"}))
      ->default_str("onnx");
  cmd->add_option("--opset", opts->opset, "ONNX default-domain opset to emit (7 to 21; default: the input's)")
      ->check(CLI::Range(7, 21));
  cmd->add_option("--target-runtime", opts->targetRuntime,
                  "Runtime the ONNX output is for: any (standard ops only) or onnxruntime (fused ops as ONNX Runtime's\n"
                  "com.microsoft contrib ops where exact; see docs/fusion.md)")
      ->check(CLI::IsMember({"any", "onnxruntime"}))
      ->default_str("any");
  cmd->add_option("--metadata", opts->metadata, "Set a metadata_props entry KEY=VALUE (repeatable)");
  cmd->add_option("--metadata-file", opts->metadataFile,
                  "Set metadata_props from a JSON object of strings (--metadata entries override it)");
  cmd->add_option("--input-shape", opts->inputShapes,
                  "Shape of a TorchScript input, NAME=1x3x224x224[:dtype] (repeatable; dtype default float32).\n"
                  "Given twice for one input (two example sizes), the axes that differ become dynamic");
  cmd->add_option("--output-names", opts->outputNames, "Output names for a TorchScript model, a,b (default output, output_1...)");
  cmd->add_flag("--force", opts->force, "Allow the output to overwrite the input file");
  cmd->add_flag("--validate,!--no-validate", opts->validate,
                "Run the source and the output on the same random inputs and print the verdict (default on);\n"
                "a FAIL exits 1 and keeps the output file");
  cmd->add_option("--candidate-backend", opts->candidateBackend,
                  "Where --validate runs the output: jit or reference (default: the JIT where it compiles the\n"
                  "model for this host, else kiln's reference interpreter)")
      ->check(CLI::IsMember({"reference", "jit"}));
  cmd->add_flag("--summary", opts->summary,
                "Write a conversion summary (source, target, opset, passes, validation) to <output stem>.summary.json");

  auto* passes = "Optimization";
  PassManagerOptions& po = opts->passOptions;
  cmd->add_option("-O", opts->optLevel, "Optimization level 0-3 (-O0 import and emit only; default -O2)")
      ->check(CLI::Range(0, 3))->group(passes);
  cmd->add_option("--passes", opts->passes, "Explicit pipeline, e.g. 'shape-infer,fold-constants,dce'")->group(passes);
  cmd->add_flag("--list-passes", opts->listPasses, "List every pass with its summary and exit")->group(passes);
  cmd->add_flag("--print-pipeline", opts->printPipelineOnly, "Print the pipeline the -O level runs and exit")->group(passes);
  addDynamicOptions(*cmd, opts->dynamic);
  auto* debug = "Pass debugging";
  cmd->add_option("--print-ir-before", po.printIrBefore, "Print the IR before PASS (repeatable)")->group(debug);
  cmd->add_option("--print-ir-after", po.printIrAfter, "Print the IR after PASS (repeatable)")->group(debug);
  cmd->add_flag("--print-ir-before-all", po.printIrBeforeAll, "Print the IR before every pass")->group(debug);
  cmd->add_flag("--print-ir-after-all", po.printIrAfterAll, "Print the IR after every pass")->group(debug);
  cmd->add_flag("--print-ir-after-change", po.printIrAfterChange, "Print the IR after passes that changed it")->group(debug);
  cmd->add_option("--dump-dir", po.dumpDir, "Write numbered .kir files, one per pass that changed the IR")->group(debug);
  cmd->add_flag("--dump-onnx", opts->dumpOnnx, "With --dump-dir: also an .onnx snapshot per dump (source opset)")
      ->group(debug);
  cmd->add_flag("--dump-dot", po.dumpDot, "With --dump-dir: also a Graphviz .dot per dump")->group(debug);
  cmd->add_flag("--time-passes", po.timePasses, "Report wall time per pass and its share")->group(debug);
  cmd->add_flag("--stats", po.stats, "Report nodes and constant bytes before/after each pass, and pass counters")->group(debug);
  cmd->add_flag("--explain-fusion", po.remarks,
                "Report each fusion near miss: the pattern, and which condition failed at which node")->group(debug);
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
    if (opts->inputs.empty()) return reportError(Status::error("compile needs an input model (IN)"));
    if ((opts->dumpOnnx || opts->passOptions.dumpDot) && opts->passOptions.dumpDir.empty())
      return reportError(Status::error("--dump-onnx and --dump-dot need --dump-dir DIR"));
    CompileOptions o = *opts;
    auto metadata = o.metadataFile.empty() ? Expected<MetadataEntries>(MetadataEntries{}) : readMetadataFile(o.metadataFile);
    if (!metadata) return reportError(metadata.status());
    auto fromOptions = parseMetadataOptions(o.metadata);  // --metadata wins over the file
    if (!fromOptions) return reportError(fromOptions.status());
    metadata->insert(metadata->end(), fromOptions->begin(), fromOptions->end());

    auto inputs = expandInputs(o.inputs);
    if (!inputs) return reportError(inputs.status());
    bool batch = inputs->size() > 1 || std::any_of(o.inputs.begin(), o.inputs.end(), isGlobPattern);
    if (o.emit.empty())
      o.emit = !batch && !o.output.empty() && formatFromPath(o.output) == ModelFormat::TextIR ? "ir" : "onnx";
    if (batch) return compileBatch(o, *metadata, *inputs);
    const std::string& input = inputs->front();
    std::string output = o.output.empty() && o.emit == "onnx" ? defaultOutput(input, o.emit) : o.output;
    return compileModel(o, *metadata, input, output).code;
  };
}

}  // namespace kiln::tools
