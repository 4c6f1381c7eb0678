#pragma once
// `kiln compile --emit lib|obj|header` (docs/aot.md): a compiled model as a native library
// with a C API.

#include <string>

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::tools {

struct LibraryOptions {
  std::string emit;             ///< lib, obj or header
  std::string name;             ///< C API prefix; empty: from the output file's stem
  std::string weights = "embedded";  ///< or external
  std::string targetCpu = "host";
  int optLevel = 3;             ///< LLVM level
};

/// Writes `output` (and beside it `<name>.h` for lib/obj, `<output>.weights` for external
/// weights). Every file goes through a temporary name.
Status emitLibrary(const Model& model, const std::string& output, const LibraryOptions& options);

}  // namespace kiln::tools
