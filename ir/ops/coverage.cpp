#include "ir/ops/coverage.h"

#include <charconv>

namespace kiln {
namespace {

std::string arity(int lo, int hi) {
  if (hi == OpSchema::kVariadic) return std::to_string(lo) + "+";
  if (lo == hi) return std::to_string(lo);
  return std::to_string(lo) + "-" + std::to_string(hi);
}

std::string floatText(float f) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, f);  // shortest round-trip form
  return std::string(buf, res.ptr);
}

std::string defaultText(const Attribute& a) {
  auto join = [](const auto& items, auto fmt) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + fmt(items[i]);
    return out + "]";
  };
  switch (a.kind()) {
    case AttrKind::Float: return floatText(a.f());
    case AttrKind::Int: return std::to_string(a.i());
    case AttrKind::String: return "\"" + a.s() + "\"";
    case AttrKind::Floats: return join(a.floats(), floatText);
    case AttrKind::Ints: return join(a.ints(), [](int64_t v) { return std::to_string(v); });
    case AttrKind::Strings: return join(a.strings(), [](const std::string& s) { return "\"" + s + "\""; });
    default: return std::string(attrKindName(a.kind()));
  }
}

std::string attributesText(const OpSchema& s) {
  std::string out;
  for (const AttrSpec& a : s.attributes) {
    if (!out.empty()) out += ", ";
    out += "`" + a.name;
    if (a.defaultValue) out += "=" + defaultText(*a.defaultValue);
    out += "`";
    if (a.required) out += " (required)";
  }
  return out;
}

/// Markdown cells cannot hold a bare pipe or newline.
std::string cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace

std::string opCoverageMarkdown(const OpRegistry& registry, const CoverageColumns& extra) {
  std::string out = "| Op | Version | Inputs | Outputs | Attributes | Shape inference |";
  std::string rule = "|---|---|---|---|---|---|";
  for (const auto& h : extra.headers) {
    out += " " + cell(h) + " |";
    rule += "---|";
  }
  out += "\n" + rule + "\n";
  for (const OpSchema* s : registry.all()) {
    std::string name = s->domain.empty() ? s->name : s->domain + "." + s->name;
    out += "| " + cell(name) + " | " + std::to_string(s->sinceVersion) + " | " +
           arity(s->minInputs, s->maxInputs) + " | " + arity(s->minOutputs, s->maxOutputs) + " | " +
           cell(attributesText(*s)) + " | " + (s->inferShapes ? "yes" : "no") + " |";
    if (!extra.headers.empty()) {
      std::vector<std::string> cells = extra.cells ? extra.cells(*s) : std::vector<std::string>{};
      cells.resize(extra.headers.size());
      for (const auto& c : cells) out += " " + cell(c) + " |";
    }
    out += "\n";
  }
  return out;
}

}  // namespace kiln
