#include "ir/attribute.h"

#include <algorithm>
#include <cstring>

#include "ir/graph.h"

namespace kiln {
namespace {

Attribute::Storage cloneStorage(const Attribute::Storage& s) {
  if (auto* g = std::get_if<Attribute::GraphPtr>(&s)) return (*g)->clone();
  if (auto* gs = std::get_if<std::vector<Attribute::GraphPtr>>(&s)) {
    std::vector<Attribute::GraphPtr> out;
    for (const auto& g : *gs) out.push_back(g->clone());
    return out;
  }
  return std::visit(
      [](const auto& v) -> Attribute::Storage {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Attribute::GraphPtr> ||
                      std::is_same_v<T, std::vector<Attribute::GraphPtr>>)
          return {};  // handled above
        else
          return v;
      },
      s);
}

}  // namespace

std::string_view attrKindName(AttrKind k) {
  static constexpr std::string_view names[] = {"float", "int", "string", "tensor", "graph", "type",
                                               "floats", "ints", "strings", "tensors", "graphs", "types"};
  return names[static_cast<size_t>(k)];
}

Attribute::Attribute() : value_(int64_t{0}) {}
Attribute::Attribute(float v) : value_(v) {}
Attribute::Attribute(int64_t v) : value_(v) {}
Attribute::Attribute(std::string v) : value_(std::move(v)) {}
Attribute::Attribute(Tensor v) : value_(std::move(v)) {}
Attribute::Attribute(GraphPtr v) : value_(std::move(v)) {}
Attribute::Attribute(Type v) : value_(std::move(v)) {}
Attribute::Attribute(std::vector<float> v) : value_(std::move(v)) {}
Attribute::Attribute(std::vector<int64_t> v) : value_(std::move(v)) {}
Attribute::Attribute(std::vector<std::string> v) : value_(std::move(v)) {}
Attribute::Attribute(std::vector<Tensor> v) : value_(std::move(v)) {}
Attribute::Attribute(std::vector<GraphPtr> v) : value_(std::move(v)) {}
Attribute::Attribute(std::vector<Type> v) : value_(std::move(v)) {}
Attribute::Attribute(const Attribute& o) : value_(cloneStorage(o.value_)), refAttrName_(o.refAttrName_) {}
Attribute::Attribute(Attribute&&) noexcept = default;
Attribute& Attribute::operator=(Attribute&&) noexcept = default;
Attribute::~Attribute() = default;

Attribute& Attribute::operator=(const Attribute& o) {
  if (this != &o) {
    value_ = cloneStorage(o.value_);
    refAttrName_ = o.refAttrName_;
  }
  return *this;
}

bool Attribute::operator==(const Attribute& o) const {
  if (value_.index() != o.value_.index() || refAttrName_ != o.refAttrName_) return false;
  switch (kind()) {
    // Subgraphs compare by identity: conservative, so CSE never merges two loop bodies.
    case AttrKind::Graph: return &g() == &o.g();
    case AttrKind::Graphs: return false;
    case AttrKind::Tensor: return t().contentEquals(o.t());
    case AttrKind::Tensors:
      return std::equal(tensors().begin(), tensors().end(), o.tensors().begin(), o.tensors().end(),
                        [](const Tensor& a, const Tensor& b) { return a.contentEquals(b); });
    case AttrKind::Float: return std::memcmp(&std::get<float>(value_), &std::get<float>(o.value_), 4) == 0;
    default:
      return std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Tensor> || std::is_same_v<T, GraphPtr> ||
                          std::is_same_v<T, std::vector<Tensor>> ||
                          std::is_same_v<T, std::vector<GraphPtr>>)
              return false;  // handled above
            else
              return v == std::get<T>(o.value_);
          },
          value_);
  }
}

const Attribute* AttributeMap::find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  return it != entries_.end() && it->first == name ? &it->second : nullptr;
}

Attribute* AttributeMap::find(std::string_view name) {
  return const_cast<Attribute*>(std::as_const(*this).find(name));
}

void AttributeMap::set(std::string name, Attribute value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const auto& e, const std::string& n) { return e.first < n; });
  if (it != entries_.end() && it->first == name)
    it->second = std::move(value);
  else
    entries_.emplace(it, std::move(name), std::move(value));
}

bool AttributeMap::erase(std::string_view name) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.first == name; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

}  // namespace kiln
