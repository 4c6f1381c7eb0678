#pragma once
// The type of an SSA value: a tensor (dtype + possibly unranked shape), or a sequence or
// optional of one. Unknown until the importer or shape inference says otherwise.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/dim.h"
#include "ir/dtype.h"

namespace kiln {

/// Dims of a tensor; unranked when the rank itself is unknown.
class Shape {
 public:
  Shape() = default;  ///< unranked
  Shape(std::vector<Dim> dims) : dims_(std::move(dims)) {}  // NOLINT
  Shape(std::initializer_list<Dim> dims) : dims_(std::vector<Dim>(dims)) {}
  static Shape unranked() { return Shape(); }
  static Shape scalar() { return Shape(std::vector<Dim>{}); }

  bool isRanked() const { return dims_.has_value(); }
  size_t rank() const { return dims_ ? dims_->size() : 0; }
  const std::vector<Dim>& dims() const { return *dims_; }
  std::vector<Dim>& dims() { return *dims_; }
  const Dim& operator[](size_t i) const { return (*dims_)[i]; }
  bool isStatic() const;
  /// Product of dims (static when every dim is); unknown for an unranked shape.
  Dim numElements() const;
  /// Static dims as integers; nullopt unless isStatic().
  std::optional<std::vector<int64_t>> staticDims() const;

  bool operator==(const Shape&) const = default;
  std::string str() const;  ///< `[1,batch,?]` or `[*]`

 private:
  std::optional<std::vector<Dim>> dims_;
};

class Type {
 public:
  enum class Kind : uint8_t { Unknown, Tensor, Sequence, Optional };

  Type() = default;  ///< unknown
  static Type tensor(DType dtype, Shape shape = Shape()) { return Type(Kind::Tensor, dtype, std::move(shape)); }
  static Type sequence(Type element) { return wrap(Kind::Sequence, std::move(element)); }
  static Type optional(Type element) { return wrap(Kind::Optional, std::move(element)); }

  Kind kind() const { return kind_; }
  bool isUnknown() const { return kind_ == Kind::Unknown; }
  bool isTensor() const { return kind_ == Kind::Tensor; }
  DType dtype() const { return dtype_; }      ///< tensor element type (Undefined if unknown)
  const Shape& shape() const { return shape_; }
  Shape& shape() { return shape_; }
  const Type& element() const { return *element_; }  ///< for Sequence and Optional

  bool operator==(const Type& o) const;
  /// `f32[1,3,224,224]`, `i64[*]`, `?[batch]`, `seq<f32[*]>`, `opt<i64[]>`, `?`.
  std::string str() const;

 private:
  Type(Kind k, DType d, Shape s) : kind_(k), dtype_(d), shape_(std::move(s)) {}
  static Type wrap(Kind k, Type element);

  Kind kind_ = Kind::Unknown;
  DType dtype_ = DType::Undefined;
  Shape shape_;
  std::shared_ptr<const Type> element_;
};

}  // namespace kiln
