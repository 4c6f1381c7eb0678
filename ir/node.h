#pragma once
// A node: one op application. Inputs are borrowed values (null for an omitted optional input),
// outputs are owned (null for an omitted optional output). The graph owns nodes in an
// intrusive list, so insertion and erasure are O(1) and iteration stays valid across erasure.

#include <memory>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "ir/value.h"

namespace kiln {

struct OpSchema;

/// Where a node came from: the model file, its original name, and the names it was fused from.
struct Location {
  std::string file;
  std::string name;
  std::vector<std::string> fusedFrom;
  bool empty() const { return file.empty() && name.empty() && fusedFrom.empty(); }
  bool operator==(const Location&) const = default;
};

class Node {
 public:
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();

  const std::string& domain() const { return domain_; }  ///< "" is the ONNX default domain
  const std::string& opType() const { return opType_; }
  /// `Conv` for the default domain, `kiln.Attention`, `com.microsoft.FusedConv` otherwise.
  std::string qualifiedOp() const;
  /// The registry entry, or null for ops kiln does not know (kept opaque).
  const OpSchema* schema() const { return schema_; }
  void setSchema(const OpSchema* s) { schema_ = s; }

  const std::string& name() const { return name_; }
  void setName(std::string n) { name_ = std::move(n); }
  const std::string& docString() const { return docString_; }
  void setDocString(std::string d) { docString_ = std::move(d); }
  const Location& location() const { return loc_; }
  Location& location() { return loc_; }

  size_t numInputs() const { return inputs_.size(); }
  Value* input(size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  void setInput(size_t i, Value* v);
  void addInput(Value* v);
  /// Drops trailing inputs beyond `n`.
  void truncateInputs(size_t n);

  size_t numOutputs() const { return outputs_.size(); }
  Value* output(size_t i = 0) const { return i < outputs_.size() ? outputs_[i].get() : nullptr; }
  /// Adds an output value (an empty name yields an omitted optional output, stored as null).
  Value* addOutput(std::string name, Type type = Type());

  const AttributeMap& attributes() const { return attrs_; }
  AttributeMap& attributes() { return attrs_; }
  const Attribute* attr(std::string_view name) const { return attrs_.find(name); }
  /// Sets an attribute; subgraphs it holds get this node as their parent.
  void setAttr(std::string name, Attribute a);
  /// Attribute value, the schema's default, or `fallback`.
  int64_t intAttr(std::string_view name, int64_t fallback) const;
  float floatAttr(std::string_view name, float fallback) const;
  std::string stringAttr(std::string_view name, std::string_view fallback) const;
  std::vector<int64_t> intsAttr(std::string_view name, std::vector<int64_t> fallback = {}) const;

  /// Subgraphs held by this node's attributes (If branches, Loop and Scan bodies).
  std::vector<Graph*> subgraphs() const;

  Graph* graph() const { return graph_; }
  Node* next() const { return next_; }
  Node* prev() const { return prev_; }

 private:
  friend class Graph;
  friend class NodeList;
  friend class Value;
  Node(std::string domain, std::string opType) : domain_(std::move(domain)), opType_(std::move(opType)) {}
  void dropInputUses();

  std::string domain_, opType_;
  const OpSchema* schema_ = nullptr;
  std::string name_, docString_;
  Location loc_;
  std::vector<Value*> inputs_;
  std::vector<std::unique_ptr<Value>> outputs_;
  AttributeMap attrs_;
  Graph* graph_ = nullptr;
  Node* prev_ = nullptr;
  Node* next_ = nullptr;
};

}  // namespace kiln
