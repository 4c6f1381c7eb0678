#include "ir/parser.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>

#include "ir/ir_lexer.h"
#include "ir/limits.h"
#include "ir/op_registry.h"

namespace kiln {
namespace {

/// One element of an attribute list or a single attribute value, before its kind is settled.
struct AttrElem {
  enum Kind { Number, String, Tensor, Graph, Type } kind = Number;
  NumberLit number;
  std::string string;
  kiln::Tensor tensor;
  std::unique_ptr<kiln::Graph> graph;
  kiln::Type type;
};

std::string tensorTypeText(DType dtype, const std::vector<int64_t>& dims) {
  std::string out(dtypeName(dtype));
  out += '[';
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? "," : "") + std::to_string(dims[i]);
  return out + ']';
}

class Parser {
 public:
  Parser(std::string_view text, std::string file, const Limits& limits)
      : lex_(text), file_(std::move(file)), limits_(limits) {
    consume();
  }

  Status model(Model& m) {
    if (tok_.isWord("module")) {
      consume();
      KILN_RETURN_IF_ERROR(moduleHeader(m));
    }
    if (!tok_.isWord("graph")) return unexpected("'graph'");
    KILN_RETURN_IF_ERROR(graphDef(m.graph));
    while (tok_.isWord("function")) {
      consume();
      Function f;
      KILN_RETURN_IF_ERROR(functionHeader(f));
      if (tok_.isWord("graph")) KILN_RETURN_IF_ERROR(graphDef(f.body));
      m.functions.push_back(std::move(f));
    }
    if (!tok_.is(TokenKind::Eof)) return unexpected("'function' or end of input");
    return Status::ok();
  }

  Status singleGraph(std::unique_ptr<Graph>& g) {
    if (!tok_.isWord("graph")) return unexpected("'graph'");
    KILN_RETURN_IF_ERROR(graphDef(g));
    if (!tok_.is(TokenKind::Eof)) return unexpected("end of input");
    return Status::ok();
  }

 private:
  // ---- tokens -------------------------------------------------------------------------

  /// Next token; one longer than the string length limit becomes an error token, so whatever
  /// rule sees it reports the limit.
  void consume() {
    tok_ = lex_.next();
    if (tok_.text.size() > limits_.maxStringBytes && !tok_.is(TokenKind::Error)) {
      tok_.text = describeKind(tok_) + " of " + formatBytes(tok_.text.size()) + " is over the string length limit of " +
                  formatBytes(limits_.maxStringBytes) + " " + limitHint("--max-string-bytes");
      tok_.kind = TokenKind::Error;
    }
  }
  static std::string describeKind(const Token& t) { return std::string(tokenKindName(t.kind)); }
  bool consumeIf(TokenKind k) {
    if (!tok_.is(k)) return false;
    consume();
    return true;
  }
  bool consumeWord(std::string_view w) {
    if (!tok_.isWord(w)) return false;
    consume();
    return true;
  }

  Status error(const Token& at, std::string message) const {
    return Diagnostic{.file = file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column),
                      .message = std::move(message)};
  }
  /// The current token is not what the grammar needs here.
  Status unexpected(std::string_view expected) const {
    if (tok_.is(TokenKind::Error)) return error(tok_, tok_.text);
    return error(tok_, "expected " + std::string(expected) + ", found " + describeToken(tok_));
  }
  Status expect(TokenKind k) {
    if (!consumeIf(k)) return unexpected(tokenKindName(k));
    return Status::ok();
  }
  Status expectWord(std::string_view w) {
    if (!consumeWord(w)) return unexpected("'" + std::string(w) + "'");
    return Status::ok();
  }
  Status stringLit(std::string* out) {
    if (!tok_.is(TokenKind::String)) return unexpected("a string");
    *out = std::move(tok_.text);
    consume();
    return Status::ok();
  }
  Status intLit(int64_t* out) {
    NumberLit n;
    KILN_RETURN_IF_ERROR(numberLit(n));
    return toInt(n, out);
  }

  /// `{ key = value, ... }`; `value` parses the value of the key it is given.
  template <typename F>
  Status dict(F&& value) {
    KILN_RETURN_IF_ERROR(expect(TokenKind::LBrace));
    if (consumeIf(TokenKind::RBrace)) return Status::ok();
    do {
      Token key = tok_;
      if (!tok_.is(TokenKind::Identifier) && !tok_.is(TokenKind::String)) return unexpected("a key");
      consume();
      KILN_RETURN_IF_ERROR(expect(TokenKind::Equal));
      KILN_RETURN_IF_ERROR(value(key));
    } while (consumeIf(TokenKind::Comma));
    return expect(TokenKind::RBrace);
  }

  // ---- module and function headers ----------------------------------------------------

  Status opsets(std::vector<OpsetImport>& out) {
    return dict([&](const Token& key) {
      OpsetImport o{key.text, 0};
      KILN_RETURN_IF_ERROR(intLit(&o.version));
      out.push_back(std::move(o));
      return Status::ok();
    });
  }

