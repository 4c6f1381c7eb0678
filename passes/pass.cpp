#include "passes/pass.h"

#include <charconv>
#include <cstdlib>

namespace kiln {

std::string PassOption::valueText() const {
  return std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, int64_t>) return std::to_string(*p);
        if constexpr (std::is_same_v<T, double>) {
          char buf[64];
          auto res = std::to_chars(buf, buf + sizeof buf, *p);
          return std::string(buf, res.ptr);
        }
        if constexpr (std::is_same_v<T, bool>) return *p ? "true" : "false";
        if constexpr (std::is_same_v<T, std::string>) return *p;
      },
      field);
}

std::string_view PassOption::typeName() const {
  switch (field.index()) {
    case 0: return "int";
    case 1: return "float";
    case 2: return "bool";
    default: return "string";
  }
}

Status PassOption::set(std::string_view text) {
  auto bad = [&] {
    return Status::error("option '" + name + "' expects " + std::string(typeName() == "int" ? "an " : "a ") +
                         std::string(typeName()) + ", got '" + std::string(text) + "'");
  };
  return std::visit(
      [&](auto* p) -> Status {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          int64_t v = 0;
          auto res = std::from_chars(text.data(), text.data() + text.size(), v);
          if (res.ec != std::errc() || res.ptr != text.data() + text.size()) return bad();
          *p = v;
        } else if constexpr (std::is_same_v<T, double>) {
          std::string s(text);
          char* end = nullptr;
          double v = std::strtod(s.c_str(), &end);
          if (s.empty() || end != s.c_str() + s.size()) return bad();
          *p = v;
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "true" || text == "1") *p = true;
          else if (text == "false" || text == "0") *p = false;
          else return bad();
        } else {
          *p = std::string(text);
        }
        return Status::ok();
      },
      field);
}

Status Pass::setOption(std::string_view optionName, std::string_view value) {
  for (auto& o : options_)
    if (o.name == optionName) {
      Status s = o.set(value);
      if (!s) s.diagnostic().message = "pass '" + name_ + "': " + s.diagnostic().message;
      return s;
    }
  std::string known;
  for (const auto& o : options_) known += (known.empty() ? "" : ", ") + o.name;
  return Status::error("pass '" + name_ + "' has no option '" + std::string(optionName) + "'" +
                       (known.empty() ? " (it takes none)" : " (options: " + known + ")"));
}

std::string Pass::str() const {
  std::string opts;
  for (const auto& o : options_) {
    std::string v = o.valueText();
    if (v == o.defaultText) continue;
    opts += (opts.empty() ? "" : " ") + o.name + "=" + v;
  }
  return opts.empty() ? name_ : name_ + "{" + opts + "}";
}

}  // namespace kiln
