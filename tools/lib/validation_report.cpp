#include "tools/lib/validation_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "ir/atomic_file.h"

namespace kiln::tools {
namespace {

std::string typeText(DType dtype, const std::vector<int64_t>& dims) {
  return fmt::format("{}[{}]", dtypeName(dtype), fmt::join(dims, ","));
}

std::string percent(double share) {
  if (share == 0) return "0%";
  if (share < 0.001) return "<0.1%";
  return fmt::format("{:.1f}%", share * 100);
}

std::string nonFinite(const ValueStats& s) {
  int64_t inf = s.posInf + s.negInf;
  if (s.nan == 0 && inf == 0) return "-";
  return s.nan && inf ? fmt::format("{}N{}I", s.nan, inf) : s.nan ? fmt::format("{} NaN", s.nan) : fmt::format("{} Inf", inf);
}

int64_t verdictCount(const ValidationResult& r, Verdict v) {
  return std::count_if(r.outputs.begin(), r.outputs.end(), [&](const auto& o) { return o.verdict == v; });
}

double maxOverOutputs(const ValidationResult& r) {
  double m = 0;
  for (const auto& o : r.outputs) m = std::max(m, o.maxAbsDiff);
  return m;
}

}  // namespace

std::string formatValidationTable(const ValidationHeader& h, const ValidationRun& run) {
  const ValidationResult& r = run.result;
  std::string out;
  out += fmt::format("Reference : {}  ({}, {:.3f} s)\n", h.reference, run.referenceRunner, run.referenceSeconds);
  out += fmt::format("Candidate : {}  ({}, {:.3f} s)\n", h.candidate, run.candidateRunner, run.candidateSeconds);
  if (!run.candidateNote.empty()) out += fmt::format("Note      : {}\n", run.candidateNote);
  for (size_t i = 0; i < run.inputs.size(); ++i) {
    const auto& in = run.inputs[i];
    out += fmt::format("{} {:<14} {}  {}\n", i == 0 ? "Inputs    :" : "           ", in.name, typeText(in.dtype, in.dims),
                       in.generated ? fmt::format("random, seed {}", h.seed) : std::string("from file"));
  }
  out += fmt::format("Tolerance : |diff| < {:g} + {:g}*|reference| for PASS, {:g}x that for WARN\n\n", h.tolerance.atol,
                     h.tolerance.rtol, kWarnFactor);

  std::vector<std::array<std::string, 14>> rows;
  rows.push_back({"output", "type", "max abs diff", "MSE", "cosine", ">1e-6", ">2e-6", ">5e-6", ">1e-5", ">1e-4",
                  "NaN/Inf ref", "NaN/Inf cand", "verdict", ""});
  for (const auto& o : r.outputs) {
    std::array<std::string, 14> row;
    row[0] = o.name;
    row[1] = typeText(o.candidateDtype, o.candidateDims);
    if (o.compared) {
      row[2] = fmt::format("{:.3e}", o.maxAbsDiff);
      row[3] = fmt::format("{:.3e}", o.mse);
      row[4] = fmt::format("{:.6f}", o.cosine);
      for (size_t k = 0; k < kDiffThresholds.size(); ++k) row[5 + k] = percent(o.shareAbove[k]);
    } else {
      for (size_t k = 2; k < 10; ++k) row[k] = "-";
    }
    row[10] = nonFinite(o.reference);
    row[11] = nonFinite(o.candidate);
    row[12] = std::string(verdictName(o.verdict));
    rows.push_back(row);
  }
  std::array<size_t, 13> width{};
  for (const auto& row : rows)
    for (size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  auto line = [&](const std::array<std::string, 14>& row) {
    std::string text;
    for (size_t c = 0; c < width.size(); ++c)
      text += c < 2 ? fmt::format("{:<{}}  ", row[c], width[c]) : fmt::format("{:>{}}  ", row[c], width[c]);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text + "\n";
  };
  out += line(rows[0]);
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  out += std::string(total - 2, '-') + "\n";
  for (size_t i = 1; i < rows.size(); ++i) out += line(rows[i]);
  out += "\n";

  for (const auto& p : r.problems) out += fmt::format("  ! {}\n", p);
  for (const auto& o : r.outputs) {
    for (const auto& p : o.problems) out += fmt::format("  ! {}: {}\n", o.name, p);
    if (o.verdict != Verdict::Pass && o.compared && o.maxDiffIndex >= 0 && o.maxAbsDiff > 0)
      out += fmt::format("  ! {}: largest difference at flat index {}: reference {:.9g}, candidate {:.9g}\n", o.name,
                         o.maxDiffIndex, o.referenceAtMax, o.candidateAtMax);
  }
  out += fmt::format("Result: {}  ({} output(s): {} PASS, {} WARN, {} FAIL; max abs diff {:.3e})\n", verdictName(r.verdict),
                     r.outputs.size(), verdictCount(r, Verdict::Pass), verdictCount(r, Verdict::Warn),
                     verdictCount(r, Verdict::Fail), maxOverOutputs(r));
  return out;
}

std::string formatValidationVerdict(const ValidationRun& run) {
  const ValidationResult& r = run.result;
  std::string out = fmt::format("validation: {}  max abs diff {:.3e} over {} output{} (vs {}; candidate on {})\n",
                                verdictName(r.verdict), maxOverOutputs(r), r.outputs.size(),
                                r.outputs.size() == 1 ? "" : "s", run.referenceRunner, run.candidateRunner);
  if (!run.candidateNote.empty()) out += fmt::format("  note: {}\n", run.candidateNote);
  for (const auto& p : r.problems) out += fmt::format("  ! {}\n", p);
  for (const auto& o : r.outputs) {
    if (o.verdict == Verdict::Pass) continue;
    out += fmt::format("  ! {}: {} max abs diff {:.3e}, cosine {:.6f}\n", o.name, verdictName(o.verdict), o.maxAbsDiff, o.cosine);
    for (const auto& p : o.problems) out += fmt::format("  ! {}: {}\n", o.name, p);
  }
  return out;
}

nlohmann::json validationJson(const ValidationHeader& h, const ValidationRun& run) {
  using nlohmann::json;
  const ValidationResult& r = run.result;
  json inputs = json::array();
  for (const auto& in : run.inputs)
    inputs.push_back({{"name", in.name}, {"dtype", dtypeName(in.dtype)}, {"shape", in.dims}, {"generated", in.generated}});
  auto stats = [](const ValueStats& s) {
    return json{{"nan", s.nan}, {"pos_inf", s.posInf}, {"neg_inf", s.negInf}, {"all_zero", s.allZero}, {"constant", s.constant}};
  };
  json outputs = json::array();
  for (const auto& o : r.outputs) {
    json histogram = json::array();
    for (size_t k = 0; k < kDiffThresholds.size(); ++k)
      histogram.push_back({{"threshold", kDiffThresholds[k]}, {"share_above", o.shareAbove[k]}});
    json entry = {{"name", o.name},
                  {"verdict", verdictName(o.verdict)},
                  {"reference", {{"dtype", dtypeName(o.referenceDtype)}, {"shape", o.referenceDims}}},
                  {"candidate", {{"dtype", dtypeName(o.candidateDtype)}, {"shape", o.candidateDims}}},
                  {"compared", o.compared},
                  {"elements", o.elements},
                  {"max_abs_diff", o.maxAbsDiff},
                  {"mean_abs_diff", o.meanAbsDiff},
                  {"mse", o.mse},
                  {"cosine_similarity", o.cosine},
                  {"worst_tolerance_ratio", o.worstToleranceRatio},
                  {"max_diff_index", o.maxDiffIndex},
                  {"reference_at_max", o.referenceAtMax},
                  {"candidate_at_max", o.candidateAtMax},
                  {"histogram", histogram},
                  {"reference_values", stats(o.reference)},
                  {"candidate_values", stats(o.candidate)},
                  {"problems", o.problems}};
    // JSON has no Inf: a ratio with a zero tolerance is written as null.
    if (!std::isfinite(o.worstToleranceRatio)) entry["worst_tolerance_ratio"] = nullptr;
    outputs.push_back(std::move(entry));
  }
  return {{"kiln_validation_version", 1},
          {"verdict", verdictName(r.verdict)},
          {"reference",
           {{"path", h.reference}, {"runner", run.referenceRunner}, {"backend", run.referenceBackend},
            {"seconds", run.referenceSeconds}}},
          {"candidate",
           {{"path", h.candidate}, {"runner", run.candidateRunner}, {"backend", run.candidateBackend},
            {"seconds", run.candidateSeconds}, {"note", run.candidateNote}}},
          {"tolerance", {{"atol", h.tolerance.atol}, {"rtol", h.tolerance.rtol}, {"warn_factor", kWarnFactor}}},
          {"seed", h.seed},
          {"inputs", inputs},
          {"problems", r.problems},
          {"outputs", outputs}};
}

Status writeValidationJson(const std::string& path, const ValidationHeader& h, const ValidationRun& run) {
  return writeFileAtomically(path, validationJson(h, run).dump(2) + "\n");
}

}  // namespace kiln::tools