  Status moduleHeader(Model& m) {
    return dict([&](const Token& key) -> Status {
      const std::string& k = key.text;
      if (k == "ir_version") return intLit(&m.irVersion);
      if (k == "producer") return stringLit(&m.producerName);
      if (k == "producer_version") return stringLit(&m.producerVersion);
      if (k == "domain") return stringLit(&m.domain);
      if (k == "model_version") return intLit(&m.modelVersion);
      if (k == "opsets") return opsets(m.opsets);
      if (k == "source_opset") return intLit(&m.sourceOpset);
      if (k == "doc") return stringLit(&m.docString);
      if (k == "metadata")
        return dict([&](const Token& mkey) {
          std::string v;
          KILN_RETURN_IF_ERROR(stringLit(&v));
          m.metadata.emplace_back(mkey.text, std::move(v));
          return Status::ok();
        });
      return error(key, "unknown module field '" + k + "'");
    });
  }

  Status functionHeader(Function& f) {
    return dict([&](const Token& key) -> Status {
      const std::string& k = key.text;
      if (k == "name") return stringLit(&f.name);
      if (k == "domain") return stringLit(&f.domain);
      if (k == "doc") return stringLit(&f.docString);
      if (k == "opsets") return opsets(f.opsets);
      if (k == "attributes") {
        KILN_RETURN_IF_ERROR(expect(TokenKind::LBracket));
        if (consumeIf(TokenKind::RBracket)) return Status::ok();
        do {
          KILN_RETURN_IF_ERROR(stringLit(&f.attributes.emplace_back()));
        } while (consumeIf(TokenKind::Comma));
        return expect(TokenKind::RBracket);
      }
      return error(key, "unknown function field '" + k + "'");
    });
  }

  // ---- values and scopes --------------------------------------------------------------

