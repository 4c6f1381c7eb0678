#pragma once
// What a pass sees besides the graph: the op registry, the Rewriter every mutation goes
// through, a statistics sink, the constant-size guard, and warnings for the user.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/op_registry.h"
#include "passes/rewriter.h"

namespace kiln {

/// Named counters that passes report (`fold-constants` / `folded`), summed over a pipeline.
class Statistics {
 public:
  void add(std::string_view pass, std::string_view counter, int64_t n);
  /// 0 when never reported.
  int64_t get(std::string_view pass, std::string_view counter) const;
  /// Every counter, ordered by (pass, counter).
  const std::map<std::pair<std::string, std::string>, int64_t, std::less<>>& all() const { return counters_; }
  void clear() { counters_.clear(); }

 private:
  std::map<std::pair<std::string, std::string>, int64_t, std::less<>> counters_;
};

class PassContext {
 public:
  explicit PassContext(const OpRegistry& registry = OpRegistry::builtin())
      : registry_(&registry), rewriter_(registry) {}
  PassContext(const PassContext&) = delete;
  PassContext& operator=(const PassContext&) = delete;

  const OpRegistry& registry() const { return *registry_; }
  Rewriter& rewriter() { return rewriter_; }
  Statistics& statistics() { return stats_; }
  const Statistics& statistics() const { return stats_; }
  /// Adds `n` to counter `counter` of pass `pass`.
  void stat(std::string_view pass, std::string_view counter, int64_t n = 1) { stats_.add(pass, counter, n); }

  /// The node's bound schema, or the registry's entry for its op (null for unknown ops).
  const OpSchema* schemaOf(const Node& node) const;

  // ---- constant-size guard ----------------------------------------------------------------
  // Total constant bytes may not grow past a budget, so a folded Expand or Tile never blows the
  // model up. The pass manager sets the budget from the input model and refreshes the current
  // total before each pass; passes that create constants ask before they commit.

  /// Current total bytes of Constant tensors (refreshed by the pass manager before each pass).
  uint64_t constantBytes() const { return constantBytes_; }
  void setConstantBytes(uint64_t bytes) { constantBytes_ = bytes; }
  /// No budget: constants may grow without bound.
  std::optional<uint64_t> constantBudget() const { return budget_; }
  void setConstantBudget(std::optional<uint64_t> bytes) { budget_ = bytes; }
  /// Accounts for constants growing by `delta` bytes (negative: shrinking). Returns false, and
  /// accounts nothing, when that would take the total past the budget.
  bool reserveConstantBytes(int64_t delta);

  // ---- diagnostics -------------------------------------------------------------------------

  /// The model file, for diagnostics (may be empty).
  const std::string& file() const { return file_; }
  void setFile(std::string file) { file_ = std::move(file); }
  /// A warning for the user; the pipeline goes on.
  void warn(Diagnostic d);
  const std::vector<Diagnostic>& warnings() const { return warnings_; }

  /// Optimization remarks (`--explain-fusion`): passes add them only when asked for.
  bool remarksEnabled() const { return remarksEnabled_; }
  void setRemarksEnabled(bool on) { remarksEnabled_ = on; }
  void remark(std::string text) { remarks_.push_back(std::move(text)); }
  const std::vector<std::string>& remarks() const { return remarks_; }

 private:
  const OpRegistry* registry_;
  Rewriter rewriter_;
  Statistics stats_;
  uint64_t constantBytes_ = 0;
  std::optional<uint64_t> budget_;
  std::string file_;
  std::vector<Diagnostic> warnings_;
  bool remarksEnabled_ = false;
  std::vector<std::string> remarks_;
};

}  // namespace kiln
