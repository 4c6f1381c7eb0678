#include "ir/limits.h"

#include "ir/graph.h"

namespace kiln {

std::string limitHint(const char* option) { return std::string("(raise it with ") + option + ")"; }

std::optional<int64_t> safeElementCount(std::span<const int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return std::nullopt;
  return n;
}

std::optional<uint64_t> safeByteSize(DType dtype, int64_t count) {
  if (count < 0) return std::nullopt;
  if (dtype == DType::String) return 0;
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(count), static_cast<uint64_t>(dtypeSize(dtype)), &bytes) ||
      bytes > static_cast<uint64_t>(INT64_MAX))
    return std::nullopt;
  return bytes;
}

}  // namespace kiln

namespace kiln {
namespace {

/// A static size below zero: the text form can hold one, but passes would allocate from it.
Status checkDims(const Value* v) {
  if (!v || !v->type().isTensor() || !v->type().shape().isRanked()) return Status::ok();
  for (const Dim& d : v->type().shape().dims())
    if (d.isStatic() && d.value() < 0)
      return Status::error("value '" + v->name() + "' has negative dim " + std::to_string(d.value()) + " in " +
                           v->type().str());
  return Status::ok();
}

Status countNodes(const Graph& g, const Limits& limits, int depth, int64_t& nodes) {
  for (size_t i = 0; i < g.numInputs(); ++i) KILN_RETURN_IF_ERROR(checkDims(g.input(i)));
  if (depth > limits.maxSubgraphDepth)
    return Status::error("subgraphs nest deeper than " + std::to_string(limits.maxSubgraphDepth) + " levels " +
                         limitHint("--max-subgraph-depth"));
  for (const Node* n : g.nodes()) {
    if (++nodes > limits.maxNodes)
      return Status::error("the model has more than " + std::to_string(limits.maxNodes) + " nodes " +
                           limitHint("--max-nodes"));
    for (size_t i = 0; i < n->numOutputs(); ++i) KILN_RETURN_IF_ERROR(checkDims(n->output(i)));
    for (const Graph* sub : n->subgraphs()) KILN_RETURN_IF_ERROR(countNodes(*sub, limits, depth + 1, nodes));
  }
  return Status::ok();
}

}  // namespace

Status checkGraphLimits(const Graph& graph, const Limits& limits) {
  int64_t nodes = 0;
  return countNodes(graph, limits, 0, nodes);
}

}  // namespace kiln