  Value* lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it)
      if (auto v = it->find(name); v != it->end()) return v->second;
    return nullptr;
  }

  Status define(const Token& at, Value* v) {
    // `%""` would be an omitted value, which only `_` may spell in operand lists.
    if (!v || v->name().empty()) return error(at, "a value name may not be empty");
    if (lookup(v->name())) return error(at, "redefinition of value " + describeToken(at));
    scopes_.back()[v->name()] = v;
    return Status::ok();
  }

  /// `%name` (must be defined already) or `_` (null: an omitted optional operand).
  Status operand(Value** out) {
    if (consumeWord("_")) {
      *out = nullptr;
      return Status::ok();
    }
    if (!tok_.is(TokenKind::ValueName)) return unexpected("a value name or '_'");
    *out = lookup(tok_.text);
    if (!*out) return error(tok_, "use of undefined value " + describeToken(tok_));
    consume();
    return Status::ok();
  }

  // ---- graphs and nodes ---------------------------------------------------------------

  struct DeclaredOutput {
    Token at;
    bool omitted = false;
    std::optional<Type> type;
  };

  Status graphDef(std::unique_ptr<Graph>& out) {
    // scopes_ holds one scope per enclosing graph: its size is this graph's nesting depth.
    if (scopes_.size() > static_cast<size_t>(std::max(limits_.maxSubgraphDepth, 0)))
      return error(tok_, "subgraphs nest deeper than " + std::to_string(limits_.maxSubgraphDepth) + " levels " +
                             limitHint("--max-subgraph-depth"));
    KILN_RETURN_IF_ERROR(expectWord("graph"));
    if (!tok_.is(TokenKind::GraphName)) return unexpected("a graph name (@name)");
    auto g = std::make_unique<Graph>(tok_.text);
    consume();
    scopes_.emplace_back();

    KILN_RETURN_IF_ERROR(expect(TokenKind::LParen));
    if (!tok_.is(TokenKind::RParen)) {
      do {
        Token at = tok_;
        if (!tok_.is(TokenKind::ValueName)) return unexpected("an input name (%name)");
        std::string name = tok_.text;
        consume();
        Type type;
        if (consumeIf(TokenKind::Colon)) KILN_RETURN_IF_ERROR(typeExpr(type));
        Value* v = g->addInput(std::move(name), std::move(type));
        KILN_RETURN_IF_ERROR(define(at, v));
        if (consumeIf(TokenKind::Equal)) {
          Tensor t;
          KILN_RETURN_IF_ERROR(tensorLit(t));
          g->inputDefaults().emplace_back(v, std::move(t));
        }
      } while (consumeIf(TokenKind::Comma));
    }
    KILN_RETURN_IF_ERROR(expect(TokenKind::RParen));

    KILN_RETURN_IF_ERROR(expect(TokenKind::Arrow));
    KILN_RETURN_IF_ERROR(expect(TokenKind::LParen));
    std::vector<DeclaredOutput> declared;
    if (!tok_.is(TokenKind::RParen)) {
      do {
        DeclaredOutput d{tok_};
        if (consumeWord("_")) {
          d.omitted = true;
        } else {
          if (!tok_.is(TokenKind::ValueName)) return unexpected("an output name (%name) or '_'");
          consume();
          if (consumeIf(TokenKind::Colon)) KILN_RETURN_IF_ERROR(typeExpr(d.type.emplace()));
        }
        declared.push_back(std::move(d));
      } while (consumeIf(TokenKind::Comma));
    }
    KILN_RETURN_IF_ERROR(expect(TokenKind::RParen));
    if (consumeWord("doc")) {
      std::string doc;
      KILN_RETURN_IF_ERROR(parenString(&doc));
      g->setDocString(std::move(doc));
    }

    KILN_RETURN_IF_ERROR(expect(TokenKind::LBrace));
    while (!tok_.isWord("return")) {
      if (tok_.is(TokenKind::RBrace) || tok_.is(TokenKind::Eof))
        return unexpected("a node or 'return'");
      KILN_RETURN_IF_ERROR(node(*g));
    }
    Token ret = tok_;
    consume();
    std::vector<Value*> results;
    std::vector<Token> resultTokens;
    if (!tok_.is(TokenKind::RBrace)) {
      do {
        resultTokens.push_back(tok_);
        KILN_RETURN_IF_ERROR(operand(&results.emplace_back()));
      } while (consumeIf(TokenKind::Comma));
    }
    KILN_RETURN_IF_ERROR(expect(TokenKind::RBrace));

    if (results.size() != declared.size())
      return error(ret, "return has " + std::to_string(results.size()) + " values but graph @" +
                            g->name() + " declares " + std::to_string(declared.size()) + " outputs");
    for (size_t i = 0; i < results.size(); ++i) {
      const DeclaredOutput& d = declared[i];
      Value* v = results[i];
      if (d.omitted != (v == nullptr) || (v && v->name() != d.at.text))
        return error(resultTokens[i], "returned " + describeToken(resultTokens[i]) +
                                          " but the graph header declares " + describeToken(d.at));
      if (v && d.type && !(*d.type == v->type()))
        return error(d.at, "output " + describeToken(d.at) + " is declared " + d.type->str() +
                               " but defined as " + v->type().str());
      g->addOutput(v);
    }
    scopes_.pop_back();
    out = std::move(g);
    return Status::ok();
  }

  Status parenString(std::string* out) {
    KILN_RETURN_IF_ERROR(expect(TokenKind::LParen));
    KILN_RETURN_IF_ERROR(stringLit(out));
    return expect(TokenKind::RParen);
  }

  Status node(Graph& g) {
    if (++nodes_ > limits_.maxNodes)
      return error(tok_, "the model has more than " + std::to_string(limits_.maxNodes) + " nodes " +
                             limitHint("--max-nodes"));
    // Results: `%a, _ = ` (absent for a node without outputs).
    std::vector<Token> results;
    if (tok_.is(TokenKind::ValueName) || tok_.isWord("_")) {
      do {
        if (!tok_.is(TokenKind::ValueName) && !tok_.isWord("_")) return unexpected("a result name or '_'");
        results.push_back(tok_);
        consume();
      } while (consumeIf(TokenKind::Comma));
      KILN_RETURN_IF_ERROR(expect(TokenKind::Equal));
    }

    // Op: `Conv`, `com.microsoft.FusedConv` (domain = all before the last dot), `"d"."op"`.
    Token opTok = tok_;
    std::string domain, op;
    if (tok_.is(TokenKind::Identifier)) {
      size_t dot = tok_.text.rfind('.');
      if (dot != std::string::npos) {
        domain = tok_.text.substr(0, dot);
        op = tok_.text.substr(dot + 1);
      } else {
        op = tok_.text;
      }
      if (op.empty()) return error(opTok, "empty op name in " + describeToken(opTok));
      consume();
    } else if (tok_.is(TokenKind::String)) {
      domain = tok_.text;
      consume();
      KILN_RETURN_IF_ERROR(expect(TokenKind::Dot));
      KILN_RETURN_IF_ERROR(stringLit(&op));
    } else {
      return unexpected("an op name");
    }

    std::vector<Value*> inputs;
    KILN_RETURN_IF_ERROR(expect(TokenKind::LParen));
    if (!tok_.is(TokenKind::RParen)) {
      do {
        KILN_RETURN_IF_ERROR(operand(&inputs.emplace_back()));
      } while (consumeIf(TokenKind::Comma));
    }
    KILN_RETURN_IF_ERROR(expect(TokenKind::RParen));
    Node* n = g.createNode(domain, op, std::move(inputs));

    if (tok_.is(TokenKind::LBrace)) {
      KILN_RETURN_IF_ERROR(dict([&](const Token& key) -> Status {
        if (n->attr(key.text)) return error(key, "attribute '" + key.text + "' is given twice");
        Attribute a;
        KILN_RETURN_IF_ERROR(attrValue(a));
        n->setAttr(key.text, std::move(a));
        return Status::ok();
      }));
    }

    size_t present = 0;
    for (const Token& r : results) present += r.is(TokenKind::ValueName);
    std::vector<Type> types(present);
    if (tok_.is(TokenKind::Colon)) {
      Token colon = tok_;
      consume();
      std::vector<Type> written;
      do {
        KILN_RETURN_IF_ERROR(typeExpr(written.emplace_back()));
      } while (consumeIf(TokenKind::Comma));
      if (written.size() != present)
        return error(colon, std::to_string(written.size()) + " types given for " + std::to_string(present) +
                                " results (omitted results '_' take no type)");
      types = std::move(written);
    }

    // Trailing clauses, printed in this order but accepted in any.
    std::optional<std::string> name;
    bool hasLoc = false;
    while (true) {
      Token at = tok_;
      if (consumeWord("loc")) {
        if (hasLoc) return error(at, "loc(...) given twice");
        hasLoc = true;
        KILN_RETURN_IF_ERROR(location(n->location()));
      } else if (consumeWord("name")) {
        if (name) return error(at, "name(...) given twice");
        KILN_RETURN_IF_ERROR(parenString(&name.emplace()));
      } else if (consumeWord("doc")) {
        std::string doc;
        KILN_RETURN_IF_ERROR(parenString(&doc));
        n->setDocString(std::move(doc));
      } else {
        break;
      }
    }
    n->setName(name ? *name : n->location().name);

    // Results become visible only now: the node's own subgraphs cannot see them.
    size_t t = 0;
    for (const Token& r : results) {
      if (!r.is(TokenKind::ValueName)) {
        n->addOutput("");
        continue;
      }
      Value* v = n->addOutput(r.text, std::move(types[t++]));
      KILN_RETURN_IF_ERROR(define(r, v));
    }
    n->setSchema(OpRegistry::builtin().lookup(domain, op));
    return Status::ok();
  }

  /// `loc("file":"name" fused["a", "b"])`; each part optional.
  Status location(Location& loc) {
    KILN_RETURN_IF_ERROR(expect(TokenKind::LParen));
    if (tok_.is(TokenKind::String)) {
      std::string first = std::move(tok_.text);
      consume();
      if (consumeIf(TokenKind::Colon)) {
        loc.file = std::move(first);
        KILN_RETURN_IF_ERROR(stringLit(&loc.name));
      } else {
        loc.name = std::move(first);
      }
    }
    if (consumeWord("fused")) {
      KILN_RETURN_IF_ERROR(expect(TokenKind::LBracket));
      if (!tok_.is(TokenKind::RBracket)) {
        do {
          KILN_RETURN_IF_ERROR(stringLit(&loc.fusedFrom.emplace_back()));
        } while (consumeIf(TokenKind::Comma));
      }
      KILN_RETURN_IF_ERROR(expect(TokenKind::RBracket));
    }
    return expect(TokenKind::RParen);
  }

  // ---- attributes ---------------------------------------------------------------------

  static std::optional<AttrKind> listKind(std::string_view word) {
    static constexpr AttrKind kLists[] = {AttrKind::Floats, AttrKind::Ints, AttrKind::Strings,
                                          AttrKind::Tensors, AttrKind::Graphs, AttrKind::Types};
    for (AttrKind k : kLists)
      if (attrKindName(k) == word) return k;
    return std::nullopt;
  }

  static std::optional<AttrKind> anyKind(std::string_view word) {
    for (int i = 0; i <= static_cast<int>(AttrKind::Types); ++i)
      if (attrKindName(static_cast<AttrKind>(i)) == word) return static_cast<AttrKind>(i);
    return std::nullopt;
  }

  /// An attribute holding the default value of `kind` (for `ref<...>` and empty lists).
  static Attribute emptyOfKind(AttrKind kind) {
    switch (kind) {
      case AttrKind::Float: return Attribute(0.0f);
      case AttrKind::Int: return Attribute(int64_t{0});
      case AttrKind::String: return Attribute(std::string());
      case AttrKind::Tensor: return Attribute(Tensor());
      case AttrKind::Graph: return Attribute(std::make_unique<Graph>(""));
      case AttrKind::Type: return Attribute(Type());
      case AttrKind::Floats: return Attribute(std::vector<float>{});
      case AttrKind::Ints: return Attribute(std::vector<int64_t>{});
      case AttrKind::Strings: return Attribute(std::vector<std::string>{});
      case AttrKind::Tensors: return Attribute(std::vector<Tensor>{});
      case AttrKind::Graphs: return Attribute(std::vector<Attribute::GraphPtr>{});
      case AttrKind::Types: return Attribute(std::vector<Type>{});
    }
    return Attribute();
  }

  Status attrValue(Attribute& out) {
    if (tok_.isWord("ref")) {
      consume();
      KILN_RETURN_IF_ERROR(expect(TokenKind::Less));
      std::string refName;
      KILN_RETURN_IF_ERROR(stringLit(&refName));
      KILN_RETURN_IF_ERROR(expect(TokenKind::Comma));
      std::optional<AttrKind> kind = tok_.is(TokenKind::Identifier) ? anyKind(tok_.text) : std::nullopt;
      if (!kind) return unexpected("an attribute kind (float, ints, ...)");
      consume();
      out = emptyOfKind(*kind);
      out.setRefAttrName(std::move(refName));
      return expect(TokenKind::Greater);
    }
    if (tok_.is(TokenKind::Identifier)) {
      if (std::optional<AttrKind> k = listKind(tok_.text)) {  // `ints[]`: an empty list of a kind
        consume();
        KILN_RETURN_IF_ERROR(expect(TokenKind::LBracket));
        KILN_RETURN_IF_ERROR(expect(TokenKind::RBracket));
        out = emptyOfKind(*k);
        return Status::ok();
      }
    }
    if (tok_.is(TokenKind::LBracket)) {
      Token open = tok_;
      consume();
      std::vector<AttrElem> elems;
      if (tok_.is(TokenKind::RBracket))
        return error(open, "an empty list needs its kind: ints[], floats[], strings[], ...");
      do {
        KILN_RETURN_IF_ERROR(attrElem(elems.emplace_back()));
      } while (consumeIf(TokenKind::Comma));
      KILN_RETURN_IF_ERROR(expect(TokenKind::RBracket));
      return makeList(open, elems, out);
    }
    AttrElem e;
    KILN_RETURN_IF_ERROR(attrElem(e));
    switch (e.kind) {
      case AttrElem::Number:
        if (e.number.isFloat()) {
          float f;
          KILN_RETURN_IF_ERROR(toFloat(e.number, &f));
          out = Attribute(f);
        } else {
          int64_t i;
          KILN_RETURN_IF_ERROR(toInt(e.number, &i));
          out = Attribute(i);
        }
        break;
      case AttrElem::String: out = Attribute(std::move(e.string)); break;
      case AttrElem::Tensor: out = Attribute(std::move(e.tensor)); break;
      case AttrElem::Graph: out = Attribute(std::move(e.graph)); break;
      case AttrElem::Type: out = Attribute(std::move(e.type)); break;
    }
    return Status::ok();
  }

  Status attrElem(AttrElem& e) {
    if (tok_.is(TokenKind::String)) {
      e.kind = AttrElem::String;
      return stringLit(&e.string);
    }
    if (tok_.isWord("dense")) {
      e.kind = AttrElem::Tensor;
      return tensorLit(e.tensor);
    }
    if (tok_.isWord("graph")) {
      e.kind = AttrElem::Graph;
      return graphDef(e.graph);
    }
    if (consumeWord("type")) {
      e.kind = AttrElem::Type;
      KILN_RETURN_IF_ERROR(expect(TokenKind::Less));
      KILN_RETURN_IF_ERROR(typeExpr(e.type));
      return expect(TokenKind::Greater);
    }
    if (tok_.is(TokenKind::Integer) || tok_.is(TokenKind::Float) || tok_.is(TokenKind::Minus) ||
        tok_.isWord("nan") || tok_.isWord("inf")) {
      e.kind = AttrElem::Number;
      return numberLit(e.number);
    }
    return unexpected("an attribute value");
  }

  Status makeList(const Token& open, std::vector<AttrElem>& elems, Attribute& out) {
    AttrElem::Kind kind = elems[0].kind;
    bool anyFloat = false;
    for (const AttrElem& e : elems) {
      if (e.kind != kind) return error(open, "list mixes elements of different kinds");
      anyFloat |= e.kind == AttrElem::Number && e.number.isFloat();
    }
    switch (kind) {
      case AttrElem::Number:
        if (anyFloat) {
          std::vector<float> v(elems.size());
          for (size_t i = 0; i < elems.size(); ++i) KILN_RETURN_IF_ERROR(toFloat(elems[i].number, &v[i]));
          out = Attribute(std::move(v));
        } else {
          std::vector<int64_t> v(elems.size());
          for (size_t i = 0; i < elems.size(); ++i) KILN_RETURN_IF_ERROR(toInt(elems[i].number, &v[i]));
          out = Attribute(std::move(v));
        }
        break;
      case AttrElem::String: {
        std::vector<std::string> v;
        for (auto& e : elems) v.push_back(std::move(e.string));
        out = Attribute(std::move(v));
        break;
      }
      case AttrElem::Tensor: {
        std::vector<Tensor> v;
        for (auto& e : elems) v.push_back(std::move(e.tensor));
        out = Attribute(std::move(v));
        break;
      }
      case AttrElem::Graph: {
        std::vector<Attribute::GraphPtr> v;
        for (auto& e : elems) v.push_back(std::move(e.graph));
        out = Attribute(std::move(v));
        break;
      }
      case AttrElem::Type: {
        std::vector<Type> v;
        for (auto& e : elems) v.push_back(std::move(e.type));
        out = Attribute(std::move(v));
        break;
      }
    }
    return Status::ok();
  }

  // ---- numbers ------------------------------------------------------------------------

  Status numberLit(NumberLit& n) {
    n.negative = consumeIf(TokenKind::Minus);
    n.tok = tok_;
    if (tok_.is(TokenKind::Integer) || tok_.is(TokenKind::Float) || tok_.isWord("inf")) {
      consume();
      return Status::ok();
    }
    if (consumeWord("nan")) {
      if (consumeIf(TokenKind::LParen)) {
        uint64_t bits = 0;
        if (!tok_.is(TokenKind::Integer) || !parseHexBits(tok_.text, &bits))
          return unexpected("NaN bits in hex (0x7fc00001)");
        n.nanBits = bits;
        consume();
        KILN_RETURN_IF_ERROR(expect(TokenKind::RParen));
      }
      return Status::ok();
    }
    return unexpected("a number");
  }

  Status outOfRange(const NumberLit& n, std::string_view type) const {
    return error(n.tok, (n.negative ? "-" : "") + n.tok.text + " is not a valid " + std::string(type));
  }

  // Conversions of a literal once its type is known (ir/ir_lexer.h), as Status.
  Status toInt(const NumberLit& n, int64_t* out) const {
    if (!n.tok.is(TokenKind::Integer)) return error(n.tok, "expected an integer, found " + describeToken(n.tok));
    return literalToInt(n, out) ? Status::ok() : outOfRange(n, "i64");
  }
  Status toUInt64(const NumberLit& n, uint64_t* out) const {
    return literalToUInt64(n, out) ? Status::ok() : outOfRange(n, "u64");
  }
  Status toFloat(const NumberLit& n, float* out) const {
    return literalToFloat(n, out) ? Status::ok() : outOfRange(n, "f32");
  }
  Status toDouble(const NumberLit& n, double* out) const {
    return literalToDouble(n, out) ? Status::ok() : outOfRange(n, "f64");
  }
  Status to16(const NumberLit& n, bool bf16, uint16_t* out) const {
    return literalTo16(n, bf16, out) ? Status::ok() : outOfRange(n, bf16 ? "bf16" : "f16");
  }

  // ---- tensors ------------------------------------------------------------------------

  Status tensorLit(Tensor& out) {
    KILN_RETURN_IF_ERROR(expectWord("dense"));
    KILN_RETURN_IF_ERROR(expect(TokenKind::Less));
    if (consumeIf(TokenKind::Greater)) {  // `dense<>`: a tensor with no type and no data
      out = Tensor();
      return Status::ok();
    }
    Token typeTok = tok_;
    std::optional<DType> dtype = tok_.is(TokenKind::Identifier) ? parseDType(tok_.text) : std::nullopt;
    if (!dtype) return unexpected("an element type (f32, i64, ...)");
    consume();
    std::vector<int64_t> dims;
    KILN_RETURN_IF_ERROR(expect(TokenKind::LBracket));
    if (!tok_.is(TokenKind::RBracket)) {
      do {
        int64_t d;
        Token at = tok_;
        KILN_RETURN_IF_ERROR(intLit(&d));
        if (d < 0) return error(at, "tensor dims must be non-negative");
        dims.push_back(d);
      } while (consumeIf(TokenKind::Comma));
    }
    KILN_RETURN_IF_ERROR(expect(TokenKind::RBracket));
    // Sizes are checked before anything is allocated or multiplied: the dims are untrusted.
    std::optional<int64_t> countOr = safeElementCount(dims);
    std::optional<uint64_t> bytesOr = countOr ? safeByteSize(*dtype, *countOr) : std::nullopt;
    if (!bytesOr)
      return error(typeTok, "dense<" + tensorTypeText(*dtype, dims) + ">: element count overflows int64");
    if (*bytesOr > limits_.maxTensorBytes)
      return error(typeTok, "dense<" + tensorTypeText(*dtype, dims) + "> is " + formatBytes(*bytesOr) +
                                ", over the tensor size limit of " + formatBytes(limits_.maxTensorBytes) + " " +
                                limitHint("--max-tensor-bytes"));
    const int64_t count = *countOr;
    KILN_RETURN_IF_ERROR(expect(TokenKind::Comma));

    // Summary `36.75 KiB, #a41f...` (strings: `#...` only), or the values.
    std::optional<NumberLit> first;
    if (tok_.is(TokenKind::Integer) || tok_.is(TokenKind::Float)) {
      NumberLit n;
      KILN_RETURN_IF_ERROR(numberLit(n));
      if (tok_.is(TokenKind::Identifier)) {
        std::string written = n.tok.text + " " + tok_.text;
        Tensor probe = Tensor::elided(*dtype, dims, 1);
        std::string expected = formatBytes(probe.byteSize());
        if (written != expected)
          return error(n.tok, "summary says " + written + " but " + std::string(dtypeName(*dtype)) +
                                  " with these dims is " + expected);
        consume();
        KILN_RETURN_IF_ERROR(expect(TokenKind::Comma));
        if (!tok_.is(TokenKind::Hash)) return unexpected("a content hash (#0123456789abcdef)");
      } else {
        first = std::move(n);
      }
    }
    if (tok_.is(TokenKind::Hash)) {
      uint64_t hash = 0;
      if (!parseHexBits(tok_.text, &hash)) return error(tok_, "a content hash has at most 16 hex digits");
      consume();
      out = Tensor::elided(*dtype, std::move(dims), hash);
      return expect(TokenKind::Greater);
    }

    TensorBuilder b{*this, *dtype, dims};
    if (first) {  // a scalar written bare: `dense<i64[], 3>`
      KILN_RETURN_IF_ERROR(b.addNumber(*first));
    } else if (consumeIf(TokenKind::LBracket)) {
      if (!tok_.is(TokenKind::RBracket)) {
        do {
          KILN_RETURN_IF_ERROR(b.element());
        } while (consumeIf(TokenKind::Comma));
      }
      KILN_RETURN_IF_ERROR(expect(TokenKind::RBracket));
    } else {
      KILN_RETURN_IF_ERROR(b.element());
    }
    if (b.count != count)
      return error(typeTok, "dense<" + tensorTypeText(*dtype, dims) + "> needs " + std::to_string(count) +
                                " values, found " + std::to_string(b.count));
    KILN_RETURN_IF_ERROR(expect(TokenKind::Greater));
    if (*dtype == DType::String) {
      out = Tensor::fromStrings(std::move(dims), std::move(b.strings));
      return Status::ok();
    }
    auto t = Tensor::fromBuffer(*dtype, std::move(dims), std::make_shared<OwnedBuffer>(std::move(b.bytes)));
    if (!t) return error(typeTok, t.status().diagnostic().message);
    out = t.take();
    return Status::ok();
  }

  /// Collects tensor elements as bytes of the tensor's dtype.
  struct TensorBuilder {
    Parser& p;
    DType dtype;
    const std::vector<int64_t>& dims;
    std::vector<std::byte> bytes;
    std::vector<std::string> strings;
    int64_t count = 0;

    template <typename T>
    void put(T v) {
      size_t at = bytes.size();
      bytes.resize(at + sizeof(T));
      std::memcpy(bytes.data() + at, &v, sizeof(T));
    }

    template <typename T>
    Status putInt(const NumberLit& n) {
      int64_t v;
      KILN_RETURN_IF_ERROR(p.toInt(n, &v));
      if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
        return p.outOfRange(n, dtypeName(dtype));
      put(static_cast<T>(v));
      return Status::ok();
    }

    Status addNumber(const NumberLit& n) {
      ++count;
      switch (dtype) {
        case DType::Float32: { float f; KILN_RETURN_IF_ERROR(p.toFloat(n, &f)); put(f); return Status::ok(); }
        case DType::Float64: { double d; KILN_RETURN_IF_ERROR(p.toDouble(n, &d)); put(d); return Status::ok(); }
        case DType::Float16:
        case DType::BFloat16: {
          uint16_t h = 0;
          KILN_RETURN_IF_ERROR(p.to16(n, dtype == DType::BFloat16, &h));
          put(h);
          return Status::ok();
        }
        case DType::Int8: return putInt<int8_t>(n);
        case DType::Int16: return putInt<int16_t>(n);
        case DType::Int32: return putInt<int32_t>(n);
        case DType::Int64: return putInt<int64_t>(n);
        case DType::UInt8: return putInt<uint8_t>(n);
        case DType::UInt16: return putInt<uint16_t>(n);
        case DType::UInt32: return putInt<uint32_t>(n);
        case DType::UInt64: { uint64_t u; KILN_RETURN_IF_ERROR(p.toUInt64(n, &u)); put(u); return Status::ok(); }
        case DType::Bool: {
          int64_t v;
          KILN_RETURN_IF_ERROR(p.toInt(n, &v));
          if (v != 0 && v != 1) return p.outOfRange(n, "bool");
          put(static_cast<uint8_t>(v));
          return Status::ok();
        }
        default: return p.error(n.tok, "a " + std::string(dtypeName(dtype)) + " tensor cannot hold a number");
      }
    }

    Status element() {
      if (dtype == DType::String) {
        ++count;
        return p.stringLit(&strings.emplace_back());
      }
      if (dtype == DType::Bool && (p.tok_.isWord("true") || p.tok_.isWord("false"))) {
        ++count;
        put(static_cast<uint8_t>(p.tok_.isWord("true")));
        p.consume();
        return Status::ok();
      }
      if (dtype == DType::Complex64 || dtype == DType::Complex128) {  // (re, im)
        ++count;
        KILN_RETURN_IF_ERROR(p.expect(TokenKind::LParen));
        for (int part = 0; part < 2; ++part) {
          if (part) KILN_RETURN_IF_ERROR(p.expect(TokenKind::Comma));
          NumberLit n;
          KILN_RETURN_IF_ERROR(p.numberLit(n));
          if (dtype == DType::Complex64) {
            float f;
            KILN_RETURN_IF_ERROR(p.toFloat(n, &f));
            put(f);
          } else {
            double d;
            KILN_RETURN_IF_ERROR(p.toDouble(n, &d));
            put(d);
          }
        }
        return p.expect(TokenKind::RParen);
      }
      NumberLit n;
      KILN_RETURN_IF_ERROR(p.numberLit(n));
      return addNumber(n);
    }
  };

  // ---- types and dims -----------------------------------------------------------------

  /// `?`, `f32[1,batch]`, `?[*]`, `seq<...>`, `opt<...>`.
  Status typeExpr(Type& out) {
    if (consumeIf(TokenKind::Question)) {
      if (!tok_.is(TokenKind::LBracket)) {
        out = Type();
        return Status::ok();
      }
      Shape s;
      KILN_RETURN_IF_ERROR(shape(s));
      out = Type::tensor(DType::Undefined, std::move(s));
      return Status::ok();
    }
    if (!tok_.is(TokenKind::Identifier)) return unexpected("a type");
    if (tok_.text == "seq" || tok_.text == "opt") {
      bool seq = tok_.text == "seq";
      // Bounded so that `seq<seq<...` cannot exhaust the stack; no real type nests this deep.
      if (++typeDepth_ > kMaxTypeDepth) return error(tok_, "types nest deeper than " + std::to_string(kMaxTypeDepth) + " levels");
      consume();
      KILN_RETURN_IF_ERROR(expect(TokenKind::Less));
      Type element;
      KILN_RETURN_IF_ERROR(typeExpr(element));
      KILN_RETURN_IF_ERROR(expect(TokenKind::Greater));
      out = seq ? Type::sequence(std::move(element)) : Type::optional(std::move(element));
      --typeDepth_;
      return Status::ok();
    }
    std::optional<DType> dtype = parseDType(tok_.text);
    if (!dtype) return unexpected("a type");
    consume();
    Shape s;
    KILN_RETURN_IF_ERROR(shape(s));
    out = Type::tensor(*dtype, std::move(s));
    return Status::ok();
  }

  /// `[*]` (unranked) or `[d0,d1,...]`.
  Status shape(Shape& out) {
    KILN_RETURN_IF_ERROR(expect(TokenKind::LBracket));
    if (consumeIf(TokenKind::Star)) {
      out = Shape::unranked();
      return expect(TokenKind::RBracket);
    }
    std::vector<Dim> dims;
    if (!tok_.is(TokenKind::RBracket)) {
      do {
        KILN_RETURN_IF_ERROR(dim(dims.emplace_back()));
      } while (consumeIf(TokenKind::Comma));
    }
    out = Shape(std::move(dims));
    return expect(TokenKind::RBracket);
  }

  /// `?`, or a polynomial: `128`, `batch`, `2*batch+1`, `batch*heads`, `sequence-1`, `"a b"`.
  /// Built with Dim's own arithmetic, so the result is the same interned expression.
  Status dim(Dim& out) {
    if (consumeIf(TokenKind::Question)) {
      out = Dim::unknown();
      return Status::ok();
    }
    bool negate = consumeIf(TokenKind::Minus);
    Dim sum;
    KILN_RETURN_IF_ERROR(dimTerm(sum, negate));
    while (tok_.is(TokenKind::Plus) || tok_.is(TokenKind::Minus)) {
      bool minus = tok_.is(TokenKind::Minus);
      consume();
      Dim t;
      KILN_RETURN_IF_ERROR(dimTerm(t, minus));
      sum = sum + t;
    }
    out = sum;
    return Status::ok();
  }

  /// A term's sign goes with its first factor, so the printed `-9223372036854775808*n` (an
  /// INT64_MIN coefficient, whose magnitude is no int64) reads back.
  Status dimTerm(Dim& out, bool negative) {
    KILN_RETURN_IF_ERROR(dimFactor(out, negative));
    while (consumeIf(TokenKind::Star)) {
      Dim f;
      KILN_RETURN_IF_ERROR(dimFactor(f, false));
      out = out * f;
    }
    return Status::ok();
  }

  Status dimFactor(Dim& out, bool negative) {
    if (tok_.is(TokenKind::Integer)) {
      NumberLit n{.negative = negative, .tok = tok_};
      consume();
      int64_t v;
      KILN_RETURN_IF_ERROR(toInt(n, &v));
      out = Dim(v);
      return Status::ok();
    }
    if (tok_.is(TokenKind::Identifier) || tok_.is(TokenKind::String)) {
      out = Dim::symbol(tok_.text);
      consume();
      if (negative) out = Dim(0) - out;
      return Status::ok();
    }
    return unexpected("a dim (integer, symbol or '?')");
  }

  static constexpr int kMaxTypeDepth = 64;

  Lexer lex_;
  std::string file_;
  const Limits& limits_;
  Token tok_;
  std::vector<std::unordered_map<std::string, Value*>> scopes_;
  int64_t nodes_ = 0;
  int typeDepth_ = 0;
};

}  // namespace

Expected<Model> parseModel(std::string_view text, const std::string& fileName, const Limits& limits) {
  Model m;
  m.graph.reset();
  Parser p(text, fileName, limits);
  KILN_RETURN_IF_ERROR(p.model(m));
  m.sourcePath = fileName;
  return m;
}

Expected<std::unique_ptr<Graph>> parseGraph(std::string_view text, const std::string& fileName,
                                            const Limits& limits) {
  std::unique_ptr<Graph> g;
  Parser p(text, fileName, limits);
  KILN_RETURN_IF_ERROR(p.singleGraph(g));
  return g;
}

}  // namespace kiln
