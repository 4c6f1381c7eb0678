#include "ir/printer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "ir/float16.h"

namespace kiln {
namespace {

bool isBareName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string graphName(std::string_view name) {
  return "@" + (isBareName(name) ? std::string(name) : quoteString(name));
}

std::string hexBits(uint64_t bits, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(bits));
  return buf;
}

/// NaNs print as `nan` / `-nan` when their bits are what the parser builds for those words,
/// else with their exact bits, so tensors keep identical bytes through a round trip.
std::string formatNan(uint64_t bits, uint64_t canonical, uint64_t signBit, int hexDigits) {
  if ((bits & ~signBit) == canonical) return (bits & signBit) ? "-nan" : "nan";
  return "nan(" + hexBits(bits, hexDigits) + ")";
}

template <typename F>
std::string formatFloating(F v, bool forceDecimal, uint64_t bits, uint64_t canonicalNan,
                           uint64_t signBit) {
  if (std::isnan(v)) return formatNan(bits, canonicalNan, signBit, sizeof(F) * 2);
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip digits
  std::string s(buf, res.ptr);
  if (forceDecimal && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

uint32_t floatBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

/// A 16-bit float (f16 or bf16) printed as the float it denotes; NaN keeps its bits.
std::string format16(uint16_t bits, bool isBf16) {
  float f = isBf16 ? bfloat16ToFloat(bits) : halfToFloat(bits);
  if (std::isnan(f)) {
    float qnan = std::numeric_limits<float>::quiet_NaN();
    uint16_t canonical = isBf16 ? floatToBfloat16(qnan) : floatToHalf(qnan);
    return formatNan(bits, canonical, 0x8000, 4);
  }
  // The float's shortest digits always read back to these bits; fewer digits often do too
  // (bf16 0.1 is 0.10009766 as a float). Take the shortest text that reads back exactly, by
  // the parser's own path: decimal -> nearest float -> nearest 16-bit value.
  std::string best = formatFloat(f, false);
  for (int precision = 1; precision < 9; ++precision) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::general, precision);
    float back = 0;
    std::from_chars(buf, res.ptr, back);
    if ((isBf16 ? floatToBfloat16(back) : floatToHalf(back)) != bits) continue;
    if (static_cast<size_t>(res.ptr - buf) < best.size()) best.assign(buf, res.ptr);
    break;
  }
  return best;
}

template <typename T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::string formatElement(const Tensor& t, int64_t i) {
  const size_t size = dtypeSize(t.dtype());
  const std::byte* p = t.rawData() + static_cast<size_t>(i) * size;
  switch (t.dtype()) {
    case DType::Float32: return formatFloat(load<float>(p), false);
    case DType::Float64: return formatDouble(load<double>(p), false);
    case DType::Float16: return format16(load<uint16_t>(p), false);
    case DType::BFloat16: return format16(load<uint16_t>(p), true);
    case DType::Bool: return load<uint8_t>(p) ? "true" : "false";
    case DType::Int8: return std::to_string(load<int8_t>(p));
    case DType::Int16: return std::to_string(load<int16_t>(p));
    case DType::Int32: return std::to_string(load<int32_t>(p));
    case DType::Int64: return std::to_string(load<int64_t>(p));
    case DType::UInt8: return std::to_string(load<uint8_t>(p));
    case DType::UInt16: return std::to_string(load<uint16_t>(p));
    case DType::UInt32: return std::to_string(load<uint32_t>(p));
    case DType::UInt64: return std::to_string(load<uint64_t>(p));
    case DType::Complex64:
      return "(" + formatFloat(load<float>(p), false) + ", " + formatFloat(load<float>(p + 4), false) + ")";
    case DType::Complex128:
      return "(" + formatDouble(load<double>(p), false) + ", " + formatDouble(load<double>(p + 8), false) + ")";
    case DType::String: return quoteString(t.strings()[static_cast<size_t>(i)]);
    case DType::Undefined: break;
  }
  return "?";
}

std::string tensorTypeText(const Tensor& t) {
  std::string out(dtypeName(t.dtype()));
  out += '[';
  for (size_t i = 0; i < t.dims().size(); ++i) {
    if (i) out += ',';
    out += std::to_string(t.dims()[i]);
  }
  return out + ']';
}

class Printer {
 public:
  explicit Printer(const PrintOptions& options) : opts_(options) {}

