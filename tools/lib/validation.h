#pragma once
// Numeric comparison of a candidate model's outputs with a reference's: the metrics and
// verdicts of `kiln validate` and `kiln compile --validate` (docs/validate.md). Pure
// computation on tensors; running the models and printing live elsewhere.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/tensor.h"

namespace kiln::tools {

enum class Verdict { Pass, Warn, Fail };

/// "PASS", "WARN", "FAIL".
std::string_view verdictName(Verdict v);
/// The worse of two verdicts (FAIL > WARN > PASS).
Verdict worse(Verdict a, Verdict b);

/// An element matches when |candidate - reference| < atol + rtol * |reference|. PASS: every
/// element matches; WARN: every element is within kWarnFactor times that bound; FAIL otherwise.
/// The defaults give the documented thresholds: PASS below 1e-5 max abs diff, WARN below 1e-4.
struct Tolerance {
  double atol = 1e-5;
  double rtol = 0;
};
inline constexpr double kWarnFactor = 10;

/// The elementwise-difference histogram: share of elements with |diff| above each threshold.
inline constexpr std::array<double, 5> kDiffThresholds = {1e-6, 2e-6, 5e-6, 1e-5, 1e-4};

/// NaN/Inf counts and constancy of one tensor.
struct ValueStats {
  int64_t nan = 0, posInf = 0, negInf = 0;
  bool allZero = false;
  bool constant = false;  ///< more than one element, all equal (all-zero included)
};

struct OutputComparison {
  std::string name;
  DType referenceDtype = DType::Undefined, candidateDtype = DType::Undefined;
  std::vector<int64_t> referenceDims, candidateDims;
  int64_t elements = 0;
  /// Over elements finite in both (all metrics are 0 / cosine 1 when there are none).
  double maxAbsDiff = 0, meanAbsDiff = 0, mse = 0, cosine = 1;
  /// Largest |diff| / (atol + rtol * |reference|): below 1 means every element matches.
  double worstToleranceRatio = 0;
  int64_t maxDiffIndex = -1;  ///< flat index of maxAbsDiff, -1 when not compared
  double referenceAtMax = 0, candidateAtMax = 0;
  std::array<double, kDiffThresholds.size()> shareAbove{};
  ValueStats reference, candidate;
  bool compared = false;  ///< false when dtype or shape differ (no metrics)
  Verdict verdict = Verdict::Pass;
  /// Why the verdict is worse than the metrics alone say (mismatches, NaN, constant output).
  std::vector<std::string> problems;
};

struct ValidationResult {
  std::vector<OutputComparison> outputs;
  std::vector<std::string> problems;  ///< model-level: output count mismatch
  Verdict verdict = Verdict::Pass;
};

/// NaN/Inf counts and constancy (floats and integers; strings count nothing).
ValueStats valueStats(const Tensor& t);

/// Compares one output. Floats are judged by the tolerance; integers and bool must be equal.
OutputComparison compareOutput(const std::string& name, const Tensor& reference, const Tensor& candidate,
                               const Tolerance& tolerance);

/// Compares outputs by position; `names` names them (missing names become `output_<i>`).
ValidationResult compareOutputs(const std::vector<std::string>& names, const std::vector<Tensor>& reference,
                                const std::vector<Tensor>& candidate, const Tolerance& tolerance);

}  // namespace kiln::tools
