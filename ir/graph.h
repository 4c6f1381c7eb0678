#pragma once
// A graph: inputs, nodes in topological order, outputs. Subgraphs (If/Loop/Scan bodies) are
// Graphs owned by their node's attribute; they may use values of enclosing graphs directly.

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/node.h"

namespace kiln {

/// Owning intrusive list of nodes. Iteration fetches the next node before yielding the current
/// one, so erasing the current node while iterating is safe.
class NodeList {
 public:
  class iterator {
   public:
    using value_type = Node*;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(Node* n) : cur_(n), next_(n ? n->next_ : nullptr) {}
    Node* operator*() const { return cur_; }
    iterator& operator++() {
      cur_ = next_;
      next_ = cur_ ? cur_->next_ : nullptr;
      return *this;
    }
    iterator operator++(int) { auto t = *this; ++*this; return t; }
    bool operator==(const iterator& o) const { return cur_ == o.cur_; }

   private:
    Node* cur_ = nullptr;
    Node* next_ = nullptr;
  };

  NodeList() = default;
  NodeList(const NodeList&) = delete;
  ~NodeList();
  iterator begin() const { return iterator(head_); }
  iterator end() const { return iterator(); }
  Node* front() const { return head_; }
  Node* back() const { return tail_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  friend class Graph;
  void insertBefore(Node* pos, Node* n);  ///< pos null: append
  void unlink(Node* n);
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  size_t size_ = 0;
};

class Graph {
 public:
  explicit Graph(std::string name = "main") : name_(std::move(name)) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  ~Graph();

  const std::string& name() const { return name_; }
  void setName(std::string n) { name_ = std::move(n); }
  const std::string& docString() const { return docString_; }
  void setDocString(std::string d) { docString_ = std::move(d); }
  /// The node whose attribute holds this graph, or null for a top-level graph.
  Node* parentNode() const { return parentNode_; }
  void setParentNode(Node* n) { parentNode_ = n; }

  // Inputs
  Value* addInput(std::string name, Type type);
  size_t numInputs() const { return inputs_.size(); }
  Value* input(size_t i) const { return inputs_[i].get(); }
  std::vector<Value*> inputs() const;
  /// Removes an input that has no uses.
  void eraseInput(size_t i);

  // Outputs
  void addOutput(Value* v);
  void setOutput(size_t i, Value* v);
  void eraseOutput(size_t i);
  size_t numOutputs() const { return outputs_.size(); }
  Value* output(size_t i) const { return outputs_[i]; }
  const std::vector<Value*>& outputs() const { return outputs_; }

  // Nodes
  const NodeList& nodes() const { return nodes_; }
  /// Creates a node before `insertBefore` (null: at the end) with the given inputs; add
  /// outputs with Node::addOutput.
  Node* createNode(std::string domain, std::string opType, std::vector<Value*> inputs,
                   Node* insertBefore = nullptr);
  /// Moves `n` (already in this graph) to just before `pos` (null: the end).
  void moveBefore(Node* n, Node* pos);
  /// Erases a node none of whose outputs is still used.
  void eraseNode(Node* n);

  /// Graph inputs that carry a default value (ONNX initializers that are also inputs).
  std::vector<std::pair<Value*, Tensor>>& inputDefaults() { return inputDefaults_; }
  const std::vector<std::pair<Value*, Tensor>>& inputDefaults() const { return inputDefaults_; }

  /// Calls `fn` on every node, nested subgraphs included (pre-order).
  void walk(const std::function<void(Node*)>& fn) const;
  /// Number of nodes, nested subgraphs included.
  size_t totalNodeCount() const;

  /// Deep copy. Values of enclosing graphs that this graph uses stay shared unless `outerMap`
  /// maps them; the map receives every old-to-new value pair of the copy.
  std::unique_ptr<Graph> clone(std::unordered_map<const Value*, Value*>* outerMap = nullptr) const;

 private:
  friend class Value;
  std::string name_, docString_;
  Node* parentNode_ = nullptr;
  std::vector<std::unique_ptr<Value>> inputs_;
  std::vector<Value*> outputs_;
  NodeList nodes_;
  std::vector<std::pair<Value*, Tensor>> inputDefaults_;
};

}  // namespace kiln
