#include "ir/type.h"

namespace kiln {

bool Shape::isStatic() const {
  if (!dims_) return false;
  for (const auto& d : *dims_)
    if (!d.isStatic()) return false;
  return true;
}

Dim Shape::numElements() const {
  if (!dims_) return Dim();
  Dim n(1);
  for (const auto& d : *dims_) n = n * d;
  return n;
}

std::optional<std::vector<int64_t>> Shape::staticDims() const {
  if (!isStatic()) return std::nullopt;
  std::vector<int64_t> out;
  for (const auto& d : *dims_) out.push_back(d.value());
  return out;
}

std::string Shape::str() const {
  if (!dims_) return "[*]";
  std::string out = "[";
  for (size_t i = 0; i < dims_->size(); ++i) {
    if (i) out += ',';
    out += (*dims_)[i].str();
  }
  return out + "]";
}

Type Type::wrap(Kind k, Type element) {
  Type t(k, DType::Undefined, Shape());
  t.element_ = std::make_shared<const Type>(std::move(element));
  return t;
}

bool Type::operator==(const Type& o) const {
  if (kind_ != o.kind_ || dtype_ != o.dtype_ || !(shape_ == o.shape_)) return false;
  if (kind_ == Kind::Sequence || kind_ == Kind::Optional) return *element_ == *o.element_;
  return true;
}

std::string Type::str() const {
  switch (kind_) {
    case Kind::Unknown: return "?";
    case Kind::Tensor: return std::string(dtypeName(dtype_)) + shape_.str();
    case Kind::Sequence: return "seq<" + element_->str() + ">";
    case Kind::Optional: return "opt<" + element_->str() + ">";
  }
  return "?";
}

}  // namespace kiln
