#pragma once
// `kiln compile --summary`: a short JSON record of one conversion, written beside the output
// (schema in docs/validate.md).

#include <cstdint>
#include <optional>
#include <string>

#include "tools/lib/metadata_options.h"
#include "tools/lib/validation_run.h"

namespace kiln::tools {

struct CompileSummary {
  std::string source, output;
  std::string target;             ///< "onnx" or "ir"
  std::optional<int64_t> opset;   ///< ONNX default-domain opset written; none for textual IR
  std::string pipeline;           ///< the pass pipeline run
  MetadataEntries metadata;       ///< entries set by --metadata / --metadata-file
  bool validationEnabled = true;
  const ValidationRun* validation = nullptr;  ///< null when disabled or when it could not run
  std::string validationNote;                 ///< why it could not run
};

/// `out/model.onnx` -> `out/model.summary.json`.
std::string summaryPathFor(const std::string& output);

/// Writes the summary atomically.
Status writeCompileSummary(const std::string& path, const CompileSummary& summary);

}  // namespace kiln::tools
