#pragma once
// Measures of a graph that the pass manager's guards and reports use: node counts per op kind
// and the bytes held by constants, nested subgraphs included.

#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.h"

namespace kiln {

struct GraphSummary {
  uint64_t nodes = 0;
  uint64_t constantBytes = 0;
  std::map<std::string, int64_t> opCounts;  ///< qualified op name -> node count
};

/// Bytes of every Constant node's tensor (and graph-input defaults), subgraphs included.
uint64_t constantBytes(const Graph& graph);
GraphSummary summarizeGraph(const Graph& graph);

}  // namespace kiln
