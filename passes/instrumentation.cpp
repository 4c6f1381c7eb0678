// IR printing, dump folders, timing and statistics instrumentations. Verification and numeric
// checks live in their own files (verify_each.cpp, check_numerics.cpp).

#include "passes/instrumentation.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "ir/atomic_file.h"
#include "ir/printer.h"
#include "passes/dot_dump.h"
#include "passes/graph_stats.h"
#include "passes/pass_context.h"

namespace kiln {

std::string IrUnit::print(size_t elideAbove) const {
  PrintOptions o;
  o.elideConstantsAbove = elideAbove;
  return model ? printModel(*model, o) : printGraph(graph, o) + "\n";
}

const std::string& IrUnit::file() const {
  static const std::string kNone;
  return model ? model->sourcePath : kNone;
}

namespace {

constexpr const char* kRule = "===-------------------------------------------------------------------------===\n";

std::string banner(std::string_view title) {
  std::string line = "... " + std::string(title) + " ...";
  size_t width = 79;
  size_t padLeft = line.size() < width ? (width - line.size()) / 2 : 0;
  return std::string(kRule) + std::string(padLeft, ' ') + line + "\n" + kRule;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// ---- print-ir ---------------------------------------------------------------------------

class PrintIr final : public PassInstrumentation {
 public:
  explicit PrintIr(PrintIrConfig c) : c_(std::move(c)) {}

  Status beforePass(const PassRun& run, const IrUnit& unit) override {
    if (c_.beforeAll || contains(c_.beforePasses, run.pass.name())) emit("Before", run, unit);
    return Status::ok();
  }
  Status afterPass(const PassRun& run, const IrUnit& unit, bool changed, double) override {
    bool named = contains(c_.afterPasses, run.pass.name());
    bool want = c_.afterAll || (c_.afterChange ? changed && (c_.afterPasses.empty() || named) : named);
    if (want) emit("After", run, unit);
    return Status::ok();
  }
  void afterPassFailed(const PassRun& run, const IrUnit& unit, const Status&) override {
    if (c_.afterFailure) emit("After Failure of", run, unit);
  }

 private:
  void emit(std::string_view when, const PassRun& run, const IrUnit& unit) {
    std::ostream& out = c_.out ? *c_.out : std::cerr;
    out << "// -----// IR Dump " << when << " " << run.pass.str() << " (#" << run.index << ") //----- //\n"
        << unit.print(c_.elideAbove) << "\n";
    out.flush();
  }
  PrintIrConfig c_;
};

// ---- dump-dir ---------------------------------------------------------------------------

class DumpDir final : public PassInstrumentation {
 public:
  explicit DumpDir(DumpDirConfig c) : c_(std::move(c)) {}

  Status beforePipeline(const IrUnit& unit) override {
    std::error_code ec;
    std::filesystem::create_directories(c_.dir, ec);
    if (ec) return Status::error("--dump-dir: cannot create '" + c_.dir + "': " + ec.message());
    index_.clear();
    index_ += "00 input\n";
    KILN_RETURN_IF_ERROR(snapshot("00-input", unit));
    return writeIndex();
  }
  Status afterPass(const PassRun& run, const IrUnit& unit, bool changed, double) override {
    std::string stem = number(run.index) + "-" + run.pass.name();
    index_ += number(run.index) + " " + run.pass.str() + (changed ? " changed -> " + stem + ".kir\n" : " unchanged\n");
    if (changed) KILN_RETURN_IF_ERROR(snapshot(stem, unit));
    return writeIndex();
  }
  void afterPassFailed(const PassRun& run, const IrUnit&, const Status& error) override {
    std::string stem = number(run.index) + "-" + run.pass.name();
    index_ += number(run.index) + " " + run.pass.str() + " FAILED -> " + stem + ".error.txt\n";
    // The IR the pass started from is already on disk (the last .kir file); best effort here,
    // the pass's own error is what the user must see.
    (void)write(stem + ".error.txt", error.str() + "\n");
    (void)writeIndex();
  }

 private:
  static std::string number(size_t i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02zu", i);
    return buf;
  }
  std::string path(const std::string& name) const { return (std::filesystem::path(c_.dir) / name).string(); }
  Status write(const std::string& name, const std::string& text) { return writeFileAtomically(path(name), text); }
  Status writeIndex() { return write("index.txt", index_); }

  /// The IR state as `stem.kir`, and as `.dot` / `.onnx` when asked for.
  Status snapshot(const std::string& stem, const IrUnit& unit) {
    KILN_RETURN_IF_ERROR(write(stem + ".kir", unit.print(c_.elideAbove)));
    if (c_.dot) KILN_RETURN_IF_ERROR(write(stem + ".dot", printGraphDot(unit.graph)));
    if (!c_.onnx) return Status::ok();
    // An intermediate state need not be expressible in ONNX; the dump notes it and goes on.
    if (!unit.model) {
      index_ += "   " + stem + ".onnx skipped: no model around the graph\n";
      return Status::ok();
    }
    if (Status s = c_.onnx(*unit.model, path(stem + ".onnx")); !s)
      index_ += "   " + stem + ".onnx skipped: " + s.str() + "\n";
    return Status::ok();
  }

  DumpDirConfig c_;
  std::string index_;
};

// ---- time-passes ------------------------------------------------------------------------

class Timing final : public PassInstrumentation {
 public:
  Status afterPass(const PassRun& run, const IrUnit&, bool, double seconds) override {
    record(run.pass.name(), seconds);
    return Status::ok();
  }
  void afterPassFailed(const PassRun& run, const IrUnit&, const Status&) override {
    // The time of a failing pass is unknown here; count the run so the table shows it.
    record(run.pass.name(), 0);
  }
  Status beforePipeline(const IrUnit&) override {
    rows_.clear();
    return Status::ok();
  }

  std::string report(const PassContext&) const override {
    if (rows_.empty()) return "";
    double total = 0;
    for (const auto& r : rows_) total += r.seconds;
    std::vector<Row> sorted = rows_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Row& a, const Row& b) { return a.seconds > b.seconds; });
    std::string out = banner("Pass execution timing report");
    char buf[160];
    std::snprintf(buf, sizeof buf, "  Total Execution Time: %.4f seconds\n\n", total);
    out += buf;
    out += "   ---Wall Time---  ---Runs---  --- Name ---\n";
    for (const auto& r : sorted) {
      std::snprintf(buf, sizeof buf, "   %7.4f (%5.1f%%)  %10zu  %s\n", r.seconds,
                    total > 0 ? 100.0 * r.seconds / total : 0.0, r.runs, r.name.c_str());
      out += buf;
    }
    std::snprintf(buf, sizeof buf, "   %7.4f (100.0%%)              Total\n\n", total);
    return out + buf;
  }

