// The golden textual-IR test runner (MLIR lit style, without FileCheck). Format, in short
// (full description in docs/passes.md):
//
//   // RUN: canonicalize,dce           pipeline for every case of the file (a case may override)
//   // -----                           separates cases
//   graph @g(...) -> (...) { ... }     the input IR
//   // CHECK:                          then the expected IR after the pipeline, each line
//   // graph @g(...) -> (...) {        commented out with `// `
//   // CHECK-UNCHANGED                 or: the pipeline must leave the IR exactly as it was
//   // expected-error: TEXT            or: the pipeline must fail with a message containing TEXT
//   // CHECK-STAT: pass.counter = N    optionally: a statistics counter after the pipeline
//   // CHECK-NUMERICS                  optionally: the reference interpreter must agree before/after
//   // expected-warning: TEXT          optionally: some warning of the pipeline contains TEXT
//
// Usage: kiln_golden_runner [--update] [--verbose] FILE.kir...
// --update rewrites every `// CHECK:` block (and adds one to cases that have no expectation)
// with the actual output; intent markers (CHECK-UNCHANGED, expected-error) are never rewritten.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"

namespace kiln {
namespace {

struct Case {
  size_t firstLine = 0, endLine = 0;  ///< [first, end) line indices in the file
  std::optional<std::string> run;
  std::string input;                   ///< the IR text (directive lines removed)
  bool hasCheck = false;
  size_t checkLine = 0, checkEnd = 0;  ///< the `// CHECK:` line and one past its block
  std::vector<std::string> expected;
  bool unchanged = false;
  bool numerics = false;
  std::vector<std::string> expectedErrors;
  std::vector<std::string> expectedWarnings;
  std::vector<std::pair<std::string, int64_t>> stats;  ///< "pass.counter", value
  bool hasIr = false;
};

std::string trimRight(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string trim(std::string s) {
  s = trimRight(std::move(s));
  size_t i = s.find_first_not_of(" \t");
  return i == std::string::npos ? "" : s.substr(i);
}

bool startsWith(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

/// The text after `// PREFIX`, when `line` (left-trimmed) starts with it.
std::optional<std::string> directive(const std::string& line, std::string_view prefix) {
  std::string t = trim(line);
  std::string full = "// " + std::string(prefix);
  if (!startsWith(t, full)) return std::nullopt;
  return trim(t.substr(full.size()));
}

bool isSeparator(const std::string& line) { return trim(line) == "// -----"; }

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) lines.push_back(line);
  return lines;
}

std::vector<Case> splitCases(const std::vector<std::string>& lines) {
  std::vector<Case> cases;
  size_t start = 0;
  for (size_t i = 0; i <= lines.size(); ++i) {
    if (i < lines.size() && !isSeparator(lines[i])) continue;
    Case c;
    c.firstLine = start;
    c.endLine = i;
    for (size_t k = start; k < i; ++k) {
      const std::string& l = lines[k];
      if (auto d = directive(l, "RUN:")) {
        c.run = *d;
      } else if (directive(l, "CHECK:") && trim(l) == "// CHECK:") {
        c.hasCheck = true;
        c.checkLine = k;
        size_t e = k + 1;
        while (e < i && startsWith(trim(lines[e]), "//") && !directive(lines[e], "CHECK") &&
               !directive(lines[e], "expected-")) {
          std::string t = trim(lines[e]);
          c.expected.push_back(t.size() > 3 ? t.substr(3) : "");
          ++e;
        }
        c.checkEnd = e;
        k = e - 1;
      } else if (directive(l, "CHECK-UNCHANGED")) {
        c.unchanged = true;
      } else if (directive(l, "CHECK-NUMERICS")) {
        c.numerics = true;
      } else if (auto d = directive(l, "CHECK-STAT:")) {
        size_t eq = d->find('=');
        std::string value = eq == std::string::npos ? "" : trim(d->substr(eq + 1));
        char* end = nullptr;
        long long n = std::strtoll(value.c_str(), &end, 10);
        // A malformed line becomes an expectation no counter meets, so it is reported.
        if (value.empty() || *end != '\0') c.stats.emplace_back("malformed CHECK-STAT: " + *d, -1);
        else c.stats.emplace_back(trim(d->substr(0, eq)), n);
      } else if (auto d = directive(l, "expected-error:")) {
        c.expectedErrors.push_back(*d);
      } else if (auto d = directive(l, "expected-warning:")) {
        c.expectedWarnings.push_back(*d);
      } else {
        std::string t = trim(l);
        if (!t.empty() && !startsWith(t, "//")) c.hasIr = true;
        c.input += l + "\n";
      }
    }
    cases.push_back(std::move(c));
    start = i + 1;
  }
  return cases;
}

std::string joinLines(std::vector<std::string> lines) {
  while (!lines.empty() && trimRight(lines.back()).empty()) lines.pop_back();
  std::string out;
  for (auto& l : lines) out += trimRight(l) + "\n";
  return out;
}

/// A line diff of the two texts (longest common subsequence): `-` expected only, `+` actual only.
std::string diff(const std::string& expected, const std::string& actual) {
  auto e = splitLines(expected), a = splitLines(actual);
  std::vector<std::vector<size_t>> lcs(e.size() + 1, std::vector<size_t>(a.size() + 1, 0));
  for (size_t i = e.size(); i-- > 0;)
    for (size_t j = a.size(); j-- > 0;)
      lcs[i][j] = e[i] == a[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::string out;
  size_t i = 0, j = 0;
  while (i < e.size() || j < a.size()) {
    if (i < e.size() && j < a.size() && e[i] == a[j]) {
      out += "    " + e[i++] + "\n";
      ++j;
    } else if (j < a.size() && (i == e.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out += "  + " + a[j++] + "\n";
    } else {
      out += "  - " + e[i++] + "\n";
    }
  }
  return out;
}

struct Outcome {
  bool ok = true;
  std::string message;
  std::optional<std::string> actual;  ///< printed IR after the pipeline, when it ran
};

std::string printIr(const Model& m, bool asModule) {
  return asModule ? printModel(m) : printGraph(*m.graph) + "\n";
}

Outcome runCase(const Case& c, const std::string& fileRun, bool verbose) {
  Outcome o;
  auto fail = [&](std::string m) {
    o.ok = false;
    o.message = std::move(m);
    return o;
  };
  auto model = parseModel(c.input, "input");
  if (!model) return fail("input does not parse: " + model.status().str());
  bool asModule = false;
  // Lines that are only comments come first in a case; skip to the IR to decide the form.
  for (const auto& l : splitLines(c.input)) {
    std::string t = trim(l);
    if (t.empty() || startsWith(t, "//")) continue;
    asModule = startsWith(t, "module");
    break;
  }
  std::string before = printIr(*model, asModule);

  PassManagerOptions opts;
  opts.verifyEach = true;
  opts.checkNumerics = c.numerics;
  std::ostringstream log;
  opts.out = &log;
  PassManager pm(opts);
  std::string pipeline = c.run ? *c.run : fileRun;
  if (Status s = pm.addPipeline(pipeline); !s) {
    if (!c.expectedErrors.empty()) {
      for (const auto& e : c.expectedErrors)
        if (s.str().find(e) == std::string::npos) return fail("error '" + s.str() + "' does not contain '" + e + "'");
      return o;
    }
    return fail("bad RUN pipeline: " + s.str());
  }
  Status s = pm.run(*model);
  if (verbose) std::cerr << log.str();
  if (!c.expectedErrors.empty()) {
    if (s) return fail("expected an error containing '" + c.expectedErrors.front() + "', but the pipeline succeeded");
    for (const auto& e : c.expectedErrors)
      if (s.str().find(e) == std::string::npos) return fail("error '" + s.str() + "' does not contain '" + e + "'");
    return o;
  }
  if (!s) return fail("pipeline failed: " + s.str());
  o.actual = printIr(*model, asModule);
  for (const auto& w : pm.warnings())
    if (verbose) std::cerr << w.str() << "\n";
  for (const auto& e : c.expectedWarnings) {
    bool found = false;
    for (const auto& w : pm.warnings()) found = found || w.str().find(e) != std::string::npos;
    if (!found) return fail("no warning contains '" + e + "'");
  }
  for (const auto& [key, value] : c.stats) {
    size_t dot = key.find('.');
    int64_t got = dot == std::string::npos ? 0 : pm.statistics().get(key.substr(0, dot), key.substr(dot + 1));
    if (got != value)
      return fail("statistic " + key + " is " + std::to_string(got) + ", expected " + std::to_string(value));
  }
  if (c.unchanged && *o.actual != before)
    return fail("the pipeline changed the IR, but the case says CHECK-UNCHANGED:\n" + diff(before, *o.actual));
  if (c.hasCheck) {
    std::string expected = joinLines(c.expected);
    std::string actual = joinLines(splitLines(*o.actual));
    if (expected != actual) return fail("output differs from CHECK (- expected, + actual):\n" + diff(expected, actual));
  }
  if (!c.hasCheck && !c.unchanged && c.stats.empty())
    return fail("the case has no expectation (CHECK:, CHECK-UNCHANGED, CHECK-STAT or expected-error)");
  return o;
}

/// `// ` + line, or `//` for an empty line: the CHECK block form of printed IR.
std::vector<std::string> commentOut(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& l : splitLines(joinLines(splitLines(text)))) out.push_back(l.empty() ? "//" : "// " + l);
  return out;
}

int runFile(const std::string& path, bool update, bool verbose) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << path << ": cannot read\n";
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> lines = splitLines(ss.str());
  std::vector<Case> cases = splitCases(lines);
  std::string fileRun;
  for (const auto& c : cases)
    if (c.run) {
      fileRun = *c.run;
      break;
    }
  if (fileRun.empty()) {
    std::cerr << path << ": no `// RUN: <pipeline>` line\n";
    return 1;
  }

  int failures = 0, ran = 0;
  // Replacement blocks for --update, applied back to front so line numbers stay valid.
  std::vector<std::tuple<size_t, size_t, std::vector<std::string>>> edits;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    if (!c.hasIr) continue;
    ++ran;
    Outcome o = runCase(c, fileRun, verbose);
    bool updatable = update && o.actual && c.expectedErrors.empty() && !c.unchanged;
    if (updatable && (c.hasCheck || c.stats.empty())) {
      std::vector<std::string> block = {"// CHECK:"};
      for (auto& l : commentOut(*o.actual)) block.push_back(l);
      if (c.hasCheck) {
        edits.emplace_back(c.checkLine, c.checkEnd, block);
      } else {
        // A case without expectation: add the block after its last non-empty line.
        size_t at = c.endLine;
        while (at > c.firstLine && trim(lines[at - 1]).empty()) --at;
        edits.emplace_back(at, at, block);
      }
      bool onlyCheckFailed = !o.ok && (o.message.rfind("output differs", 0) == 0 ||
                                       o.message.rfind("the case has no expectation", 0) == 0);
      if (o.ok || onlyCheckFailed) continue;
    }
    if (!o.ok) {
      ++failures;
      std::cerr << path << ":" << c.firstLine + 1 << ": case " << i + 1 << " FAILED: " << o.message << "\n";
    }
  }
  if (update && !edits.empty()) {
    for (auto it = edits.rbegin(); it != edits.rend(); ++it) {
      auto& [from, to, block] = *it;
      lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(from), lines.begin() + static_cast<std::ptrdiff_t>(to));
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(from), block.begin(), block.end());
    }
    std::ofstream out(path);
    for (const auto& l : lines) out << l << "\n";
    std::cerr << path << ": updated " << edits.size() << " CHECK block(s)\n";
  }
  std::cerr << path << ": " << ran - failures << "/" << ran << " cases passed\n";
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) {
  bool update = false, verbose = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--update") update = true;
    else if (a == "--verbose" || a == "-v") verbose = true;
    else if (a == "--help" || a == "-h") {
      std::cout << "usage: kiln_golden_runner [--update] [--verbose] FILE.kir...\n";
      return 0;
    } else files.push_back(a);
  }
  if (files.empty()) {
    std::cerr << "usage: kiln_golden_runner [--update] [--verbose] FILE.kir...\n";
    return 2;
  }
  int rc = 0;
  for (const auto& f : files) rc |= kiln::runFile(f, update, verbose);
  return rc;
}
