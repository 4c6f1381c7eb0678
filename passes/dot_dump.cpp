#include "passes/dot_dump.h"

#include <unordered_map>

#include "ir/attribute.h"
#include "ir/node.h"
#include "ir/value.h"

namespace kiln {
namespace {

/// A dot string literal: quotes and backslashes escaped; "\n" stays a dot line break.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

class DotWriter {
 public:
  std::string run(const Graph& graph) {
    out_ = "digraph " + quote(graph.name()) + " {\n";
    out_ += "  node [shape=box, fontname=\"monospace\", fontsize=10];\n";
    out_ += "  edge [fontname=\"monospace\", fontsize=8];\n";
    writeGraph(graph, "  ");
    out_ += "}\n";
    return std::move(out_);
  }

 private:
  // Ids are assigned in order of appearance so that dumps of unchanged graphs are identical.
  std::string idOf(const void* p, char prefix) {
    auto [it, inserted] = ids_.emplace(p, "");
    if (inserted) it->second = prefix + std::to_string(ids_.size() - 1);
    return it->second;
  }

  /// Where an edge carrying `v` starts: its producer, or the graph-input ellipse.
  std::string source(const Value* v) {
    return v->producer() ? idOf(v->producer(), 'n') : idOf(v, 'v');
  }

  static std::string nodeLabel(const Node& n) {
    std::string label = n.qualifiedOp();
    if (!n.name().empty()) label += "\n" + n.name();
    for (size_t i = 0; i < n.numOutputs(); ++i)
      if (const Value* v = n.output(i)) label += "\n" + v->type().str();
    return label;
  }

  void writeGraph(const Graph& g, const std::string& indent) {
    for (const Value* in : g.inputs())
      out_ += indent + idOf(in, 'v') + " [shape=ellipse, label=" + quote(in->name() + "\n" + in->type().str()) + "];\n";
    for (const Node* n : g.nodes()) {
      std::string id = idOf(n, 'n');
      out_ += indent + id + " [label=" + quote(nodeLabel(*n)) + "];\n";
      for (const Value* in : n->inputs())
        if (in) out_ += indent + source(in) + " -> " + id + " [label=" + quote(in->type().str()) + "];\n";
      for (const auto& [attrName, sub] : subgraphsOf(*n)) {
        out_ += indent + "subgraph " + quote("cluster_" + id + "_" + attrName) + " {\n";
        out_ += indent + "  label=" + quote(n->opType() + " " + n->name() + ": " + attrName) + ";\n";
        writeGraph(*sub, indent + "  ");
        out_ += indent + "}\n";
      }
    }
    // Graph outputs: one ellipse per output slot, fed by the value's producer.
    for (size_t i = 0; i < g.numOutputs(); ++i) {
      const Value* v = g.output(i);
      std::string id = idOf(&g.outputs()[i], 'o');
      out_ += indent + id + " [shape=ellipse, style=bold, label=" + quote(v->name() + "\n" + v->type().str()) + "];\n";
      out_ += indent + source(v) + " -> " + id + " [label=" + quote(v->type().str()) + "];\n";
    }
  }

  /// Subgraphs with the attribute that holds them (`then_branch`, `body`, ...).
  static std::vector<std::pair<std::string, const Graph*>> subgraphsOf(const Node& n) {
    std::vector<std::pair<std::string, const Graph*>> out;
    for (const auto& [name, a] : n.attributes()) {
      if (a.kind() == AttrKind::Graph) out.emplace_back(name, &a.g());
      if (a.kind() == AttrKind::Graphs)
        for (size_t k = 0; k < a.graphs().size(); ++k) out.emplace_back(name + std::to_string(k), a.graphs()[k].get());
    }
    return out;
  }

  std::unordered_map<const void*, std::string> ids_;
  std::string out_;
};

}  // namespace

std::string printGraphDot(const Graph& graph) { return DotWriter().run(graph); }

}  // namespace kiln
