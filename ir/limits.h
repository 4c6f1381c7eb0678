#pragma once
// Resource limits for untrusted models: a model file is input someone downloaded, so every
// size it claims is checked against a bound before kiln allocates, recurses or multiplies.
// Each limit is a `kiln` command-line option (tools/lib/limit_options.h); docs/security.md
// lists them with their defaults and why those are safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "ir/diagnostic.h"
#include "ir/dtype.h"

namespace kiln {

/// The bounds an importer or parser enforces. Defaults admit every real model we know of
/// (the largest in tests/ is far below each) and stop hostile ones before they exhaust memory
/// or the stack.
struct Limits {
  uint64_t maxTensorBytes = uint64_t{16} << 30;  ///< one tensor's data (--max-tensor-bytes)
  uint64_t maxModelBytes = uint64_t{64} << 30;   ///< model file plus external data (--max-model-bytes)
  int maxSubgraphDepth = 64;                     ///< If/Loop/Scan bodies nested (--max-subgraph-depth)
  int64_t maxNodes = 10'000'000;                 ///< nodes in all graphs together (--max-nodes)
  uint64_t maxStringBytes = uint64_t{1} << 20;   ///< one name, attribute or string element (--max-string-bytes)
};

/// The command-line option that raises a limit, for error messages: "(limit: --max-nodes)".
std::string limitHint(const char* option);

/// Product of `dims`, or nullopt when one is negative or the product overflows int64.
std::optional<int64_t> safeElementCount(std::span<const int64_t> dims);
/// Bytes of `count` elements of `dtype` (strings: 0), or nullopt when that overflows int64.
std::optional<uint64_t> safeByteSize(DType dtype, int64_t count);

class Graph;
/// Counts the nodes of `graph` and its subgraphs against maxNodes and their nesting against
/// maxSubgraphDepth, and refuses negative static dims in value types: for graphs built by a
/// frontend that could not check while reading (textual IR, TorchScript).
Status checkGraphLimits(const Graph& graph, const Limits& limits);

}  // namespace kiln
