#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "ir/printer.h"
#include "tools/lib/command.h"
#include "tools/lib/model_loader.h"
#include "tools/lib/model_writer.h"

namespace kiln::tools {
namespace {

struct CompileOptions {
  std::string input, output, emit;
  std::optional<int64_t> opset;
  std::vector<std::string> metadata;
  bool force = false;
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

int compileOne(const CompileOptions& o) {
  auto model = loadModel(o.input);
  if (!model) return reportError(model.status());
  if (Status s = applyMetadata(*model, o.metadata); !s) return reportError(s);

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
  cmd->add_option("IN", opts->input, "Input model (.onnx or .kir)")->required();
  cmd->add_option("-o,--output", opts->output,
                  "Output file (default: beside the input; for --emit ir: standard output)");
  cmd->add_option("--emit", opts->emit, "What to write: onnx or ir (textual IR)")
      ->check(CLI::IsMember({"onnx", "ir"}))
      ->default_str("onnx");
  cmd->add_option("--opset", opts->opset, "ONNX default-domain opset to emit (7 to 21; default: the input's)")
      ->check(CLI::Range(7, 21));
  cmd->add_option("--metadata", opts->metadata, "Set a metadata_props entry KEY=VALUE (repeatable)");
  cmd->add_flag("--force", opts->force, "Allow the output to overwrite the input file");
  return [opts]() {
    CompileOptions o = *opts;
    if (o.emit.empty()) o.emit = !o.output.empty() && formatFromPath(o.output) == ModelFormat::TextIR ? "ir" : "onnx";
    return compileOne(o);
  };
}

}  // namespace kiln::tools
