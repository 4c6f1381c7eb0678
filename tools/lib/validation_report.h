#pragma once
// How a validation reads: the table `kiln validate` prints, the one-line verdict
// `kiln compile --validate` prints, and the JSON `--report` writes (schema in docs/validate.md).

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "tools/lib/validation_run.h"

namespace kiln::tools {

struct ValidationHeader {
  std::string reference, candidate;  ///< file paths
  uint64_t seed = 0;
  Tolerance tolerance;
};

/// The full report: header, one table row per output, problems, and the closing verdict line.
std::string formatValidationTable(const ValidationHeader& header, const ValidationRun& run);

/// One line: `validation: PASS  max abs diff 2.4e-07 over 2 outputs (vs libtorch)` plus
/// the problems of failing outputs on following lines.
std::string formatValidationVerdict(const ValidationRun& run);

/// Everything in the report, for scripts.
nlohmann::json validationJson(const ValidationHeader& header, const ValidationRun& run);

/// Writes validationJson atomically to `path`.
Status writeValidationJson(const std::string& path, const ValidationHeader& header, const ValidationRun& run);

}  // namespace kiln::tools