  std::string take() { return std::move(out_); }

  void model(const Model& m) {
    out_ += "module {ir_version = " + std::to_string(m.irVersion);
    if (!m.producerName.empty()) out_ += ", producer = " + quoteString(m.producerName);
    if (!m.producerVersion.empty()) out_ += ", producer_version = " + quoteString(m.producerVersion);
    if (!m.domain.empty()) out_ += ", domain = " + quoteString(m.domain);
    if (m.modelVersion != 0) out_ += ", model_version = " + std::to_string(m.modelVersion);
    out_ += ", opsets = ";
    opsets(m.opsets);
    if (m.sourceOpset != 0) out_ += ", source_opset = " + std::to_string(m.sourceOpset);
    if (!m.metadata.empty()) {
      out_ += ", metadata = {";
      for (size_t i = 0; i < m.metadata.size(); ++i) {
        if (i) out_ += ", ";
        out_ += quoteString(m.metadata[i].first) + " = " + quoteString(m.metadata[i].second);
      }
      out_ += "}";
    }
    if (!m.docString.empty()) out_ += ", doc = " + quoteString(m.docString);
    out_ += "}\n";
    if (m.graph) {
      graph(*m.graph, 0);
      out_ += "\n";
    }
    for (const Function& f : m.functions) {
      out_ += "\nfunction {name = " + quoteString(f.name) + ", domain = " + quoteString(f.domain);
      if (!f.attributes.empty()) {
        out_ += ", attributes = [";
        for (size_t i = 0; i < f.attributes.size(); ++i)
          out_ += (i ? ", " : "") + quoteString(f.attributes[i]);
        out_ += "]";
      }
      if (!f.opsets.empty()) {
        out_ += ", opsets = ";
        opsets(f.opsets);
      }
      if (!f.docString.empty()) out_ += ", doc = " + quoteString(f.docString);
      out_ += "}\n";
      if (f.body) {
        graph(*f.body, 0);
        out_ += "\n";
      }
    }
  }

  void graph(const Graph& g, int indent) {
    std::unordered_map<const Value*, const Tensor*> defaults;
    for (const auto& [v, t] : g.inputDefaults()) defaults.emplace(v, &t);

    std::vector<std::string> ins;
    bool anyDefault = false;
    size_t width = 0;
    for (size_t i = 0; i < g.numInputs(); ++i) {
      const Value* v = g.input(i);
      std::string s = printValueName(v->name()) + ": " + v->type().str();
      if (auto it = defaults.find(v); it != defaults.end()) {
        s += " = " + tensorText(*it->second);
        anyDefault = true;
      }
      width += s.size() + 2;
      ins.push_back(std::move(s));
    }
    out_ += "graph " + graphName(g.name()) + "(";
    // One input per line when the list would be hard to read on one.
    if (ins.size() > 1 && (anyDefault || width > 100)) {
      for (size_t i = 0; i < ins.size(); ++i)
        out_ += "\n" + pad(indent + 4) + ins[i] + (i + 1 < ins.size() ? "," : "");
      out_ += "\n" + pad(indent);
    } else {
      for (size_t i = 0; i < ins.size(); ++i) out_ += (i ? ", " : "") + ins[i];
    }
    out_ += ") -> (";
    for (size_t i = 0; i < g.numOutputs(); ++i) {
      if (i) out_ += ", ";
      const Value* v = g.output(i);
      out_ += v ? printValueName(v->name()) + ": " + v->type().str() : "_";
    }
    out_ += ")";
    if (!g.docString().empty()) out_ += " doc(" + quoteString(g.docString()) + ")";
    out_ += " {\n";
    for (const Node* n : g.nodes()) {
      out_ += pad(indent + 2);
      node(*n, indent + 2);
      out_ += "\n";
    }
    out_ += pad(indent + 2) + "return";
    for (size_t i = 0; i < g.numOutputs(); ++i) {
      out_ += i ? ", " : " ";
      const Value* v = g.output(i);
      out_ += v ? printValueName(v->name()) : "_";
    }
    out_ += "\n" + pad(indent) + "}";
  }

