#include "passes/pipelines.h"

namespace kiln {
namespace {

// The cleanup every level above -O0 runs. Each of its passes exposes work for the others: a
// fold turns a Reshape's shape into a constant that canonicalize can compare, a CSE merge
// leaves a node dead, DCE drops the last user of a constant that could not be folded before.
// Running them to a fixpoint removes the order dependence.
constexpr std::string_view kCleanup = "fold-constants,canonicalize,cse,dce";
// -O3 folds bigger results: it trades model size (within the pass manager's constant budget)
// for fewer run-time ops, e.g. a constant Expand or Tile of weights.
constexpr std::string_view kAggressiveCleanup =
    "fold-constants{max-bytes=16777216 max-growth=8},canonicalize,cse,dce";

constexpr PipelineStep kO1[] = {
    {"shape-infer", false,
     "every later pass reads types: folding sizes its results, canonicalize proves Reshape and Cast no-ops"},
    {kCleanup, true, "cleanup: fold, simplify, merge and drop dead nodes until nothing changes"},
};

constexpr PipelineStep kO2[] = {
    {"shape-infer", false, "as -O1"},
    {"eliminate-static-shapes", false,
     "statically known Shape/Size results become constants, so the cleanup folds the "
     "Shape->Gather->Concat->Reshape chains exporters emit"},
    {kCleanup, true, "as -O1; also produces the constant weights fold-batchnorm needs (a folded Transpose)"},
    {"fold-batchnorm", false,
     "an inference BatchNormalization after Conv/Gemm/MatMul is a full pass over the activations; "
     "folded into the weights it costs nothing"},
    {kCleanup, true, "folding BatchNorm leaves its statistics dead and new weights to merge"},
    {"fuse-patterns", false,
     "after the cleanup, so patterns see folded constants (scalars, axes) and no dead users; "
     "GELU, LayerNorm, attention and Conv+activation become single ops every backend runs as one"},
    {kCleanup, true, "fusion leaves the matched constants dead"},
};

constexpr PipelineStep kO3[] = {
    {"shape-infer", false, "as -O1"},
    {"eliminate-static-shapes", false, "as -O2"},
    {kAggressiveCleanup, true, "as -O2, folding results up to 16 MiB or 8x their inputs"},
    {"fold-batchnorm", false, "as -O2"},
    {kAggressiveCleanup, true, "as -O2"},
    {"fuse-patterns", false, "as -O2"},
    {kAggressiveCleanup, true, "as -O2"},
    {"group-elementwise", false,
     "last: the groups are the loops the native backend emits; ONNX output expands them back into "
     "the same nodes, so for ONNX it is neutral and stays out of -O2"},
};

}  // namespace

std::span<const PipelineStep> optimizationSteps(int level) {
  switch (level) {
    case 1: return kO1;
    case 2: return kO2;
    case 3: return kO3;
    default: return {};
  }
}

std::string printPipeline(int level) {
  std::string out;
  for (const PipelineStep& step : optimizationSteps(level)) {
    if (!out.empty()) out += ",";
    out += step.fixpoint ? "fixpoint(" + std::string(step.passes) + ")" : std::string(step.passes);
  }
  return out;
}

Expected<Pipeline> pipelineForLevel(int level) {
  if (level < 0 || level > kMaxOptimizationLevel)
    return Status::error("optimization level " + std::to_string(level) + " is out of range (0 to " +
                         std::to_string(kMaxOptimizationLevel) + ")");
  return parsePipeline(printPipeline(level));
}

}  // namespace kiln
