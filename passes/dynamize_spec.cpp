#include "passes/dynamize_spec.h"

#include <cctype>
#include <charconv>

namespace kiln {
namespace {

std::optional<int64_t> parseInt(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool isSymbolName(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace

std::string DynamicAxis::str() const {
  std::string out = input + ":" + std::to_string(axis) + "=" + symbol;
  if (traced) out += "@" + std::to_string(*traced);
  return out;
}

Expected<DynamicAxis> parseDynamicAxis(std::string_view text) {
  auto bad = [&](std::string why) {
    return Status::error("--dynamic '" + std::string(text) + "': " + why +
                         " (expected NAME:AXIS=SYMBOL, e.g. input_ids:1=sequence, or NAME:AXIS=SYMBOL@TRACED)");
  };
  DynamicAxis d;
  std::string_view rest = text;
  // Names may contain ':' (torch's `onnx::Add_0`), so the axis is after the last ':' before '='.
  size_t eq = rest.rfind('=');
  if (eq == std::string_view::npos) return bad("no '='");
  std::string_view symbol = rest.substr(eq + 1);
  if (size_t at = symbol.find('@'); at != std::string_view::npos) {
    auto traced = parseInt(symbol.substr(at + 1));
    if (!traced || *traced < 1) return bad("the traced size after '@' must be a positive integer");
    d.traced = traced;
    symbol = symbol.substr(0, at);
  }
  if (!isSymbolName(symbol)) return bad("symbol '" + std::string(symbol) + "' is not an identifier");
  d.symbol = std::string(symbol);
  size_t colon = rest.substr(0, eq).rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad("no input name before ':'");
  auto axis = parseInt(rest.substr(colon + 1, eq - colon - 1));
  if (!axis) return bad("axis '" + std::string(rest.substr(colon + 1, eq - colon - 1)) + "' is not an integer");
  d.axis = *axis;
  d.input = std::string(rest.substr(0, colon));
  return d;
}

Expected<std::vector<DynamicAxis>> parseDynamicAxes(std::string_view text) {
  std::vector<DynamicAxis> out;
  while (!text.empty()) {
    size_t semi = text.find(';');
    std::string_view one = text.substr(0, semi);
    if (!one.empty()) {
      auto d = parseDynamicAxis(one);
      if (!d) return d.takeStatus();
      out.push_back(d.take());
    }
    if (semi == std::string_view::npos) break;
    text = text.substr(semi + 1);
  }
  return out;
}

std::string formatDynamicAxes(const std::vector<DynamicAxis>& axes) {
  std::string out;
  for (size_t i = 0; i < axes.size(); ++i) out += (i ? ";" : "") + axes[i].str();
  return out;
}

}  // namespace kiln
