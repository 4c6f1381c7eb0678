#include "tools/lib/model_loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/onnx/importer.h"
#include "ir/parser.h"
#include "tools/lib/limit_options.h"
#include "tools/lib/torch_loader.h"

namespace kiln::tools {

ModelFormat formatFromPath(const std::string& path) {
  auto ext = std::filesystem::path(path).extension();
  if (ext == ".kir") return ModelFormat::TextIR;
  if (ext == ".pt" || ext == ".pth") return ModelFormat::TorchScript;
  return ModelFormat::Onnx;
}

Expected<Model> loadModel(const std::string& path, const torchscript::ImportOptions& torch) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    return Diagnostic{.file = path, .message = "no such file"};
  if (std::filesystem::is_directory(status))
    return Diagnostic{.file = path, .message = "is a directory, expected a model file"};

  const Limits& limits = activeLimits();
  if (formatFromPath(path) == ModelFormat::TextIR) {
    auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > limits.maxModelBytes)
      return Diagnostic{.file = path, .message = "model is " + formatBytes(size) + ", over the model size limit of " +
                                                 formatBytes(limits.maxModelBytes) + " " + limitHint("--max-model-bytes")};
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return Diagnostic{.file = path, .message = "cannot read file"};
    auto model = parseModel(text.str(), path, limits);
    if (model) model->sourcePath = path;
    if (model)
      if (Status s = checkGraphLimits(*model->graph, limits); !s) return s.inFile(path);
    return model;
  }
  if (formatFromPath(path) == ModelFormat::TorchScript) {
    auto api = loadTorchApi();
    if (!api) return Status(api.takeStatus()).inFile(path);
    auto model = (*api)->importFile(path, torch);
    if (!model) return model.takeStatus().inFile(path);
    // libtorch reads the archive; its graph is held to the same node and depth limits here.
    if (Status s = checkGraphLimits(*model->graph, limits); !s) return s.inFile(path);
    return model;
  }
  onnx_frontend::ImportOptions options;
  options.limits = limits;
  return onnx_frontend::importModelFile(path, options);
}

}  // namespace kiln::tools
