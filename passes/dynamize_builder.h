#pragma once
// Builds the run-time computation of symbolic sizes for dynamize-shapes: every symbol is one
// axis of a graph input, so `batch*heads` becomes Shape(x) -> Gather -> Mul, and a target shape
// [batch, sequence, 4, 8] a Concat of those pieces and one constant. The nodes go to the top of
// the graph, in creation order, where every graph input is visible and every later node can
// use them; each symbol and each expression is built once.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/dim.h"
#include "ir/graph.h"
#include "passes/rewriter.h"

namespace kiln {

/// Where a symbol is read at run time: `input`'s axis `axis`.
struct SymbolSource {
  Value* input = nullptr;
  int64_t axis = 0;
};

class ShapeBuilder {
 public:
  ShapeBuilder(Graph& graph, Rewriter& rewriter, std::map<std::string, SymbolSource> sources)
      : graph_(graph), rw_(rewriter), sources_(std::move(sources)) {}

  /// Where symbol `name` is read (a derived size: an axis of a tensor inside the graph).
  void addSource(const std::string& name, SymbolSource source) { sources_[name] = source; }
  /// Whether every symbol of `d` has a source (static dims always do).
  bool canBuild(const Dim& d) const;
  /// An i64[1] tensor holding `d`.
  Value* dim(const Dim& d);
  /// An i64[n] tensor holding `dims` (a Constant when all are static).
  Value* shape(const std::vector<Dim>& dims);
  /// An i64[] scalar holding `d`.
  Value* scalar(const Dim& d);
  /// An i64 constant tensor.
  Value* constant(std::vector<int64_t> dims, const std::vector<int64_t>& values, std::string_view hint);
  /// Creates a node among the builder's nodes (top of the graph, creation order).
  Node* create(std::string op, std::vector<Value*> inputs, std::string_view outputHint);

  /// Moves `node`, one of the builder's nodes whose operand was just replaced by a newer one,
  /// to the end of the builder's nodes, followed by the builder's nodes that use it, so every
  /// value is still defined before its uses.
  void moveToEnd(Node* node);

  /// Nodes this builder made (cleanup must not erase them while cached).
  bool isBuilt(const Node* n) const { return built_.count(n) > 0; }

 private:
  Value* symbol(const std::string& name);
  Node* insertionPoint() const;

  Graph& graph_;
  Rewriter& rw_;
  std::map<std::string, SymbolSource> sources_;
  std::map<const Value*, Value*> shapes_;       ///< graph input -> Shape(input)
  std::map<std::string, Value*> dims_;          ///< Dim text -> i64[1] value
  std::set<const Node*> built_;
  Node* last_ = nullptr;
};

}  // namespace kiln
