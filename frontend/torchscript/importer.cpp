// The importer's boundary: libtorch errors (c10::Error and any std::exception) become one
// diagnostic naming the file; nothing thrown leaves this function.

#include "frontend/torchscript/importer.h"

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

Expected<Model> importPrepared(const std::string& path, const ImportOptions& options) {
  auto prepared = loadTracedModule(path);
  if (!prepared) return prepared.takeStatus();
  auto inputs = matchInputSpecs(path, prepared->inputNames, options.inputs);
  if (!inputs) return inputs.takeStatus();

  std::vector<UnsupportedUse> unsupported = findUnsupportedNodes(*prepared->graph);
  if (hasLoop(unsupported))
    return Diagnostic{.file = path,
                      .message = "the module has a loop whose trip count is not a constant (prim::Loop), as a scripted "
                                 "module may; kiln maps `if` and unrolls `for` over a constant range only: trace it "
                                 "instead: torch.jit.trace(model.eval(), example_inputs).save(\"model.pt\")"};
  if (!unsupported.empty()) return Diagnostic{.file = path, .message = formatUnsupportedReport(unsupported)};

  KILN_RETURN_IF_ERROR(checkRunsOnShapes(path, *prepared, *inputs));

  Model model;
  model.sourcePath = path;
  model.producerName = "kiln";
  model.graph->setName(std::filesystem::path(path).stem().string());
  model.setOpsetVersion("", kDefaultOpset);
  model.sourceOpset = kDefaultOpset;
  KILN_RETURN_IF_ERROR(lowerGraph(*prepared->graph, *inputs, options.outputNames, path, *model.graph));
  if (Status s = inferShapes(*model.graph); !s) return s.inFile(path);
  return model;
}

}  // namespace

Expected<Model> importTorchScriptFile(const std::string& path, const ImportOptions& options) {
  try {
    return importPrepared(path, options);
  } catch (const std::exception& e) {
    std::string what = e.what();
    return Diagnostic{.file = path, .message = "libtorch: " + what.substr(0, what.find('\n'))};
  }
}

}  // namespace kiln::torchscript
