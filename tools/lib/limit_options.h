#pragma once
// The resource-limit options every subcommand takes (--max-tensor-bytes, --max-model-bytes,
// --max-subgraph-depth, --max-nodes, --max-string-bytes). They set one process-wide Limits that
// loadModel reads, so no subcommand has to thread them through by hand.

#include "ir/limits.h"

namespace CLI {
class App;
}

namespace kiln::tools {

/// The limits loadModel applies: the defaults of ir/limits.h unless the command line said
/// otherwise.
Limits& activeLimits();

/// Registers the limit options on `cmd`, writing into activeLimits(). Byte sizes take unit
/// suffixes (`512MiB`, `2GB`, `1k`: binary multiples).
void addLimitOptions(CLI::App& cmd);

}  // namespace kiln::tools
