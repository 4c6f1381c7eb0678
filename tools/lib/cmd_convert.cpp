#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "backends/onnx/opset_adapt.h"
#include "tools/lib/command.h"
#include "tools/lib/model_loader.h"
#include "tools/lib/model_writer.h"

namespace kiln::tools {
namespace {

std::string_view actionName(onnx_backend::OpPlan::Action a) {
  using A = onnx_backend::OpPlan::Action;
  switch (a) {
    case A::Unchanged: return "unchanged";
    case A::Adapted: return "adapted";
    case A::Expanded: return "expanded";
    case A::Blocked: return "blocked";
  }
  return "?";
}

int printPlan(const Model& model, int64_t target, bool json) {
  auto plan = onnx_backend::planOpsetAdaptation(model, target);
  bool blocked = false;
  if (json) {
    nlohmann::ordered_json j;
    j["source_opset"] = model.sourceOpset;
    j["target_opset"] = target;
    j["ops"] = nlohmann::ordered_json::array();
    for (const auto& p : plan) {
      blocked |= p.action == onnx_backend::OpPlan::Action::Blocked;
      nlohmann::ordered_json e{{"op", p.op}, {"action", actionName(p.action)}, {"rule", p.rule},
                               {"nodes", p.nodes}};
      if (p.lowestOpset) e["lowest_opset"] = p.lowestOpset;
      if (!p.reason.empty()) e["reason"] = p.reason;
      j["ops"].push_back(e);
    }
    std::puts(j.dump(2).c_str());
  } else {
    std::printf("opset %lld -> %lld\n", static_cast<long long>(model.sourceOpset), static_cast<long long>(target));
    for (const auto& p : plan) {
      blocked |= p.action == onnx_backend::OpPlan::Action::Blocked;
      std::string detail = p.rule;
      if (p.action == onnx_backend::OpPlan::Action::Blocked)
        detail = fmt::format("needs opset >= {}: {}{}", p.lowestOpset, fmt::join(p.nodes, ", "),
                             p.reason.empty() ? "" : " (" + p.reason + ")");
      std::printf("  %-26s %-10s %zu node%s%s%s\n", p.op.c_str(), std::string(actionName(p.action)).c_str(),
                  p.nodes.size(), p.nodes.size() == 1 ? "" : "s", detail.empty() ? "" : "  ", detail.c_str());
    }
  }
  return blocked ? kExitBadInput : kExitOk;
}

}  // namespace

CommandAction addConvertCommand(CLI::App& app) {
  struct Options {
    std::string input, output;
    std::optional<int64_t> opset;
    bool plan = false, json = false, force = false;
    std::string targetRuntime = "any";
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Rewrite a model at another ONNX opset (up or down) with the same semantics.\n"
                 "Without --opset the model is written at its own opset.");
  cmd->add_option("IN", opts->input, "Input model (.onnx or .kir)")->required();
  cmd->add_option("-o,--output", opts->output, "Output model (.onnx, or .kir for textual IR)");
  cmd->add_option("--opset", opts->opset, "Target default-domain opset (7 to 21)")->check(CLI::Range(7, 21));
  cmd->add_option("--target-runtime", opts->targetRuntime,
                  "Runtime the output is for: any (standard ops) or onnxruntime (kiln fused ops as com.microsoft ops where exact)")
      ->check(CLI::IsMember({"any", "onnxruntime"}))
      ->default_str("any");
  cmd->add_flag("--plan", opts->plan, "Print how every op crosses to --opset; change nothing");
  cmd->add_flag("--json", opts->json, "With --plan: print the plan as JSON");
  cmd->add_flag("--force", opts->force, "Allow the output to overwrite the input file");
  return [opts]() {
    if (opts->plan && !opts->opset) return reportError(Status::error("--plan needs --opset"));
    if (!opts->plan && opts->output.empty()) return reportError(Status::error("convert needs -o OUT"));
    auto model = loadModel(opts->input);
    if (!model) return reportError(model.status());
    if (opts->plan) return printPlan(*model, *opts->opset, opts->json);
    if (Status s = checkNotOverwritingInput(opts->input, opts->output, opts->force); !s) return reportError(s);
    WriteOptions w{.format = formatFromPath(opts->output), .opset = opts->opset, .force = opts->force,
                   .onnxRuntime = opts->targetRuntime == "onnxruntime"};
    if (Status s = writeModel(*model, opts->output, w); !s) return reportError(s.inFile(opts->input));
    return static_cast<int>(kExitOk);
  };
}

}  // namespace kiln::tools
