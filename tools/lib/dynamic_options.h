#pragma once
// `kiln compile --dynamic NAME:AXIS=SYMBOL ... --dynamic-batch --strict-dynamic`: the flags
// that make traced input axes symbolic (passes/dynamize_shapes.cpp, docs/dynamize.md). They
// become one `dynamize-shapes` pass run before the optimization pipeline.

#include <optional>
#include <string>
#include <vector>

#include "ir/diagnostic.h"

namespace CLI {
class App;
}

namespace kiln::tools {

struct DynamicOptions {
  std::vector<std::string> axes;  ///< `NAME:AXIS=SYMBOL[@TRACED]`, one per --dynamic
  bool batch = false;             ///< --dynamic-batch
  bool strict = false;            ///< --strict-dynamic
};

/// Registers the flags on `cmd` (group "Dynamic shapes").
void addDynamicOptions(CLI::App& cmd, DynamicOptions& options);
/// The pipeline text to run first (`dynamize-shapes{...},dce`), nullopt when no axis is asked
/// for, or an error for a malformed --dynamic.
Expected<std::optional<std::string>> dynamicPipeline(const DynamicOptions& options);

}  // namespace kiln::tools
