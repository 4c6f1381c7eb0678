#include "ir/ir_lexer.h"

#include <charconv>
#include <cstring>
#include <limits>

#include "ir/dim.h"
#include "ir/float16.h"

namespace kiln {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHexDigit(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isNameChar(char c) { return isAlpha(c) || isDigit(c) || c == '.'; }

int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

std::string_view tokenKindName(TokenKind k) {
  switch (k) {
    case TokenKind::Eof: return "end of input";
    case TokenKind::Error: return "error";
    case TokenKind::Identifier: return "identifier";
    case TokenKind::ValueName: return "value name";
    case TokenKind::GraphName: return "graph name";
    case TokenKind::String: return "string";
    case TokenKind::Integer: return "integer";
    case TokenKind::Float: return "float";
    case TokenKind::Hash: return "hash";
    case TokenKind::LParen: return "'('";
    case TokenKind::RParen: return "')'";
    case TokenKind::LBrace: return "'{'";
    case TokenKind::RBrace: return "'}'";
    case TokenKind::LBracket: return "'['";
    case TokenKind::RBracket: return "']'";
    case TokenKind::Less: return "'<'";
    case TokenKind::Greater: return "'>'";
    case TokenKind::Comma: return "','";
    case TokenKind::Colon: return "':'";
    case TokenKind::Equal: return "'='";
    case TokenKind::Star: return "'*'";
    case TokenKind::Plus: return "'+'";
    case TokenKind::Minus: return "'-'";
    case TokenKind::Arrow: return "'->'";
    case TokenKind::Question: return "'?'";
    case TokenKind::Dot: return "'.'";
  }
  return "token";
}

std::string describeToken(const Token& t) {
  switch (t.kind) {
    case TokenKind::Identifier: return "'" + t.text + "'";
    case TokenKind::ValueName: return "%" + quoteIfNeeded(t.text);
    case TokenKind::GraphName: return "@" + quoteIfNeeded(t.text);
    case TokenKind::String: return "string " + quoteString(t.text);
    case TokenKind::Integer:
    case TokenKind::Float: return "number " + t.text;
    case TokenKind::Hash: return "#" + t.text;
    default: return std::string(tokenKindName(t.kind));
  }
}

void Lexer::advance(size_t n) {
  for (size_t i = 0; i < n && pos_ < text_.size(); ++i) {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }
}

Token Lexer::make(TokenKind k, std::string text, int line, int column) const {
  return Token{k, std::move(text), line, column};
}

Token Lexer::error(std::string message, int line, int column) const {
  return Token{TokenKind::Error, std::move(message), line, column};
}

bool Lexer::readString(std::string* out, std::string* err) {
  int startLine = line_, startColumn = column_;
  advance();  // opening quote
  while (true) {
    char c = peek();
    if (pos_ >= text_.size() || c == '\n') {
      *err = "unterminated string";
      errLine_ = startLine;
      errColumn_ = startColumn;
      return false;
    }
    if (c == '"') {
      advance();
      return true;
    }
    if (c != '\\') {
      *out += c;
      advance();
      continue;
    }
    char e = peek(1);
    switch (e) {
      case '"': case '\\': *out += e; advance(2); break;
      case 'n': *out += '\n'; advance(2); break;
      case 't': *out += '\t'; advance(2); break;
      case 'r': *out += '\r'; advance(2); break;
      case 'x':
        if (!isHexDigit(peek(2)) || !isHexDigit(peek(3))) {
          *err = "\\x in a string needs two hex digits";
          errLine_ = line_;
          errColumn_ = column_;
          return false;
        }
        *out += static_cast<char>(hexValue(peek(2)) * 16 + hexValue(peek(3)));
        advance(4);
        break;
      default:
        *err = std::string("unknown escape '\\") + (e ? std::string(1, e) : std::string()) + "' in string";
        errLine_ = line_;
        errColumn_ = column_;
        return false;
    }
  }
}

Token Lexer::readName(TokenKind kind, int line, int column) {
  advance();  // % or @
  if (peek() == '"') {
    std::string s, err;
    if (!readString(&s, &err)) return error(err, errLine_, errColumn_);
    return make(kind, std::move(s), line, column);
  }
  size_t start = pos_;
  while (isNameChar(peek())) advance();
  if (pos_ == start)
    return error(std::string("expected a name after '") + (kind == TokenKind::ValueName ? "%" : "@") + "'",
                 line, column);
  return make(kind, std::string(text_.substr(start, pos_ - start)), line, column);
}

Token Lexer::next() {
  // Skip whitespace and // comments.
  while (pos_ < text_.size()) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      advance();
    } else if (c == '/' && peek(1) == '/') {
      while (pos_ < text_.size() && peek() != '\n') advance();
    } else {
      break;
    }
  }
  int line = line_, column = column_;
  if (pos_ >= text_.size()) return make(TokenKind::Eof, "", line, column);
  char c = peek();

