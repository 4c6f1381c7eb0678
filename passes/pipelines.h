#pragma once
// Optimization levels as data (after Glow): each level is a list of steps, each step a piece of
// pipeline text, run once or to a fixpoint, with the reason it is there. The order is readable
// and checkable here instead of being buried in code; printPipeline(level) gives the exact
// text, which `--passes` accepts unchanged.

#include <span>
#include <string>
#include <string_view>

#include "ir/diagnostic.h"
#include "passes/pipeline.h"

namespace kiln {

struct PipelineStep {
  std::string_view passes;  ///< pipeline text: one pass, or several for a fixpoint group
  bool fixpoint;            ///< run `passes` until none of them changes the IR
  std::string_view reason;  ///< why this step is at this place
};

constexpr int kMaxOptimizationLevel = 3;

/// The steps of -O<level>, level in [0, kMaxOptimizationLevel]; -O0 has none.
std::span<const PipelineStep> optimizationSteps(int level);
/// The exact pipeline text of -O<level>, as `--passes` would take it.
std::string printPipeline(int level);
/// The pipeline of -O<level>; an error for a level out of range.
Expected<Pipeline> pipelineForLevel(int level);

}  // namespace kiln
