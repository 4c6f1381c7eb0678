#pragma once
// The pass contract (after MLIR and Halide): a pass has a kebab-case name, a one-line summary
// and typed options; `run` transforms one graph and says whether it changed anything, or
// returns a diagnostic naming the node it could not handle. Each pass's class lives in an
// anonymous namespace in its own .cpp; passes/passes.h lists the factories.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/graph.h"

namespace kiln {

class PassContext;

/// One typed option of a pass, settable from pipeline text: `fold-constants{max-bytes=4096}`.
struct PassOption {
  using Field = std::variant<int64_t*, double*, bool*, std::string*>;
  std::string name;  ///< kebab-case
  std::string help;
  Field field;       ///< points into the pass object
  std::string defaultText;  ///< the value when the pass was built, as text

  /// The current value as text (`1048576`, `1.5`, `true`, `"abc"` unquoted).
  std::string valueText() const;
  /// Parses `text` into the field; the error says which type was expected.
  Status set(std::string_view text);
  /// `int`, `float`, `bool` or `string`.
  std::string_view typeName() const;
};

class Pass {
 public:
  Pass(std::string name, std::string summary) : name_(std::move(name)), summary_(std::move(summary)) {}
  virtual ~Pass() = default;
  Pass(const Pass&) = delete;
  Pass& operator=(const Pass&) = delete;

  const std::string& name() const { return name_; }
  const std::string& summary() const { return summary_; }

  /// Transforms `graph` (its subgraphs included). Returns whether anything changed, or an
  /// error naming the node involved. All mutation goes through `ctx.rewriter()`.
  virtual Expected<bool> run(Graph& graph, PassContext& ctx) = 0;

  const std::vector<PassOption>& options() const { return options_; }
  /// Sets option `name` from text; errors name the pass and list its options.
  Status setOption(std::string_view name, std::string_view value);
  /// `name` or `name{opt=value ...}` listing the options that differ from their defaults:
  /// the text parsePipeline reads back to this pass.
  std::string str() const;

 protected:
  /// Declares an option backed by a member of the derived pass (call from its constructor,
  /// after the member holds its default).
  template <typename T>
  void addOption(std::string name, T* field, std::string help) {
    PassOption o{std::move(name), std::move(help), PassOption::Field(field), ""};
    o.defaultText = o.valueText();
    options_.push_back(std::move(o));
  }

 private:
  std::string name_, summary_;
  std::vector<PassOption> options_;
};

}  // namespace kiln
