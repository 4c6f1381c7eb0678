#include "tools/lib/validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::tools {
namespace {

bool isNumeric(DType t) { return isFloat(t) || isInteger(t) || t == DType::Bool; }

std::string dimsText(const std::vector<int64_t>& dims) { return fmt::format("[{}]", fmt::join(dims, ",")); }

/// Accumulates the metrics over the elements finite in both tensors.
void measure(const Tensor& reference, const Tensor& candidate, const Tolerance& tol, OutputComparison& out,
             int64_t& nonFiniteSame, int64_t& nonFiniteDifferent, int64_t& unequal) {
  double sumAbs = 0, sumSquares = 0, dot = 0, refNorm = 0, candNorm = 0;
  int64_t finite = 0;
  std::array<int64_t, kDiffThresholds.size()> above{};
  for (int64_t i = 0; i < out.elements; ++i) {
    double r = reference.scalarAsDouble(i), c = candidate.scalarAsDouble(i);
    if (r != c) ++unequal;
    if (!std::isfinite(r) || !std::isfinite(c)) {
      bool same = (std::isnan(r) && std::isnan(c)) || r == c;
      ++(same ? nonFiniteSame : nonFiniteDifferent);
      continue;
    }
    ++finite;
    double diff = std::fabs(c - r);
    sumAbs += diff;
    sumSquares += diff * diff;
    dot += r * c;
    refNorm += r * r;
    candNorm += c * c;
    if (out.maxDiffIndex < 0 || diff > out.maxAbsDiff) {
      out.maxAbsDiff = diff;
      out.maxDiffIndex = i;
      out.referenceAtMax = r;
      out.candidateAtMax = c;
    }
    double bound = tol.atol + tol.rtol * std::fabs(r);
    double ratio = bound > 0 ? diff / bound : (diff > 0 ? std::numeric_limits<double>::infinity() : 0);
    out.worstToleranceRatio = std::max(out.worstToleranceRatio, ratio);
    for (size_t k = 0; k < kDiffThresholds.size(); ++k) above[k] += diff > kDiffThresholds[k];
  }
  if (finite > 0) {
    out.meanAbsDiff = sumAbs / static_cast<double>(finite);
    out.mse = sumSquares / static_cast<double>(finite);
    for (size_t k = 0; k < above.size(); ++k) out.shareAbove[k] = static_cast<double>(above[k]) / static_cast<double>(finite);
  }
  if (refNorm == 0 && candNorm == 0) out.cosine = 1;
  else if (refNorm == 0 || candNorm == 0) out.cosine = 0;
  else out.cosine = dot / std::sqrt(refNorm * candNorm);
}

std::string constantText(const ValueStats& s, const Tensor& t) {
  return s.allZero ? "is all zero" : fmt::format("is constant (every element {:.6g})", t.scalarAsDouble(0));
}

}  // namespace

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "PASS";
    case Verdict::Warn: return "WARN";
    case Verdict::Fail: return "FAIL";
  }
  return "FAIL";
}

Verdict worse(Verdict a, Verdict b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

ValueStats valueStats(const Tensor& t) {
  ValueStats s;
  int64_t n = t.numElements();
  if (!isNumeric(t.dtype()) || !t.hasData() || n == 0) return s;
  double first = t.scalarAsDouble(0);
  bool allEqual = true, allZero = true;
  for (int64_t i = 0; i < n; ++i) {
    double x = t.scalarAsDouble(i);
    if (std::isnan(x)) ++s.nan;
    else if (std::isinf(x)) ++(x > 0 ? s.posInf : s.negInf);
    allEqual &= x == first;
    allZero &= x == 0;
  }
  s.allZero = allZero;
  s.constant = n > 1 && allEqual;
  return s;
}

OutputComparison compareOutput(const std::string& name, const Tensor& reference, const Tensor& candidate,
                               const Tolerance& tolerance) {
  OutputComparison out;
  out.name = name;
  out.referenceDtype = reference.dtype();
  out.candidateDtype = candidate.dtype();
  out.referenceDims = reference.dims();
  out.candidateDims = candidate.dims();
  out.reference = valueStats(reference);
  out.candidate = valueStats(candidate);
  auto fail = [&](std::string why) {
    out.verdict = Verdict::Fail;
    out.problems.push_back(std::move(why));
  };
  if (reference.dtype() != candidate.dtype())
    fail(fmt::format("dtype differs: reference {}, candidate {}", dtypeName(reference.dtype()), dtypeName(candidate.dtype())));
  if (reference.dims() != candidate.dims())
    fail(fmt::format("shape differs: reference {}, candidate {}", dimsText(reference.dims()), dimsText(candidate.dims())));
  if (out.verdict == Verdict::Fail) return out;

  out.elements = reference.numElements();
  out.compared = true;
  if (!isNumeric(reference.dtype())) {
    if (!reference.contentEquals(candidate)) fail("values differ");
    return out;
  }
  int64_t nonFiniteSame = 0, nonFiniteDifferent = 0, unequal = 0;
  measure(reference, candidate, tolerance, out, nonFiniteSame, nonFiniteDifferent, unequal);

  if (isFloat(reference.dtype())) {
    if (out.worstToleranceRatio >= kWarnFactor) out.verdict = Verdict::Fail;
    else if (out.worstToleranceRatio >= 1) out.verdict = Verdict::Warn;
  } else if (unequal > 0) {
    fail(fmt::format("{} of {} elements differ ({} outputs must be equal)", unequal, out.elements,
                     dtypeName(reference.dtype())));
  }
  if (nonFiniteDifferent > 0)
    fail(fmt::format("NaN/Inf at different places: {} elements are non-finite in one output only", nonFiniteDifferent));
  else if (nonFiniteSame > 0) {
    out.verdict = worse(out.verdict, Verdict::Warn);
    out.problems.push_back(fmt::format("both outputs hold NaN/Inf at the same {} elements (not compared)", nonFiniteSame));
  }
  // A constant float output matches anything constant: the comparison proves nothing, and an
  // all-zero output is the classic sign of a broken export.
  if (isFloat(reference.dtype())) {
    if (out.reference.constant) fail("reference output " + constantText(out.reference, reference));
    if (out.candidate.constant) fail("candidate output " + constantText(out.candidate, candidate));
  }
  return out;
}

ValidationResult compareOutputs(const std::vector<std::string>& names, const std::vector<Tensor>& reference,
                                const std::vector<Tensor>& candidate, const Tolerance& tolerance) {
  ValidationResult result;
  if (reference.size() != candidate.size()) {
    result.problems.push_back(fmt::format("output count differs: reference has {}, candidate has {}",
                                          reference.size(), candidate.size()));
    result.verdict = Verdict::Fail;
  }
  size_t n = std::min(reference.size(), candidate.size());
  for (size_t i = 0; i < n; ++i) {
    std::string name = i < names.size() && !names[i].empty() ? names[i] : fmt::format("output_{}", i);
    result.outputs.push_back(compareOutput(name, reference[i], candidate[i], tolerance));
    result.verdict = worse(result.verdict, result.outputs.back().verdict);
  }
  return result;
}

}  // namespace kiln::tools
