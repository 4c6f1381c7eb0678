#pragma once
// Tokens of the textual IR (docs/ir.md). The lexer knows no keywords: words such as `graph`,
// `dense` or `f32` are identifiers the parser interprets by position.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

enum class TokenKind : uint8_t {
  Eof,
  Error,       ///< text is the message
  Identifier,  ///< [A-Za-z_][A-Za-z0-9_.]*  (dots allow qualified ops: com.microsoft.FusedConv)
  ValueName,   ///< %name or %"quoted name"; text is the unquoted name
  GraphName,   ///< @name or @"quoted name"
  String,      ///< "..." ; text is the unescaped contents
  Integer,     ///< decimal digits, or 0x hex digits
  Float,       ///< digits with a fraction or exponent
  Hash,        ///< #hexdigits; text is the digits
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, Less, Greater,
  Comma, Colon, Equal, Star, Plus, Minus, Arrow, Question, Dot,
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  std::string text;
  int line = 1, column = 1;

  bool is(TokenKind k) const { return kind == k; }
  bool isWord(std::string_view w) const { return kind == TokenKind::Identifier && text == w; }
};

/// Human name of a token kind for error messages (`'('`, `identifier`).
std::string_view tokenKindName(TokenKind k);
/// What the token looks like in an error message: `'graph'`, `%x`, `end of input`.
std::string describeToken(const Token& t);

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}
  /// The next token; `//` comments and whitespace are skipped.
  Token next();

 private:
  char peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  void advance(size_t n = 1);
  Token make(TokenKind k, std::string text, int line, int column) const;
  Token error(std::string message, int line, int column) const;
  /// Reads a quoted string starting at the opening quote.
  bool readString(std::string* out, std::string* error);
  /// Reads a %name / @name suffix: bare [A-Za-z0-9_.]+ or a quoted string.
  Token readName(TokenKind kind, int line, int column);

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1, column_ = 1;
  int errLine_ = 1, errColumn_ = 1;  ///< where readString found its error
};

/// A numeric literal as written: sign, then an Integer or Float token or the words nan / inf
/// (a NaN may carry its exact bits: `nan(0x7fc00001)`). Converted once the target type is known,
/// so `0.1` becomes the nearest float, not the float nearest the nearest double.
struct NumberLit {
  bool negative = false;
  Token tok;
  std::optional<uint64_t> nanBits;
  bool isNan() const { return tok.isWord("nan"); }
  bool isInf() const { return tok.isWord("inf"); }
  bool isFloat() const { return tok.is(TokenKind::Float) || isNan() || isInf(); }
};

/// Up to 16 hex digits, with or without a `0x` prefix.
bool parseHexBits(std::string_view text, uint64_t* out);
// Conversions of a literal to a type; false when it does not fit or is not of that kind.
bool literalToInt(const NumberLit& n, int64_t* out);     ///< integers only
bool literalToUInt64(const NumberLit& n, uint64_t* out);  ///< non-negative integers only
bool literalToFloat(const NumberLit& n, float* out);
bool literalToDouble(const NumberLit& n, double* out);
/// f16 / bf16 bits: NaN bits are taken as written, other values go through the nearest float
/// (the path the printer checks its shortest digits against).
bool literalTo16(const NumberLit& n, bool bf16, uint16_t* out);

}  // namespace kiln