  void node(const Node& n, int indent) {
    for (size_t i = 0; i < n.numOutputs(); ++i) {
      if (i) out_ += ", ";
      const Value* v = n.output(i);
      out_ += v ? printValueName(v->name()) : "_";
    }
    if (n.numOutputs() > 0) out_ += " = ";
    opName(n);
    out_ += "(";
    for (size_t i = 0; i < n.numInputs(); ++i) {
      if (i) out_ += ", ";
      const Value* v = n.input(i);
      out_ += v ? printValueName(v->name()) : "_";
    }
    out_ += ")";
    if (!n.attributes().empty()) {
      out_ += " {";
      bool first = true;
      for (const auto& [name, a] : n.attributes()) {
        if (!first) out_ += ", ";
        first = false;
        out_ += quoteIfNeeded(name) + " = ";
        attribute(a, indent);
      }
      out_ += "}";
    }
    bool anyKnown = false;
    for (size_t i = 0; i < n.numOutputs(); ++i)
      if (n.output(i) && !n.output(i)->type().isUnknown()) anyKnown = true;
    if (anyKnown) {
      out_ += " : ";
      bool first = true;
      for (size_t i = 0; i < n.numOutputs(); ++i) {
        if (!n.output(i)) continue;  // omitted outputs have no type to print
        if (!first) out_ += ", ";
        first = false;
        out_ += n.output(i)->type().str();
      }
    }
    const Location& loc = n.location();
    bool locPrinted = opts_.printLocations && !loc.empty();
    if (locPrinted) location(loc);
    // The node name is implied by the location name; print it only when they differ.
    if (n.name() != (locPrinted ? loc.name : std::string()))
      out_ += " name(" + quoteString(n.name()) + ")";
    if (!n.docString().empty()) out_ += " doc(" + quoteString(n.docString()) + ")";
  }

 private:
  static std::string pad(int n) { return std::string(static_cast<size_t>(n), ' '); }

  void opsets(const std::vector<OpsetImport>& list) {
    out_ += "{";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out_ += ", ";
      out_ += quoteString(list[i].domain) + " = " + std::to_string(list[i].version);
    }
    out_ += "}";
  }

  void opName(const Node& n) {
    // Words that start other statements or clauses where a node may start are quoted.
    static constexpr std::string_view kReserved[] = {"_", "return", "loc", "name", "doc"};
    bool bare = isIdentifier(n.opType()) &&
                std::find(std::begin(kReserved), std::end(kReserved), n.opType()) == std::end(kReserved);
    std::string_view d = n.domain();
    while (bare && !d.empty()) {
      size_t dot = d.find('.');
      bare = isIdentifier(d.substr(0, dot));
      d = dot == std::string_view::npos ? std::string_view() : d.substr(dot + 1);
      if (dot != std::string_view::npos && d.empty()) bare = false;  // trailing dot
    }
    if (bare)
      out_ += n.qualifiedOp();
    else
      out_ += quoteString(n.domain()) + "." + quoteString(n.opType());
  }

  void location(const Location& loc) {
    out_ += " loc(";
    if (!loc.file.empty())
      out_ += quoteString(loc.file) + ":" + quoteString(loc.name);
    else if (!loc.name.empty())
      out_ += quoteString(loc.name);
    if (!loc.fusedFrom.empty()) {
      if (!loc.file.empty() || !loc.name.empty()) out_ += " ";
      out_ += "fused[";
      for (size_t i = 0; i < loc.fusedFrom.size(); ++i)
        out_ += (i ? ", " : "") + quoteString(loc.fusedFrom[i]);
      out_ += "]";
    }
    out_ += ")";
  }

