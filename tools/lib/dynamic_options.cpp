#include "tools/lib/dynamic_options.h"

#include <CLI/CLI.hpp>

#include "passes/dynamize_spec.h"

namespace kiln::tools {

void addDynamicOptions(CLI::App& cmd, DynamicOptions& o) {
  auto* group = "Dynamic shapes";
  cmd.add_option("--dynamic", o.axes,
                 "Make an input axis symbolic: NAME:AXIS=SYMBOL (repeatable), e.g. input_ids:1=sequence;\n"
                 "NAME:AXIS=SYMBOL@SIZE when the file already marks the axis dynamic (SIZE: the traced size)")
      ->group(group);
  cmd.add_flag("--dynamic-batch", o.batch, "Axis 0 of every input becomes the symbol `batch`")->group(group);
  cmd.add_flag("--strict-dynamic", o.strict,
               "A traced size that cannot be proven to follow a symbol is an error instead of a warning")
      ->group(group);
}

Expected<std::optional<std::string>> dynamicPipeline(const DynamicOptions& o) {
  std::vector<DynamicAxis> axes;
  for (const std::string& text : o.axes) {
    auto a = parseDynamicAxis(text);
    if (!a) return a.takeStatus();
    // The pipeline text ends an option value at a space, ',' or '}'; ';' separates entries.
    if (a->input.find_first_of(" ,};") != std::string::npos)
      return Status::error("--dynamic '" + text + "': input names with spaces, ',', ';' or '}' are not supported");
    axes.push_back(a.take());
  }
  if (axes.empty() && !o.batch) {
    if (o.strict) return Status::error("--strict-dynamic needs --dynamic or --dynamic-batch");
    return std::optional<std::string>();
  }
  std::string options;
  if (!axes.empty()) options += "dims=" + formatDynamicAxes(axes);
  if (o.batch) options += std::string(options.empty() ? "" : " ") + "batch=true";
  if (o.strict) options += " strict=true";
  // dce removes the shape arithmetic the rewritten constants no longer need.
  return std::optional<std::string>("dynamize-shapes{" + options + "},dce");
}

}  // namespace kiln::tools
