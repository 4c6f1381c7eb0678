#include "ir/op_versions.h"

#include <algorithm>
#include <array>

#include "ir/diagnostic.h"

namespace kiln {
namespace {

/// One op's history; `versions` is zero-terminated (no op changed more than 9 times by 21).
struct OpVersionRow {
  std::string_view op;
  std::array<int, 10> versions;
  int removedAt = 0;

  std::span<const int> history() const {
    size_t n = 0;
    while (n < versions.size() && versions[n] != 0) ++n;
    return {versions.data(), n};
  }
};

constexpr OpVersionRow kRows[] = {
#include "ir/op_versions.inc"
};

const OpVersionRow* findRow(std::string_view op) {
  // The rows are sorted by name (checked once below), so a binary search finds one.
  static const bool sorted = [] {
    for (size_t i = 1; i < std::size(kRows); ++i) KILN_ASSERT(kRows[i - 1].op < kRows[i].op);
    return true;
  }();
  (void)sorted;
  auto it = std::lower_bound(std::begin(kRows), std::end(kRows), op,
                             [](const OpVersionRow& r, std::string_view name) { return r.op < name; });
  return it != std::end(kRows) && it->op == op ? it : nullptr;
}

}  // namespace

bool isVersionedOp(std::string_view op) { return findRow(op) != nullptr; }

std::span<const int> opVersionHistory(std::string_view op) {
  const OpVersionRow* r = findRow(op);
  return r ? r->history() : std::span<const int>();
}

int opRemovedAt(std::string_view op) {
  const OpVersionRow* r = findRow(op);
  return r ? r->removedAt : 0;
}

int sinceVersionAt(std::string_view op, int64_t opset) {
  const OpVersionRow* r = findRow(op);
  if (!r || (r->removedAt != 0 && opset >= r->removedAt)) return 0;
  int found = 0;
  for (int v : r->history())
    if (v <= opset) found = v;
  return found;
}

int canonicalVersion(std::string_view op) { return sinceVersionAt(op, kCanonicalOpset); }

int firstVersion(std::string_view op) {
  auto h = opVersionHistory(op);
  return h.empty() ? 0 : h.front();
}

int previousVersion(std::string_view op, int version) {
  int prev = 0;
  for (int v : opVersionHistory(op))
    if (v < version) prev = v;
  return prev;
}

std::vector<std::string_view> versionedOps() {
  std::vector<std::string_view> out;
  for (const auto& r : kRows) out.push_back(r.op);
  return out;
}

}  // namespace kiln
