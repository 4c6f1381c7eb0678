// Linking a model object into a shared library with the system C++ driver: the runtime archive
// whole (its op and kernel tables register themselves from static initializers), the C++
// runtime linked statically and hidden, and only `<name>_*` exported, so the library needs
// libc, libm and libpthread only and two model libraries can share a process.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/llvm/aot/aot_compile.h"

extern char** environ;

namespace kiln::llvmjit {
namespace {

/// Removes a temporary file when it goes out of scope.
struct TempFile {
  std::string path;
  ~TempFile() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove(path, ec);
  }
};

std::string tail(const std::string& path, size_t maxBytes) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > maxBytes) text = "..." + text.substr(text.size() - maxBytes);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

Status linkSharedLibrary(const std::string& objectPath, const std::string& archivePath, const std::string& name,
                         const std::string& outputPath) {
  if (!std::filesystem::exists(archivePath))
    return Status::error("the model-library runtime '" + archivePath + "' is missing (build target kiln_aot_runtime)");
  const std::string stamp = std::to_string(::getpid());
  TempFile script{outputPath + ".tmp-" + stamp + ".map"};
  TempFile log{outputPath + ".tmp-" + stamp + ".log"};
  TempFile library{outputPath + ".tmp-" + stamp};
  {
    std::ofstream out(script.path);
    out << "{\n  global: " << name << "_*;\n  local: *;\n};\n";
    if (!out) return Status::error("cannot write '" + script.path + "'");
  }
  const char* cxxEnv = std::getenv("KILN_CXX");
  const std::string cxx = cxxEnv && *cxxEnv ? cxxEnv : "c++";
  std::vector<std::string> args = {cxx, "-shared", "-o", library.path, objectPath,
                                   "-Wl,--whole-archive", archivePath, "-Wl,--no-whole-archive",
                                   "-static-libstdc++", "-static-libgcc", "-Wl,--exclude-libs,ALL",
                                   "-Wl,--version-script=" + script.path, "-Wl,-z,defs", "-Wl,-z,noexecstack",
                                   "-Wl,--gc-sections", "-s", "-lm", "-lpthread"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, cxx.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    return Status::error("cannot run the C++ compiler '" + cxx + "' to link the library: " + std::strerror(spawned) +
                         " (install g++ or clang++, or set KILN_CXX)");
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
    return Status::error("linking '" + outputPath + "' with " + cxx + " failed: " + tail(log.path, 2000));
  std::error_code ec;
  std::filesystem::rename(library.path, outputPath, ec);
  if (ec) return Status::error("cannot rename the library to '" + outputPath + "': " + ec.message());
  library.path.clear();
  return Status::ok();
}

}  // namespace kiln::llvmjit
