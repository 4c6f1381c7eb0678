#pragma once
// Pipelines as text, after MLIR's textual pass pipelines:
//
//   shape-infer,fold-constants{max-bytes=4096},fixpoint(canonicalize,cse,dce)
//
// A pipeline is a comma-separated list of entries. An entry is a pass name with optional
// `{option=value ...}` (space-separated), or `fixpoint{max-iterations=N}(...)`: a nested
// pipeline run again and again until none of its passes changes the IR.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/diagnostic.h"
#include "passes/pass.h"

namespace kiln {

struct PipelineEntry {
  static constexpr int64_t kDefaultMaxIterations = 10;

  std::unique_ptr<Pass> pass;            ///< set for a single pass
  std::vector<PipelineEntry> group;      ///< the passes of a fixpoint group (pass is null)
  int64_t maxIterations = kDefaultMaxIterations;

  bool isFixpoint() const { return pass == nullptr; }
  /// This entry as pipeline text.
  std::string str() const;
};

struct Pipeline {
  std::vector<PipelineEntry> entries;

  bool empty() const { return entries.empty(); }
  /// The text parsePipeline reads back to this pipeline (options at their defaults omitted).
  std::string str() const;
  void add(std::unique_ptr<Pass> pass);
  void addFixpoint(Pipeline group, int64_t maxIterations = PipelineEntry::kDefaultMaxIterations);
};

/// Parses pipeline text; errors name the column and the offending name (`unknown pass
/// 'fold-constant' (did you mean 'fold-constants'?)`). Empty text is the empty pipeline.
Expected<Pipeline> parsePipeline(std::string_view text);

}  // namespace kiln