  std::string tensorText(const Tensor& t) const {
    if (t.dtype() == DType::Undefined && !t.isElided()) return "dense<>";
    std::string out = "dense<" + tensorTypeText(t) + ", ";
    int64_t count = t.numElements();
    bool elide = t.isElided() || !t.hasData() ||
                 (opts_.elideConstantsAbove != 0 && count > static_cast<int64_t>(opts_.elideConstantsAbove));
    if (elide) {
      // String tensors have no fixed byte size a parsed summary could reproduce.
      if (t.dtype() != DType::String) out += formatBytes(t.byteSize()) + ", ";
      return out + "#" + hexBits(t.hash(), 16).substr(2) + ">";
    }
    if (t.rank() == 0) return out + formatElement(t, 0) + ">";
    out += "[";
    for (int64_t i = 0; i < count; ++i) {
      if (i) out += ", ";
      out += formatElement(t, i);
    }
    return out + "]>";
  }

  template <typename T, typename F>
  void list(const std::vector<T>& items, std::string_view kindName, F&& each) {
    if (items.empty()) {
      out_ += kindName;
      out_ += "[]";
      return;
    }
    out_ += "[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out_ += ", ";
      each(items[i]);
    }
    out_ += "]";
  }

  void attribute(const Attribute& a, int indent) {
    if (!a.refAttrName().empty()) {
      out_ += "ref<" + quoteString(a.refAttrName()) + ", " + std::string(attrKindName(a.kind())) + ">";
      return;
    }
    std::string_view kind = attrKindName(a.kind());
    switch (a.kind()) {
      case AttrKind::Float: out_ += formatFloat(a.f(), true); break;
      case AttrKind::Int: out_ += std::to_string(a.i()); break;
      case AttrKind::String: out_ += quoteString(a.s()); break;
      case AttrKind::Tensor: out_ += tensorText(a.t()); break;
      case AttrKind::Graph: graph(a.g(), indent); break;
      case AttrKind::Type: out_ += "type<" + a.type().str() + ">"; break;
      case AttrKind::Floats: list(a.floats(), kind, [&](float f) { out_ += formatFloat(f, true); }); break;
      case AttrKind::Ints: list(a.ints(), kind, [&](int64_t i) { out_ += std::to_string(i); }); break;
      case AttrKind::Strings:
        list(a.strings(), kind, [&](const std::string& s) { out_ += quoteString(s); });
        break;
      case AttrKind::Tensors:
        list(a.tensors(), kind, [&](const Tensor& t) { out_ += tensorText(t); });
        break;
      case AttrKind::Graphs:
        list(a.graphs(), kind, [&](const Attribute::GraphPtr& g) { graph(*g, indent); });
        break;
      case AttrKind::Types:
        list(a.types(), kind, [&](const Type& t) { out_ += "type<" + t.str() + ">"; });
        break;
    }
  }

  const PrintOptions& opts_;
  std::string out_;
};

}  // namespace

std::string printValueName(std::string_view name) {
  return "%" + (isBareName(name) ? std::string(name) : quoteString(name));
}

std::string formatFloat(float v, bool forceDecimal) {
  return formatFloating(v, forceDecimal, floatBits(v),
                        floatBits(std::numeric_limits<float>::quiet_NaN()), 0x80000000u);
}

std::string formatDouble(double v, bool forceDecimal) {
  uint64_t bits, canonical;
  double q = std::numeric_limits<double>::quiet_NaN();
  std::memcpy(&bits, &v, 8);
  std::memcpy(&canonical, &q, 8);
  return formatFloating(v, forceDecimal, bits, canonical, 0x8000000000000000ull);
}

std::string printModel(const Model& model, const PrintOptions& options) {
  Printer p(options);
  p.model(model);
  return p.take();
}

std::string printGraph(const Graph& graph, const PrintOptions& options) {
  Printer p(options);
  p.graph(graph, 0);
  return p.take() + "\n";
}

std::string printNode(const Node& node, const PrintOptions& options) {
  Printer p(options);
  p.node(node, 0);
  return p.take();
}

}  // namespace kiln
