#pragma once
// The textual IR parser: reads what ir/printer.h writes (grammar in docs/ir.md). Values must be
// defined before they are used; a subgraph may use values of enclosing graphs defined before
// its parent node. Errors name `file:line:col` in Diagnostic::file.

#include <memory>
#include <string>
#include <string_view>

#include "ir/diagnostic.h"
#include "ir/limits.h"
#include "ir/model.h"

namespace kiln {

/// Parses a module: an optional `module {...}` header, the main graph, then `function`s.
/// Node schemas are looked up in OpRegistry::builtin() (null for unknown ops).
/// The model's sourcePath is set to `fileName`. `limits` bounds tensor sizes, node count,
/// string lengths and subgraph nesting (the text may be untrusted).
Expected<Model> parseModel(std::string_view text, const std::string& fileName = "<text>", const Limits& limits = {});
/// Parses a single `graph @name(...) -> (...) { ... }`.
Expected<std::unique_ptr<Graph>> parseGraph(std::string_view text, const std::string& fileName = "<text>",
                                            const Limits& limits = {});

}  // namespace kiln
