#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "passes/pass_manager.h"
#include "tools/lib/command.h"
#include "tools/lib/inspect.h"
#include "tools/lib/model_loader.h"

namespace kiln::tools {

CommandAction addInspectCommand(CLI::App& app) {
  struct Options {
    std::string model;
    bool json = false;
    bool values = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show a model's producer, opsets, inputs and outputs (with symbolic shapes),\n"
                 "metadata_props, op histogram and parameter count.");
  cmd->add_option("MODEL", opts->model, "Model file (.onnx or .kir)")->required();
  cmd->add_flag("--json", opts->json, "Print stable JSON (format kiln-inspect-v1) for scripts");
  cmd->add_flag("--values", opts->values,
                "With --json: run shape inference and list every node output with its inferred type");
  return [opts]() {
    auto model = loadModel(opts->model);
    if (!model) return reportError(model.status());
    if (opts->values && !opts->json) return reportError(Status::error("--values needs --json"));
    if (opts->values) {
      PassManager pm;
      if (Status s = pm.addPipeline("shape-infer"); !s) return reportError(s);
      if (Status s = pm.run(*model); !s) return reportError(s);
    }
    std::string out = opts->json ? inspectJson(*model, opts->values) : inspectText(*model);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return static_cast<int>(kExitOk);
  };
}

}  // namespace kiln::tools
