#pragma once
// Every mutation a pass makes goes through one Rewriter. It keeps three promises the rest of
// the pass machinery relies on: it counts changes, so instrumentation knows reliably whether a
// pass changed the IR (--print-ir-after-change, fixpoint groups); it keeps graph output names
// when an output value is replaced; and it turns erasing a node that is still used into a kiln
// bug report instead of a dangling pointer.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ir/graph.h"
#include "ir/op_registry.h"

namespace kiln {

class Rewriter {
 public:
  explicit Rewriter(const OpRegistry& registry = OpRegistry::builtin()) : registry_(&registry) {}

  const OpRegistry& registry() const { return *registry_; }

  /// Number of changes made so far; compare before and after a pass.
  uint64_t changes() const { return changes_; }
  /// Records a change made by other means (shape inference rewriting types in place).
  void noteChange() { ++changes_; }
  /// Forgets the value names collected so far; the pass manager calls it before each pass,
  /// since passes outside this rewriter's view (or a parser) may have named values.
  void resetNames();

  // ---- creation ---------------------------------------------------------------------------

  /// Creates a node before `insertBefore` (null: at the end of `graph`) with one output per
  /// entry of `outputNames` (made unique in the model; "" is an omitted output). The schema is
  /// bound from the registry.
  Node* createNode(Graph& graph, Node* insertBefore, std::string domain, std::string opType,
                   std::vector<Value*> inputs, const std::vector<std::string>& outputNames);
  /// A Constant node holding `value`, typed from it; returns its output.
  Value* createConstant(Graph& graph, Node* insertBefore, Tensor value, std::string_view nameHint);
  /// `hint` if no value of the model is called that yet, else `hint_1`, `hint_2`, ...
  std::string freshName(Graph& graph, std::string_view hint);

  // ---- edits ------------------------------------------------------------------------------

  /// Points every use of `from` (node operands and graph outputs) at `to`. A graph output
  /// keeps its name: `to` takes over the name when it can carry it (produced by a node of
  /// that graph and not already a graph output), else an `Identity` carrying the name is
  /// inserted at the end of the graph.
  void replaceAllUsesWith(Value* from, Value* to);
  /// Whether replaceAllUsesWith(from, to) would insert an Identity. Passes that remove no-op
  /// nodes skip such rewrites: replacing an Identity by an Identity would never converge.
  bool needsIdentityToReplace(const Value* from, const Value* to) const;
  /// Gives `to` the name of `from` (which gets a fresh one): a value that replaces another
  /// reads best under the old name.
  void takeName(Value* to, Value* from);

  /// Sets operand `index`, appending omitted operands (null) up to it when the node has fewer.
  void setInput(Node* node, size_t index, Value* value);
  void setAttr(Node* node, std::string name, Attribute value);
  void removeAttr(Node* node, std::string_view name);
  /// Sets a value's type; counts as a change only when the type differs.
  void setType(Value* value, Type type);
  void moveBefore(Node* node, Node* pos);
  /// Erases a node none of whose outputs is used; a used node is a kiln bug (assert).
  void eraseNode(Node* node);

 private:
  void collectNames(Graph& root);
  static Graph& rootOf(Graph& graph);

  const OpRegistry* registry_;
  uint64_t changes_ = 0;
  uint64_t deadCounter_ = 0;
  Graph* namesRoot_ = nullptr;
  std::unordered_set<std::string> names_;
};

}  // namespace kiln
