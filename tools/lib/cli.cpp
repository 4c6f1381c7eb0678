#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "tools/lib/command.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.1.0"
#endif

namespace kiln::tools {

int reportError(const Diagnostic& d) {
  std::fprintf(stderr, "kiln: error: %s\n", d.str().c_str());
  return kExitBadInput;
}

int reportError(const Status& status) { return reportError(status.diagnostic()); }

int runCli(int argc, char** argv) {
  CLI::App app{"kiln: an ahead-of-time graph compiler for neural-network models.\n"
               "Reads ONNX (and kiln's textual IR), writes ONNX at a chosen opset or textual IR.",
               "kiln"};
  app.set_version_flag("--version", std::string("kiln ") + KILN_VERSION);
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);

  std::map<CLI::App*, CommandAction> actions;
  auto add = [&](CommandAction (*registerFn)(CLI::App&)) {
    size_t before = app.get_subcommands({}).size();
    CommandAction action = registerFn(app);
    actions[app.get_subcommands({})[before]] = std::move(action);
  };
  add(addCompileCommand);
  add(addConvertCommand);
  add(addInspectCommand);
  add(addRunCommand);
  add(addOpsCommand);
  add(addValidateCommand);
  add(addBenchCommand);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors share the bad-input status: scripts test one code for "kiln refused".
    std::fprintf(stderr, "kiln: error: %s\n", e.what());
    std::fprintf(stderr, "Run with --help for usage.\n");
    return kExitBadInput;
  }
  for (auto& [sub, action] : actions)
    if (sub->parsed()) return action();
  return kExitBadInput;
}

}  // namespace kiln::tools
