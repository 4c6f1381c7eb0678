#include "passes/pass_registry.h"

#include <algorithm>

#include "passes/passes.h"

namespace kiln {
namespace {

/// The one list of passes. Name and summary come from the pass itself.
constexpr PassFactory kFactories[] = {
    createCanonicalizePass,
    createCsePass,
    createDcePass,
    createDynamizeShapesPass,
    createEliminateStaticShapesPass,
    createFoldBatchNormPass,
    createFoldConstantsPass,
    createFusePatternsPass,
    createGroupElementwisePass,
    createShapeInferPass,
};

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

const std::vector<PassInfo>& listPasses() {
  static const std::vector<PassInfo> passes = [] {
    std::vector<PassInfo> out;
    for (PassFactory f : kFactories) {
      std::unique_ptr<Pass> p = f();
      PassInfo info{p->name(), p->summary(), {}, f};
      for (const auto& o : p->options())
        info.options.push_back(o.name + "=" + o.defaultText + " (" + std::string(o.typeName()) + "): " + o.help);
      out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(), [](const PassInfo& a, const PassInfo& b) { return a.name < b.name; });
    for (size_t i = 1; i < out.size(); ++i) KILN_ASSERT(out[i - 1].name != out[i].name);
    return out;
  }();
  return passes;
}

const PassInfo* findPass(std::string_view name) {
  for (const auto& p : listPasses())
    if (p.name == name) return &p;
  return nullptr;
}

Expected<std::unique_ptr<Pass>> createPass(std::string_view name) {
  if (const PassInfo* info = findPass(name)) return info->factory();
  const PassInfo* best = nullptr;
  size_t bestDistance = 0;
  for (const auto& p : listPasses()) {
    size_t d = editDistance(name, p.name);
    if (!best || d < bestDistance) best = &p, bestDistance = d;
  }
  std::string message = "unknown pass '" + std::string(name) + "'";
  if (best && bestDistance <= std::max<size_t>(2, name.size() / 3))
    message += " (did you mean '" + best->name + "'?)";
  else
    message += "; see `kiln compile --list-passes`";
  return Status::error(std::move(message));
}

std::string formatPassList() {
  size_t width = 0;
  for (const auto& p : listPasses()) width = std::max(width, p.name.size());
  std::string out;
  for (const auto& p : listPasses()) {
    out += "  " + p.name + std::string(width - p.name.size() + 2, ' ') + p.summary + "\n";
    for (const auto& o : p.options) out += std::string(width + 6, ' ') + o + "\n";
  }
  out += "  fixpoint(P,...)" + std::string(width > 14 ? width - 14 : 0, ' ') +
         "runs the passes P,... in turn until none changes the IR (option max-iterations)\n";
  return out;
}

}  // namespace kiln
