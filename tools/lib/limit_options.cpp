#include "tools/lib/limit_options.h"

#include <CLI/CLI.hpp>

#include <limits>

#include "ir/tensor.h"

namespace kiln::tools {

Limits& activeLimits() {
  static Limits limits;
  return limits;
}

void addLimitOptions(CLI::App& cmd) {
  Limits& l = activeLimits();
  const Limits defaults;
  const std::string group = "Resource limits (untrusted models; docs/security.md)";
  auto bytes = [&](const char* name, uint64_t* field, const char* what) {
    cmd.add_option(name, *field, std::string(what) + " (default " + formatBytes(*field) + ")")
        ->transform(CLI::AsSizeValue(false))
        ->check(CLI::Range(uint64_t{1}, std::numeric_limits<uint64_t>::max()))
        ->group(group);
  };
  bytes("--max-tensor-bytes", &l.maxTensorBytes, "Refuse a tensor bigger than this");
  bytes("--max-model-bytes", &l.maxModelBytes, "Refuse a model (file plus external data) bigger than this");
  bytes("--max-string-bytes", &l.maxStringBytes, "Refuse a name, attribute or string element longer than this");
  cmd.add_option("--max-subgraph-depth", l.maxSubgraphDepth,
                 "Refuse subgraphs (If/Loop/Scan bodies) nested deeper (default " +
                     std::to_string(defaults.maxSubgraphDepth) + ")")
      ->check(CLI::Range(0, 1000))
      ->group(group);
  cmd.add_option("--max-nodes", l.maxNodes,
                 "Refuse a model with more nodes, subgraphs included (default " + std::to_string(defaults.maxNodes) + ")")
      ->check(CLI::Range(int64_t{1}, std::numeric_limits<int64_t>::max()))
      ->group(group);
}

}  // namespace kiln::tools
