#include "tools/lib/compile_library.h"

#include <unistd.h>

#include <filesystem>

#include "backends/llvm/aot/aot_compile.h"
#include "ir/atomic_file.h"

namespace kiln::tools {
namespace {

/// libkiln_aot_runtime.a beside the running kiln executable (the build folder).
std::string runtimeArchive() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::filesystem::path(".") : exe.parent_path()).append("libkiln_aot_runtime.a").string();
}

/// `resnet18.so` -> `resnet18`, made a C identifier.
std::string nameFromPath(const std::string& output) {
  std::string stem = std::filesystem::path(output).stem().string();
  if (stem.rfind("lib", 0) == 0 && stem.size() > 3) stem = stem.substr(3);
  std::string name;
  for (char c : stem) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "model_" + name;
  return name;
}

}  // namespace

Status emitLibrary(const Model& model, const std::string& output, const LibraryOptions& options) {
  if (output.empty()) return Status::error("--emit " + options.emit + " needs -o FILE");
  const std::string name = options.name.empty() ? nameFromPath(output) : options.name;
  if (!llvmjit::isValidApiName(name))
    return Status::error("--name '" + name + "' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)");
  const std::filesystem::path folder = std::filesystem::path(output).parent_path();
  const std::string header = (folder / (name + ".h")).string();
  if (options.emit == "header") return writeFileAtomically(output, llvmjit::modelHeader(model, name));

  const bool external = options.weights == "external";
  const std::string weightsPath = output + ".weights";
  llvmjit::AotOptions aot{.name = name, .optLevel = options.optLevel, .targetCpu = options.targetCpu,
                          .externalWeights = external,
                          .weightsFile = std::filesystem::path(weightsPath).filename().string()};
  auto artifacts = llvmjit::compileModelObject(model, aot);
  if (!artifacts) return artifacts.takeStatus().inFile(model.sourcePath);
  // The step most likely to fail (linking) comes first, so a failure leaves no file behind.
  if (options.emit == "obj") {
    KILN_RETURN_IF_ERROR(writeFileAtomically(output, artifacts->object));
  } else {
    const std::string objectPath = output + ".tmp-" + std::to_string(::getpid()) + ".o";
    KILN_RETURN_IF_ERROR(writeFileAtomically(objectPath, artifacts->object));
    Status linked = llvmjit::linkSharedLibrary(objectPath, runtimeArchive(), name, output);
    std::error_code ec;
    std::filesystem::remove(objectPath, ec);
    KILN_RETURN_IF_ERROR(linked);
  }
  if (external) KILN_RETURN_IF_ERROR(writeFileAtomically(weightsPath, artifacts->weights));
  return writeFileAtomically(header, llvmjit::modelHeader(model, name));
}

}  // namespace kiln::tools
