#pragma once
// Ahead-of-time compilation (`kiln compile --emit lib|obj|header`, docs/aot.md): the JIT's
// kernels for a chosen CPU written to a relocatable object, with the model's graph, launches
// and weights as data and its C API as forwarders into the runtime archive
// (libkiln_aot_runtime.a); then linked into a shared library with the system C++ compiler.
// No LLVM header here: tools include this.

#include <string>

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::llvmjit {

struct AotOptions {
  std::string name;              ///< C API prefix: `<name>_create`...
  int optLevel = 3;              ///< LLVM optimization level
  std::string targetCpu = "host";  ///< `host`, `x86-64-v3`, or any LLVM x86 CPU name
  bool externalWeights = false;  ///< weights in a file beside the library instead of inside it
  std::string weightsFile;       ///< that file's name (external weights)
};

struct AotArtifacts {
  std::string object;   ///< ELF relocatable object (position independent)
  std::string weights;  ///< the external weights file's bytes (empty when embedded)
  size_t weightBytes = 0;
  size_t generatedKernels = 0, fallbacks = 0;
};

/// Whether `name` can prefix C identifiers ([A-Za-z_][A-Za-z0-9_]*).
bool isValidApiName(const std::string& name);

/// Compiles the model's kernels and tables to an object.
Expected<AotArtifacts> compileModelObject(const Model& model, const AotOptions& options);

/// The C header declaring the model's API (C99, extern "C" for C++).
std::string modelHeader(const Model& model, const std::string& name);

/// Links `objectPath` with the runtime archive into the shared library `outputPath` (written
/// through a temporary file, renamed when complete) using the system `c++`.
Status linkSharedLibrary(const std::string& objectPath, const std::string& archivePath, const std::string& name,
                         const std::string& outputPath);

}  // namespace kiln::llvmjit
