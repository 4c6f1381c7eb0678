#pragma once
// One axis size: a static integer, a symbolic expression of named symbols, or unknown.
//
// Symbolic sizes are polynomials with integer coefficients over named symbols
// (`batch`, `2*batch`, `batch*heads`, `sequence+1`): closed under the + and * that Concat,
// Reshape and Flatten need, and canonical, so two equal expressions are one interned object
// and compare by pointer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

/// A canonical polynomial: sum of coeff * product(symbols). Interned; never build one directly.
class DimExpr {
 public:
  struct Term {
    int64_t coeff;
    std::vector<std::string> symbols;  ///< sorted, repeats allowed (batch*batch)
    bool operator==(const Term&) const = default;
  };

  const std::vector<Term>& terms() const { return terms_; }
  /// The single symbol when the expression is exactly one symbol with coefficient 1.
  std::optional<std::string_view> asSymbol() const;
  const std::string& str() const { return text_; }

  /// Returns the interned expression for `terms` (canonicalized first), or nullptr when the
  /// terms reduce to a constant; the constant is then written to *constant.
  static const DimExpr* intern(std::vector<Term> terms, int64_t* constant);

 private:
  DimExpr(std::vector<Term> terms, std::string text)
      : terms_(std::move(terms)), text_(std::move(text)) {}
  std::vector<Term> terms_;
  std::string text_;
};

class Dim {
 public:
  /// An unknown size (ONNX: a dim with neither dim_value nor dim_param).
  Dim() = default;
  Dim(int64_t value) : value_(value), kind_(Kind::Static) {}  // NOLINT: sizes read naturally
  static Dim symbol(std::string_view name);
  static Dim unknown() { return Dim(); }

  bool isStatic() const { return kind_ == Kind::Static; }
  bool isSymbolic() const { return kind_ == Kind::Symbolic; }
  bool isUnknown() const { return kind_ == Kind::Unknown; }
  int64_t value() const { return value_; }  ///< valid when isStatic()
  const DimExpr* expr() const { return expr_; }  ///< valid when isSymbolic()
  std::optional<std::string_view> asSymbol() const {
    return isSymbolic() ? expr_->asSymbol() : std::nullopt;
  }

  /// Structural equality: same constant, same interned expression, or both unknown.
  bool operator==(const Dim& o) const {
    return kind_ == o.kind_ && value_ == o.value_ && expr_ == o.expr_;
  }
  /// True only when both sizes are known to be equal at run time (unknown != unknown).
  bool provablyEqual(const Dim& o) const { return !isUnknown() && *this == o; }

  friend Dim operator+(const Dim& a, const Dim& b);
  friend Dim operator-(const Dim& a, const Dim& b);
  friend Dim operator*(const Dim& a, const Dim& b);
  /// a / b when it divides exactly (static, or every coefficient / a shared symbol); else unknown.
  friend Dim exactDiv(const Dim& a, const Dim& b);

  /// Text form: `128`, `batch`, `2*batch+1`, `?`; symbols that are not identifiers are quoted.
  std::string str() const;

 private:
  enum class Kind : uint8_t { Unknown, Static, Symbolic };
  static Dim fromTerms(std::vector<DimExpr::Term> terms);
  std::vector<DimExpr::Term> terms() const;

  int64_t value_ = 0;
  const DimExpr* expr_ = nullptr;
  Kind kind_ = Kind::Unknown;
};

/// Whether `name` can be printed without quotes ([A-Za-z_][A-Za-z0-9_]*).
bool isIdentifier(std::string_view name);
/// `name` as printed in the textual IR: bare when an identifier, else a quoted, escaped string.
std::string quoteIfNeeded(std::string_view name);
std::string quoteString(std::string_view s);

}  // namespace kiln
