#pragma once
// The op coverage table of docs/: one Markdown row per registered op, generated from the
// registry so that it cannot drift from the code.

#include <functional>
#include <string>
#include <vector>

#include "ir/op_registry.h"

namespace kiln {

/// Columns appended by layers the registry does not know about (reference kernel, the
/// oracle an op is tested against).
struct CoverageColumns {
  std::vector<std::string> headers;
  /// One cell per header for an op; may be empty when `headers` is.
  std::function<std::vector<std::string>(const OpSchema&)> cells;
};

/// A Markdown table: op, canonical version, inputs, outputs, attributes (with defaults;
/// `name (required)`), whether shape inference exists, then the extra columns.
std::string opCoverageMarkdown(const OpRegistry& registry, const CoverageColumns& extra = {});

}  // namespace kiln
