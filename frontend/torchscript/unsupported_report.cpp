#include "frontend/torchscript/unsupported_report.h"

#include <algorithm>
#include <map>

namespace kiln::torchscript {

std::string formatUnsupportedReport(const std::vector<UnsupportedUse>& uses, size_t maxLocations) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> byKind;
  for (const UnsupportedUse& u : uses) {
    auto [it, fresh] = byKind.try_emplace(u.kind);
    if (fresh) order.push_back(u.kind);
    it->second.push_back(u.location);
  }
  std::string out = std::to_string(order.size()) + " unsupported op" + (order.size() == 1 ? "" : "s") +
                    " in the model (" + std::to_string(uses.size()) + " node" + (uses.size() == 1 ? "" : "s") + "): ";
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& locations = byKind[order[i]];
    out += (i ? ", " : "") + order[i] + " x" + std::to_string(locations.size());
    // Distinct locations, first seen first: a layer repeated in a loop records one line.
    std::vector<std::string> distinct;
    for (const std::string& loc : locations)
      if (!loc.empty() && std::find(distinct.begin(), distinct.end(), loc) == distinct.end()) distinct.push_back(loc);
    std::string shown;
    for (size_t k = 0; k < distinct.size() && k < maxLocations; ++k) shown += (k ? ", " : "") + distinct[k];
    if (distinct.size() > maxLocations) shown += ", ...";
    if (!shown.empty()) out += " (" + shown + ")";
  }
  return out;
}

}  // namespace kiln::torchscript
