// The importer's boundary: libtorch errors (c10::Error and any std::exception) become one
// diagnostic naming the file; nothing thrown leaves importTorchScriptFile or importGraph.

#include "frontend/torchscript/importer.h"

#include <c10/util/Exception.h>

#include <filesystem>

#include "frontend/torchscript/graph_lowering.h"
#include "frontend/torchscript/module_loading.h"
#include "ir/shape_inference.h"

namespace kiln::torchscript {
namespace {

/// Opset the imported model declares: emitting without --opset writes this version.
constexpr int64_t kDefaultOpset = 17;

bool hasLoop(const std::vector<UnsupportedUse>& uses) {
  for (const auto& u : uses)
    if (u.kind == "prim::Loop") return true;
  return false;
}

/// The unsupported-op scan: a loop kiln cannot unroll gets its own advice, other ops one report.
Status checkSupported(const torch::jit::Graph& graph, const std::string& path) {
  std::vector<UnsupportedUse> unsupported = findUnsupportedNodes(graph);
  if (hasLoop(unsupported))
    return Diagnostic{.file = path,
                      .message = "the module has a loop whose trip count is not a constant (prim::Loop), as a scripted "
                                 "module may; kiln maps `if` and unrolls `for` over a constant range only: trace it "
                                 "instead: torch.jit.trace(model.eval(), example_inputs).save(\"model.pt\")"};
  if (!unsupported.empty()) return Diagnostic{.file = path, .message = formatUnsupportedReport(unsupported)};
  return Status::ok();
}

/// Lowers a checked graph into a fresh model and infers its shapes.
Expected<Model> lowerToModel(const torch::jit::Graph& graph, const std::vector<InputSpec>& inputs,
                             const std::vector<std::string>& outputNames, const std::string& path) {
  Model model;
  model.sourcePath = path;
  model.producerName = "kiln";
  model.graph->setName(std::filesystem::path(path).stem().string());
  model.setOpsetVersion("", kDefaultOpset);
  model.sourceOpset = kDefaultOpset;
  KILN_RETURN_IF_ERROR(lowerGraph(graph, inputs, outputNames, path, *model.graph));
  if (Status s = inferShapes(*model.graph); !s) return s.inFile(path);
  return model;
}

Expected<Model> importPrepared(const std::string& path, const ImportOptions& options) {
  auto prepared = loadTracedModule(path);
  if (!prepared) return prepared.takeStatus();
  auto inputs = matchInputSpecs(path, prepared->inputNames, options.inputs);
  if (!inputs) return inputs.takeStatus();
  KILN_RETURN_IF_ERROR(checkSupported(*prepared->graph, path));
  KILN_RETURN_IF_ERROR(checkRunsOnShapes(path, *prepared, *inputs));
  return lowerToModel(*prepared->graph, *inputs, options.outputNames, path);
}

/// Drops libtorch's warnings: TorchScript's compiler and the tracer print multi-line ones to stderr,
/// which would break kiln's one-line error (the error that follows says what matters).
class QuietWarnings : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation&, const std::string&, const bool) override {}
};

/// libtorch's exceptions (c10::Error and any std::exception) as one diagnostic naming the file.
Diagnostic libtorchError(const std::string& path, const std::exception& e) {
  std::string what = e.what();
  return Diagnostic{.file = path, .message = "libtorch: " + what.substr(0, what.find('\n'))};
}

}  // namespace

Expected<Model> importTorchScriptFile(const std::string& path, const ImportOptions& options) {
  QuietWarnings quiet;
  c10::Warning::WarningHandlerGuard guard(&quiet);
  try {
    return importPrepared(path, options);
  } catch (const std::exception& e) {
    return libtorchError(path, e);
  }
}

Expected<Model> importGraph(const torch::jit::Graph& graph, const std::vector<InputSpec>& inputs,
                            const std::vector<std::string>& outputNames, const std::string& path) {
  if (graph.inputs().size() != inputs.size() + 1)
    return Diagnostic{.file = path, .message = "the graph has " + std::to_string(graph.inputs().size()) +
                                               " inputs, but the module and " + std::to_string(inputs.size()) +
                                               " input shapes need one more"};
  try {
    KILN_RETURN_IF_ERROR(checkSupported(graph, path));
    return lowerToModel(graph, inputs, outputNames, path);
  } catch (const std::exception& e) {
    return libtorchError(path, e);
  }
}

}  // namespace kiln::torchscript
