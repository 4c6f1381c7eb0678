#pragma once
// The pass registry: every pass name mapped to its factory, in one table
// (passes/pass_registry.cpp). A pass's summary and options live with the pass itself; the
// registry reads them from an instance, so there is one place to write each.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/diagnostic.h"
#include "passes/pass.h"

namespace kiln {

using PassFactory = std::unique_ptr<Pass> (*)();

struct PassInfo {
  std::string name;
  std::string summary;
  /// `name=default (type): help` for each option.
  std::vector<std::string> options;
  PassFactory factory = nullptr;
};

/// Every registered pass, ordered by name.
const std::vector<PassInfo>& listPasses();
/// The entry for `name`, or null.
const PassInfo* findPass(std::string_view name);
/// A new instance of pass `name`; the error lists the passes, or suggests the closest name.
Expected<std::unique_ptr<Pass>> createPass(std::string_view name);
/// The text `kiln compile --list-passes` prints: one pass per line with its summary, its
/// options indented below it.
std::string formatPassList();

}  // namespace kiln
