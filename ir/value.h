#pragma once
// An SSA value: produced by exactly one node output, or a graph input. It tracks its uses,
// graph outputs included, so rewrites replace all uses in O(uses).

#include <string>
#include <vector>

#include "ir/type.h"

namespace kiln {

class Graph;
class Node;

/// A use of a value: operand `index` of `user`, or, when `user` is null, output `index`
/// of graph `graph`.
struct Use {
  Node* user = nullptr;
  Graph* graph = nullptr;
  unsigned index = 0;
  bool isGraphOutput() const { return user == nullptr; }
  bool operator==(const Use&) const = default;
};

class Value {
 public:
  Value(std::string name, Type type) : name_(std::move(name)), type_(std::move(type)) {}
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;

  const std::string& name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }
  const Type& type() const { return type_; }
  Type& type() { return type_; }
  void setType(Type t) { type_ = std::move(t); }
  DType dtype() const { return type_.dtype(); }
  const Shape& shape() const { return type_.shape(); }

  /// The producing node, or null for a graph input.
  Node* producer() const { return producer_; }
  /// Output index in the producer, or input index in the owning graph.
  unsigned index() const { return index_; }
  /// The graph this value is an input of (null for node outputs).
  Graph* inputOf() const { return inputOf_; }

  const std::vector<Use>& uses() const { return uses_; }
  bool hasUses() const { return !uses_.empty(); }
  bool isGraphOutput() const;

  /// Points every use (operands and graph outputs) at `other` instead.
  void replaceAllUsesWith(Value* other);

 private:
  friend class Node;
  friend class Graph;
  void addUse(const Use& u) { uses_.push_back(u); }
  void removeUse(const Use& u);

  std::string name_;
  Type type_;
  Node* producer_ = nullptr;
  Graph* inputOf_ = nullptr;
  unsigned index_ = 0;
  std::vector<Use> uses_;
};

}  // namespace kiln
