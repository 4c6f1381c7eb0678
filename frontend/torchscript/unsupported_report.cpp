#include "frontend/torchscript/unsupported_report.h"

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
    std::string shown;
    size_t listed = 0;
    for (const std::string& loc : locations) {
      if (loc.empty() || listed == maxLocations) continue;
      shown += (listed++ ? ", " : "") + loc;
    }
    size_t withLocation = 0;
    for (const std::string& loc : locations) withLocation += !loc.empty();
    if (withLocation > listed) shown += ", ...";
    if (!shown.empty()) out += " (" + shown + ")";
  }
  return out;
}

}  // namespace kiln::torchscript