  if (isAlpha(c)) {
    size_t start = pos_;
    while (isNameChar(peek())) advance();
    return make(TokenKind::Identifier, std::string(text_.substr(start, pos_ - start)), line, column);
  }
  if (isDigit(c)) {
    size_t start = pos_;
    if (c == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
      advance(2);
      size_t digits = pos_;
      while (isHexDigit(peek())) advance();
      if (pos_ == digits) return error("expected hex digits after 0x", line, column);
      return make(TokenKind::Integer, std::string(text_.substr(start, pos_ - start)), line, column);
    }
    bool isFloat = false;
    while (isDigit(peek())) advance();
    if (peek() == '.' && isDigit(peek(1))) {
      isFloat = true;
      advance();
      while (isDigit(peek())) advance();
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (isDigit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && isDigit(peek(2))))) {
      isFloat = true;
      advance(2);
      while (isDigit(peek())) advance();
    }
    return make(isFloat ? TokenKind::Float : TokenKind::Integer,
                std::string(text_.substr(start, pos_ - start)), line, column);
  }
  switch (c) {
    case '%': return readName(TokenKind::ValueName, line, column);
    case '@': return readName(TokenKind::GraphName, line, column);
    case '"': {
      std::string s, err;
      if (!readString(&s, &err)) return error(err, errLine_, errColumn_);
      return make(TokenKind::String, std::move(s), line, column);
    }
    case '#': {
      advance();
      size_t start = pos_;
      while (isHexDigit(peek())) advance();
      if (pos_ == start) return error("expected hex digits after '#'", line, column);
      return make(TokenKind::Hash, std::string(text_.substr(start, pos_ - start)), line, column);
    }
    case '-':
      if (peek(1) == '>') {
        advance(2);
        return make(TokenKind::Arrow, "->", line, column);
      }
      advance();
      return make(TokenKind::Minus, "-", line, column);
    default: break;
  }
  static constexpr struct {
    char c;
    TokenKind kind;
  } kPunct[] = {{'(', TokenKind::LParen},   {')', TokenKind::RParen},   {'{', TokenKind::LBrace},
                {'}', TokenKind::RBrace},   {'[', TokenKind::LBracket}, {']', TokenKind::RBracket},
                {'<', TokenKind::Less},     {'>', TokenKind::Greater},  {',', TokenKind::Comma},
                {':', TokenKind::Colon},    {'=', TokenKind::Equal},    {'*', TokenKind::Star},
                {'+', TokenKind::Plus},     {'?', TokenKind::Question}, {'.', TokenKind::Dot}};
  for (const auto& p : kPunct)
    if (p.c == c) {
      advance();
      return make(p.kind, std::string(1, c), line, column);
    }
  std::string shown = (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                          ? quoteString(std::string(1, c))
                          : "'" + std::string(1, c) + "'";
  return error("unexpected character " + shown, line, column);
}

namespace {

bool isHexLiteral(const std::string& t) { return t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'); }

template <typename T>
bool fromChars(const std::string& text, T* out) {
  auto res = std::from_chars(text.data(), text.data() + text.size(), *out);
  return res.ec == std::errc() && res.ptr == text.data() + text.size();
}

template <typename F, typename Bits>
bool literalToFloating(const NumberLit& n, F* out) {
  if (n.isNan()) {
    if (n.nanBits) {
      if constexpr (sizeof(F) < 8)
        if (*n.nanBits >> (8 * sizeof(F))) return false;
      Bits b = static_cast<Bits>(*n.nanBits);
      if (n.negative) b ^= Bits{1} << (8 * sizeof(F) - 1);
      std::memcpy(out, &b, sizeof(F));
    } else {
      *out = n.negative ? -std::numeric_limits<F>::quiet_NaN() : std::numeric_limits<F>::quiet_NaN();
    }
    return true;
  }
  if (n.isInf()) {
    *out = n.negative ? -std::numeric_limits<F>::infinity() : std::numeric_limits<F>::infinity();
    return true;
  }
  if (isHexLiteral(n.tok.text)) {
    int64_t i;
    if (!literalToInt(n, &i)) return false;
    *out = static_cast<F>(i);
    return true;
  }
  if (!n.tok.is(TokenKind::Integer) && !n.tok.is(TokenKind::Float)) return false;
  return fromChars((n.negative ? "-" : "") + n.tok.text, out);
}

}  // namespace

bool parseHexBits(std::string_view text, uint64_t* out) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.empty() || text.size() > 16) return false;
  auto res = std::from_chars(text.data(), text.data() + text.size(), *out, 16);
  return res.ec == std::errc() && res.ptr == text.data() + text.size();
}

bool literalToInt(const NumberLit& n, int64_t* out) {
  if (!n.tok.is(TokenKind::Integer)) return false;
  if (isHexLiteral(n.tok.text)) {
    uint64_t bits;
    if (!parseHexBits(n.tok.text, &bits)) return false;
    *out = static_cast<int64_t>(n.negative ? uint64_t{0} - bits : bits);
    return true;
  }
  return fromChars((n.negative ? "-" : "") + n.tok.text, out);
}

bool literalToUInt64(const NumberLit& n, uint64_t* out) {
  if (!n.tok.is(TokenKind::Integer) || n.negative) return false;
  if (isHexLiteral(n.tok.text)) return parseHexBits(n.tok.text, out);
  return fromChars(n.tok.text, out);
}

bool literalToFloat(const NumberLit& n, float* out) { return literalToFloating<float, uint32_t>(n, out); }
bool literalToDouble(const NumberLit& n, double* out) { return literalToFloating<double, uint64_t>(n, out); }

bool literalTo16(const NumberLit& n, bool bf16, uint16_t* out) {
  if (n.isNan() && n.nanBits) {
    if (*n.nanBits > 0xffff) return false;
    *out = static_cast<uint16_t>(*n.nanBits ^ (n.negative ? 0x8000u : 0u));
    return true;
  }
  float f;
  if (!literalToFloat(n, &f)) return false;
  *out = bf16 ? floatToBfloat16(f) : floatToHalf(f);
  return true;
}

}  // namespace kiln
