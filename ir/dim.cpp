#include "ir/dim.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

#include "ir/diagnostic.h"

namespace kiln {
namespace {

std::string termText(const DimExpr::Term& t) {
  std::string out;
  // Magnitude in unsigned arithmetic: -INT64_MIN does not fit in int64.
  uint64_t c = t.coeff < 0 ? 0 - static_cast<uint64_t>(t.coeff) : static_cast<uint64_t>(t.coeff);
  if (c != 1) out = std::to_string(c);
  for (const auto& s : t.symbols) {
    if (!out.empty()) out += '*';
    out += quoteIfNeeded(s);
  }
  return out;
}

/// Merges equal monomials, drops zero coefficients and sorts: the canonical form. Nullopt when
/// merging coefficients overflows int64 (hostile shapes).
std::optional<std::vector<DimExpr::Term>> canonicalize(std::vector<DimExpr::Term> terms) {
  for (auto& t : terms) std::sort(t.symbols.begin(), t.symbols.end());
  // Higher degree first, then lexicographic: `batch*heads+sequence+1`.
  std::sort(terms.begin(), terms.end(), [](const auto& a, const auto& b) {
    if (a.symbols.size() != b.symbols.size()) return a.symbols.size() > b.symbols.size();
    return a.symbols < b.symbols;
  });
  std::vector<DimExpr::Term> out;
  for (auto& t : terms) {
    if (!out.empty() && out.back().symbols == t.symbols) {
      if (__builtin_add_overflow(out.back().coeff, t.coeff, &out.back().coeff)) return std::nullopt;
    } else
      out.push_back(std::move(t));
  }
  std::erase_if(out, [](const auto& t) { return t.coeff == 0; });
  return out;
}

}  // namespace

std::optional<std::string_view> DimExpr::asSymbol() const {
  if (terms_.size() == 1 && terms_[0].coeff == 1 && terms_[0].symbols.size() == 1)
    return std::string_view(terms_[0].symbols[0]);
  return std::nullopt;
}

const DimExpr* DimExpr::intern(std::vector<Term> terms, int64_t* constant) {
  auto canonical = canonicalize(std::move(terms));
  *constant = 0;
  // Dim::fromTerms, the only caller, has checked that the terms merge without overflow.
  KILN_ASSERT(canonical.has_value());
  terms = std::move(*canonical);
  if (terms.empty()) return nullptr;
  if (terms.size() == 1 && terms[0].symbols.empty()) {
    *constant = terms[0].coeff;
    return nullptr;
  }
  std::string text;
  for (const auto& t : terms) {
    if (!text.empty()) text += t.coeff < 0 ? "-" : "+";
    else if (t.coeff < 0) text += "-";
    // Magnitude in unsigned arithmetic: -INT64_MIN does not fit in int64.
    uint64_t magnitude = t.coeff < 0 ? 0 - static_cast<uint64_t>(t.coeff) : static_cast<uint64_t>(t.coeff);
    text += t.symbols.empty() ? std::to_string(magnitude) : termText(t);
  }
  // Interning is global and guarded: shape inference may run from several threads.
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<DimExpr>, std::less<>> table;
  std::lock_guard lock(mutex);
  auto it = table.find(text);
  if (it == table.end())
    it = table.emplace(text, std::unique_ptr<DimExpr>(new DimExpr(std::move(terms), text))).first;
  return it->second.get();
}

Dim Dim::symbol(std::string_view name) {
  return fromTerms({DimExpr::Term{1, {std::string(name)}}});
}

Dim Dim::fromTerms(std::vector<DimExpr::Term> terms) {
  // Coefficients that overflow int64 when merged give an unknown size (hostile shapes only).
  if (!canonicalize(terms)) return Dim();
  int64_t constant = 0;
  const DimExpr* e = DimExpr::intern(std::move(terms), &constant);
  if (!e) return Dim(constant);
  Dim d;
  d.kind_ = Kind::Symbolic;
  d.expr_ = e;
  return d;
}

std::vector<DimExpr::Term> Dim::terms() const {
  if (isStatic()) return {DimExpr::Term{value_, {}}};
  return expr_->terms();
}

Dim operator+(const Dim& a, const Dim& b) {
  if (a.isUnknown() || b.isUnknown()) return Dim();
  // Static arithmetic that overflows int64 gives an unknown size, never undefined behaviour:
  // only a hostile model gets there, and the tensor-size checks then refuse it.
  if (a.isStatic() && b.isStatic()) {
    int64_t sum = 0;
    return __builtin_add_overflow(a.value_, b.value_, &sum) ? Dim() : Dim(sum);
  }
  auto t = a.terms();
  auto u = b.terms();
  t.insert(t.end(), u.begin(), u.end());
  return Dim::fromTerms(std::move(t));
}

Dim operator-(const Dim& a, const Dim& b) { return a + b * Dim(-1); }

Dim operator*(const Dim& a, const Dim& b) {
  if (a.isStatic() && a.value_ == 0) return Dim(0);
  if (b.isStatic() && b.value_ == 0) return Dim(0);
  if (a.isUnknown() || b.isUnknown()) return Dim();
  if (a.isStatic() && b.isStatic()) {
    int64_t product = 0;
    return __builtin_mul_overflow(a.value_, b.value_, &product) ? Dim() : Dim(product);
  }
  std::vector<DimExpr::Term> out;
  for (const auto& x : a.terms())
    for (const auto& y : b.terms()) {
      DimExpr::Term t{0, x.symbols};
      if (__builtin_mul_overflow(x.coeff, y.coeff, &t.coeff)) return Dim();
      t.symbols.insert(t.symbols.end(), y.symbols.begin(), y.symbols.end());
      out.push_back(std::move(t));
    }
  return Dim::fromTerms(std::move(out));
}

Dim exactDiv(const Dim& a, const Dim& b) {
  if (a.isUnknown() || b.isUnknown()) return Dim();
  if (b.isStatic()) {
    if (b.value_ == 0) return Dim();
    if (b.value_ == -1) return Dim(0) - a;  // INT64_MIN / -1 overflows: negation checks it
    if (a.isStatic()) return a.value_ % b.value_ == 0 ? Dim(a.value_ / b.value_) : Dim();
    auto t = a.terms();
    for (auto& x : t) {
      if (x.coeff % b.value_ != 0) return Dim();
      x.coeff /= b.value_;
    }
    return Dim::fromTerms(std::move(t));
  }
  if (a == b) return Dim(1);
  // Divide by a single monomial c*s1*s2...: every term of `a` must contain it.
  auto divisor = b.terms();
  if (divisor.size() != 1) return Dim();
  auto t = a.terms();
  for (auto& x : t) {
    // INT64_MIN / -1 (and INT64_MIN % -1) overflow.
    if (divisor[0].coeff == -1 && x.coeff == std::numeric_limits<int64_t>::min()) return Dim();
    if (x.coeff % divisor[0].coeff != 0) return Dim();
    x.coeff /= divisor[0].coeff;
    for (const auto& s : divisor[0].symbols) {
      auto it = std::find(x.symbols.begin(), x.symbols.end(), s);
      if (it == x.symbols.end()) return Dim();
      x.symbols.erase(it);
    }
  }
  return Dim::fromTerms(std::move(t));
}

std::string Dim::str() const {
  switch (kind_) {
    case Kind::Static: return std::to_string(value_);
    case Kind::Symbolic: return expr_->str();
    case Kind::Unknown: break;
  }
  return "?";
}

bool isIdentifier(std::string_view name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

std::string quoteString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string quoteIfNeeded(std::string_view name) {
  return isIdentifier(name) ? std::string(name) : quoteString(name);
}

}  // namespace kiln
