#include "passes/pipeline.h"

#include <cctype>
#include <charconv>

#include "passes/pass_registry.h"

namespace kiln {

std::string PipelineEntry::str() const {
  if (!isFixpoint()) return pass->str();
  std::string out = "fixpoint";
  if (maxIterations != kDefaultMaxIterations) out += "{max-iterations=" + std::to_string(maxIterations) + "}";
  out += "(";
  for (size_t i = 0; i < group.size(); ++i) out += (i ? "," : "") + group[i].str();
  return out + ")";
}

std::string Pipeline::str() const {
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) out += (i ? "," : "") + entries[i].str();
  return out;
}

void Pipeline::add(std::unique_ptr<Pass> pass) {
  PipelineEntry e;
  e.pass = std::move(pass);
  entries.push_back(std::move(e));
}

void Pipeline::addFixpoint(Pipeline group, int64_t maxIterations) {
  PipelineEntry e;
  e.group = std::move(group.entries);
  e.maxIterations = maxIterations;
  entries.push_back(std::move(e));
}

namespace {

class PipelineParser {
 public:
  explicit PipelineParser(std::string_view text) : text_(text) {}

  Expected<Pipeline> parseAll() {
    auto p = parseList(/*nested=*/false);
    if (!p) return p;
    skipSpace();
    if (pos_ < text_.size()) return error("unexpected '" + std::string(1, text_[pos_]) + "'");
    return p;
  }

 private:
  Status error(std::string message) const {
    return Status::error("pass pipeline '" + std::string(text_) + "': column " + std::to_string(pos_ + 1) +
                         ": " + message);
  }
  Status error(size_t at, std::string message) {
    pos_ = at;
    return error(std::move(message));
  }

  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  static bool isNameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  }
  std::string_view name() {
    skipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && isNameChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  Expected<Pipeline> parseList(bool nested) {
    Pipeline p;
    skipSpace();
    if (pos_ == text_.size() || (nested && text_[pos_] == ')')) {
      if (nested) return error("empty fixpoint group");
      return p;
    }
    while (true) {
      auto e = parseEntry();
      if (!e) return e.takeStatus();
      p.entries.push_back(e.take());
      if (!eat(',')) break;
    }
    return p;
  }

  /// `{key=value ...}` after a name; calls `set` for each pair.
  template <typename F>
  Status parseOptions(F&& set) {
    if (!eat('{')) return Status::ok();
    while (true) {
      skipSpace();
      if (eat('}')) return Status::ok();
      size_t keyAt = pos_;
      std::string_view key = name();
      if (key.empty()) return error("expected an option name or '}'");
      if (!eat('=')) return error("expected '=' after option '" + std::string(key) + "'");
      skipSpace();
      size_t start = pos_;
      while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[pos_])) &&
             text_[pos_] != '}' && text_[pos_] != ',')
        ++pos_;
      std::string_view value = text_.substr(start, pos_ - start);
      if (value.empty()) return error("option '" + std::string(key) + "' has no value");
      if (Status s = set(key, value); !s) return error(keyAt, s.diagnostic().message);
      eat(',');
    }
  }

  Expected<PipelineEntry> parseEntry() {
    skipSpace();
    size_t at = pos_;
    std::string_view n = name();
    if (n.empty()) {
      if (pos_ == text_.size()) return error("expected a pass name at the end");
      return error("expected a pass name, found '" + std::string(1, text_[pos_]) + "'");
    }
    PipelineEntry e;
    if (n == "fixpoint") {
      Status s = parseOptions([&](std::string_view key, std::string_view value) -> Status {
        if (key != "max-iterations") return Status::error("fixpoint has no option '" + std::string(key) + "' (options: max-iterations)");
        auto res = std::from_chars(value.data(), value.data() + value.size(), e.maxIterations);
        if (res.ec != std::errc() || res.ptr != value.data() + value.size() || e.maxIterations < 1)
          return Status::error("option 'max-iterations' expects a positive int, got '" + std::string(value) + "'");
        return Status::ok();
      });
      if (!s) return s;
      if (!eat('(')) return error("expected '(' after fixpoint");
      auto group = parseList(/*nested=*/true);
      if (!group) return group.takeStatus();
      if (!eat(')')) return error("expected ')' to close fixpoint(");
      e.group = std::move(group->entries);
      return e;
    }
    auto pass = createPass(n);
    if (!pass) return error(at, pass.status().diagnostic().message);
    e.pass = pass.take();
    Status s = parseOptions([&](std::string_view key, std::string_view value) { return e.pass->setOption(key, value); });
    if (!s) return s;
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '(') return error("only fixpoint takes a '(' group");
    return e;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Expected<Pipeline> parsePipeline(std::string_view text) { return PipelineParser(text).parseAll(); }

}  // namespace kiln
