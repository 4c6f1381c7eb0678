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

Status countNodes(const Graph& g, const Limits& limits, int depth, int64_t& nodes) {
  if (depth > limits.maxSubgraphDepth)
    return Status::error("subgraphs nest deeper than " + std::to_string(limits.maxSubgraphDepth) + " levels " +
                         limitHint("--max-subgraph-depth"));
  for (const Node* n : g.nodes()) {
    if (++nodes > limits.maxNodes)
      return Status::error("the model has more than " + std::to_string(limits.maxNodes) + " nodes " +
                           limitHint("--max-nodes"));
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
