#pragma once
// The textual IR printer. Dumps, golden tests and bug reports all use this form, and the parser
// (ir/parser.h) reads it back: print(parse(print(m))) == print(m), byte for byte. The grammar
// is documented in docs/ir.md.

#include <cstddef>
#include <string>

#include "ir/model.h"

namespace kiln {

struct PrintOptions {
  /// Tensors with more elements than this print as a summary (dtype, shape, byte size, content
  /// hash) instead of their values; 0 prints every tensor in full.
  size_t elideConstantsAbove = 16;
  /// Print `loc(...)` after each node (source file, original name, fused-from names).
  bool printLocations = true;
};

/// The whole model: `module {...}` header, the main graph, then each function.
std::string printModel(const Model& model, const PrintOptions& options = {});
/// One graph (`graph @name(...) -> (...) { ... }`), subgraphs inline.
std::string printGraph(const Graph& graph, const PrintOptions& options = {});
/// One node on one line (its subgraphs, if any, span further lines); no trailing newline.
std::string printNode(const Node& node, const PrintOptions& options = {});

/// `%name`, quoted when the name is not made of [A-Za-z0-9_.] only: `%"onnx::Conv_12"`.
std::string printValueName(std::string_view name);
/// A float exactly as the parser reads it back: shortest round-trip digits, `nan`, `-inf`,
/// `nan(0x7fc00001)` for a NaN with an unusual payload. `forceDecimal` appends `.0` to
/// integral values so that an attribute float never reads as an int.
std::string formatFloat(float v, bool forceDecimal);
std::string formatDouble(double v, bool forceDecimal);

}  // namespace kiln
