#pragma once
// The pieces every `kiln` subcommand shares: registration, exit codes, error reporting.

#include <functional>
#include <string>

#include "ir/diagnostic.h"

namespace CLI {
class App;
}

namespace kiln::tools {

/// Exit status contract of the command line (docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitValidationFail = 1,  ///< validation ran and an output FAILed
  kExitBadInput = 2,        ///< bad model, bad option, unsupported op or opset
};

/// A subcommand registers its options on `app` and returns the action to run once parsed.
using CommandAction = std::function<int()>;

CommandAction addInspectCommand(CLI::App& app);
CommandAction addConvertCommand(CLI::App& app);
CommandAction addCompileCommand(CLI::App& app);
CommandAction addRunCommand(CLI::App& app);
CommandAction addOpsCommand(CLI::App& app);
CommandAction addValidateCommand(CLI::App& app);
CommandAction addBenchCommand(CLI::App& app);

/// Prints `kiln: error: <diagnostic>` on one line of stderr and returns kExitBadInput.
int reportError(const Status& status);
int reportError(const Diagnostic& d);

/// Parses the command line and runs the chosen subcommand.
int runCli(int argc, char** argv);

}  // namespace kiln::tools
