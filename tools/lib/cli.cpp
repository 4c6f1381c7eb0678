#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "tools/lib/command.h"
#include "tools/lib/limit_options.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.1.0"
#endif

namespace kiln::tools {

namespace {

/// `text` with control characters written as \xNN: names in a diagnostic come from the model,
/// and a hostile one must not break the one-line error, forge a second line or send terminal
/// escape sequences.
std::string printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
      continue;
    }
    static const char* hex = "0123456789abcdef";
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace

int reportError(const Diagnostic& d) {
  std::fprintf(stderr, "kiln: error: %s\n", printable(d.str()).c_str());
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
    CLI::App* sub = app.get_subcommands({})[before];
    addLimitOptions(*sub);
    actions[sub] = std::move(action);
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
