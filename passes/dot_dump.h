#pragma once
// Graphviz rendering of a graph for `--dump-dot`: one box per node (op, name, output types),
// one edge per use labelled with the value's type, subgraphs of If/Loop/Scan as clusters.

#include <string>

#include "ir/graph.h"

namespace kiln {

/// The graph as a `digraph` in the dot language. Graph inputs and outputs are ellipses;
/// values captured by a subgraph from an enclosing graph are edges into the cluster.
std::string printGraphDot(const Graph& graph);

}  // namespace kiln
