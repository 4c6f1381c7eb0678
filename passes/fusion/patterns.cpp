// The list of patterns fuse-patterns tries, gathered from the family files and ordered by
// benefit (nodes removed), so the larger rewrite wins where two match at one root.

#include <algorithm>

#include "passes/fusion/pattern.h"

namespace kiln::fusion {

const std::vector<FusionPattern>& allPatterns() {
  static const std::vector<FusionPattern> patterns = [] {
    std::vector<FusionPattern> out;
    addAttentionPatterns(out);
    addNormalizationPatterns(out);
    addActivationPatterns(out);
    addLinearPatterns(out);
    std::stable_sort(out.begin(), out.end(),
                     [](const FusionPattern& a, const FusionPattern& b) { return a.benefit > b.benefit; });
    return out;
  }();
  return patterns;
}

}  // namespace kiln::fusion
