#include "tools/lib/model_loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/onnx/importer.h"
#include "ir/parser.h"

namespace kiln::tools {

ModelFormat formatFromPath(const std::string& path) {
  return std::filesystem::path(path).extension() == ".kir" ? ModelFormat::TextIR : ModelFormat::Onnx;
}

Expected<Model> loadModel(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    return Diagnostic{.file = path, .message = "no such file"};
  if (std::filesystem::is_directory(status))
    return Diagnostic{.file = path, .message = "is a directory, expected a model file"};

  if (formatFromPath(path) == ModelFormat::TextIR) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return Diagnostic{.file = path, .message = "cannot read file"};
    auto model = parseModel(text.str(), path);
    if (model) model->sourcePath = path;
    return model;
  }
  return onnx_frontend::importModelFile(path);
}

}  // namespace kiln::tools
