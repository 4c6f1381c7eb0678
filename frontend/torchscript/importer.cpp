#include "frontend/torchscript/importer.h"

namespace kiln::torchscript {

Expected<Model> importTorchScriptFile(const std::string& path, const ImportOptions&) {
  return Diagnostic{.file = path, .message = "the TorchScript importer is not built yet"};
}

}  // namespace kiln::torchscript