 private:
  struct Row {
    std::string name;
    double seconds = 0;
    size_t runs = 0;
  };
  void record(const std::string& name, double seconds) {
    for (auto& r : rows_)
      if (r.name == name) {
        r.seconds += seconds;
        ++r.runs;
        return;
      }
    rows_.push_back({name, seconds, 1});
  }
  std::vector<Row> rows_;
};

// ---- stats ------------------------------------------------------------------------------

class Stats final : public PassInstrumentation {
 public:
  Status beforePipeline(const IrUnit&) override {
    rows_.clear();
    return Status::ok();
  }
  Status beforePass(const PassRun&, const IrUnit& unit) override {
    before_ = summarizeGraph(unit.graph);
    return Status::ok();
  }
  Status afterPass(const PassRun& run, const IrUnit& unit, bool changed, double) override {
    rows_.push_back(makeRow(run, summarizeGraph(unit.graph), changed ? "" : "unchanged"));
    return Status::ok();
  }
  void afterPassFailed(const PassRun& run, const IrUnit& unit, const Status&) override {
    rows_.push_back(makeRow(run, summarizeGraph(unit.graph), "FAILED"));
  }

  std::string report(const PassContext& ctx) const override {
    if (rows_.empty()) return "";
    std::string out = banner("Pass statistics report");
    char buf[256];
    std::snprintf(buf, sizeof buf, "  %4s  %-28s %-17s %-27s %s\n", "run", "pass", "nodes", "constant bytes",
                  "op kinds");
    out += buf;
    for (const auto& r : rows_) {
      std::string nodes = std::to_string(r.before.nodes) + " -> " + std::to_string(r.after.nodes);
      std::string bytes = formatBytes(r.before.constantBytes) + " -> " + formatBytes(r.after.constantBytes);
      std::snprintf(buf, sizeof buf, "  %4zu  %-28s %-17s %-27s %s\n", r.index, r.pass.c_str(), nodes.c_str(),
                    bytes.c_str(), r.note.empty() ? r.opDelta.c_str() : r.note.c_str());
      out += buf;
    }
    const auto& counters = ctx.statistics().all();
    if (!counters.empty()) {
      out += "\n  counters:\n";
      for (const auto& [key, n] : counters) {
        std::string name = key.first + "." + key.second;
        std::snprintf(buf, sizeof buf, "    %-44s %lld\n", name.c_str(), static_cast<long long>(n));
        out += buf;
      }
    }
    return out + "\n";
  }

 private:
  struct Row {
    size_t index;
    std::string pass;
    GraphSummary before, after;
    std::string opDelta, note;
  };
  Row makeRow(const PassRun& run, GraphSummary after, std::string note) const {
    Row r{run.index, run.pass.str(), before_, std::move(after), "", std::move(note)};
    std::map<std::string, int64_t> delta;
    for (const auto& [op, n] : r.before.opCounts) delta[op] -= n;
    for (const auto& [op, n] : r.after.opCounts) delta[op] += n;
    for (const auto& [op, d] : delta)
      if (d != 0) r.opDelta += (r.opDelta.empty() ? "" : ", ") + op + (d > 0 ? " +" : " ") + std::to_string(d);
    if (r.note.empty() && r.opDelta.empty()) r.opDelta = "-";
    return r;
  }
  GraphSummary before_;
  std::vector<Row> rows_;
};

}  // namespace

std::unique_ptr<PassInstrumentation> createPrintIrInstrumentation(PrintIrConfig config) {
  return std::make_unique<PrintIr>(std::move(config));
}
std::unique_ptr<PassInstrumentation> createDumpDirInstrumentation(DumpDirConfig config) {
  return std::make_unique<DumpDir>(std::move(config));
}
std::unique_ptr<PassInstrumentation> createTimingInstrumentation() { return std::make_unique<Timing>(); }
std::unique_ptr<PassInstrumentation> createStatisticsInstrumentation() { return std::make_unique<Stats>(); }

}  // namespace kiln
