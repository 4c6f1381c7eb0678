#pragma once
// Node attributes: every ONNX attribute kind, subgraphs included. An attribute owns its
// subgraphs; copying an attribute clones them (captured outer values stay shared).

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "ir/tensor.h"
#include "ir/type.h"

namespace kiln {

class Graph;

enum class AttrKind : uint8_t {
  Float, Int, String, Tensor, Graph, Type,
  Floats, Ints, Strings, Tensors, Graphs, Types,
};

std::string_view attrKindName(AttrKind k);

class Attribute {
 public:
  using GraphPtr = std::unique_ptr<Graph>;
  using Storage = std::variant<float, int64_t, std::string, Tensor, GraphPtr, Type,
                               std::vector<float>, std::vector<int64_t>, std::vector<std::string>,
                               std::vector<Tensor>, std::vector<GraphPtr>, std::vector<Type>>;

  Attribute();
  Attribute(float v);                      // NOLINT: attributes read like their values
  Attribute(int64_t v);                    // NOLINT
  Attribute(std::string v);                // NOLINT
  Attribute(const char* v) : Attribute(std::string(v)) {}  // NOLINT
  Attribute(Tensor v);                     // NOLINT
  Attribute(GraphPtr v);                   // NOLINT
  Attribute(Type v);                       // NOLINT
  Attribute(std::vector<float> v);         // NOLINT
  Attribute(std::vector<int64_t> v);       // NOLINT
  Attribute(std::vector<std::string> v);   // NOLINT
  Attribute(std::vector<Tensor> v);        // NOLINT
  Attribute(std::vector<GraphPtr> v);      // NOLINT
  Attribute(std::vector<Type> v);          // NOLINT
  Attribute(const Attribute& other);
  Attribute(Attribute&&) noexcept;
  Attribute& operator=(const Attribute& other);
  Attribute& operator=(Attribute&&) noexcept;
  ~Attribute();

  AttrKind kind() const { return static_cast<AttrKind>(value_.index()); }
  float f() const { return std::get<float>(value_); }
  int64_t i() const { return std::get<int64_t>(value_); }
  const std::string& s() const { return std::get<std::string>(value_); }
  const Tensor& t() const { return std::get<Tensor>(value_); }
  Graph& g() const { return *std::get<GraphPtr>(value_); }
  const Type& type() const { return std::get<Type>(value_); }
  const std::vector<float>& floats() const { return std::get<std::vector<float>>(value_); }
  const std::vector<int64_t>& ints() const { return std::get<std::vector<int64_t>>(value_); }
  const std::vector<std::string>& strings() const { return std::get<std::vector<std::string>>(value_); }
  const std::vector<Tensor>& tensors() const { return std::get<std::vector<Tensor>>(value_); }
  const std::vector<GraphPtr>& graphs() const { return std::get<std::vector<GraphPtr>>(value_); }
  const std::vector<Type>& types() const { return std::get<std::vector<Type>>(value_); }
  const Storage& storage() const { return value_; }

  /// ONNX function bodies refer to the caller's attribute by name instead of holding a value.
  const std::string& refAttrName() const { return refAttrName_; }
  void setRefAttrName(std::string name) { refAttrName_ = std::move(name); }

  /// Structural equality (tensors by content, graphs by printed form); used by CSE.
  bool operator==(const Attribute& o) const;

 private:
  Storage value_;
  std::string refAttrName_;
};

/// A node's attributes, kept sorted by name so printing and hashing are deterministic.
class AttributeMap {
 public:
  const Attribute* find(std::string_view name) const;
  Attribute* find(std::string_view name);
  void set(std::string name, Attribute value);
  bool erase(std::string_view name);
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }
  auto begin() { return entries_.begin(); }
  auto end() { return entries_.end(); }
  bool operator==(const AttributeMap& o) const { return entries_ == o.entries_; }

 private:
  std::vector<std::pair<std::string, Attribute>> entries_;
};

}  // namespace kiln
