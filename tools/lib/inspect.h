#pragma once
// `kiln inspect`: what a model is, at a glance or as stable JSON for scripts.

#include <string>

#include "ir/model.h"

namespace kiln::tools {

/// Human-readable summary: producer, IR version, opsets, signature, metadata, op histogram,
/// parameter count and bytes.
std::string inspectText(const Model& model);
/// The same facts as JSON with a fixed key order (`"format": "kiln-inspect-v1"`). `values`:
/// also every node output of the main graph with its type (`"values"`), as the model holds
/// them (run shape inference first for inferred types).
std::string inspectJson(const Model& model, bool values = false);

}  // namespace kiln::tools
