#pragma once
// Batch mode of `kiln compile`: which files an IN list names (quoted globs expanded by kiln, so
// `'runs/*/weights/best.pt'` works the same in every shell) and where each one's output goes.

#include <string>
#include <vector>

#include "ir/diagnostic.h"

namespace kiln::tools {

/// True when `pattern` holds a glob metacharacter (`*`, `?`, `[`).
bool isGlobPattern(const std::string& pattern);

/// Expands each entry in order: a glob to its matches (sorted), a plain path to itself.
/// A glob that matches no file is an error naming it.
Expected<std::vector<std::string>> expandInputs(const std::vector<std::string>& entries);

/// Where the compiled form of `input` goes in batch mode: beside it (`outputDir` empty), or
/// under `outputDir` at its path relative to `commonRoot`, so `runs/a/best.pt` and
/// `runs/b/best.pt` do not overwrite each other. `fileName` is the output's file name.
std::string batchOutputPath(const std::string& input, const std::string& fileName, const std::string& outputDir,
                            const std::string& commonRoot);

/// The deepest folder containing every input.
std::string commonParent(const std::vector<std::string>& inputs);

}  // namespace kiln::tools
