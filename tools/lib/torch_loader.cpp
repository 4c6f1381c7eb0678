#include "tools/lib/torch_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace kiln::tools {
namespace {

std::string modulePath() {
  if (const char* env = std::getenv("KILN_TORCH_MODULE"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "libkiln_torch.so";
  return (exe.parent_path() / "libkiln_torch.so").string();
}

Expected<const torchscript::TorchApi*> openModule() {
  std::string path = modulePath();
  // RTLD_LOCAL keeps libtorch's symbols out of the global namespace; kiln_ir resolves to the
  // one copy already loaded with the executable.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return Diagnostic{.file = path,
                      .message = std::string("cannot load kiln's TorchScript module (needed for .pt files): ") +
                                 (why ? why : "unknown error")};
  }
  using EntryFn = const torchscript::TorchApi* (*)();
  auto entry = reinterpret_cast<EntryFn>(dlsym(handle, "kilnTorchApi"));
  if (!entry) return Diagnostic{.file = path, .message = "not a kiln TorchScript module (no kilnTorchApi symbol)"};
  const torchscript::TorchApi* api = entry();
  if (!api || api->version != torchscript::kTorchApiVersion)
    return Diagnostic{.file = path, .message = "kiln TorchScript module of another kiln version; rebuild kiln"};
  return api;
}

}  // namespace

Expected<const torchscript::TorchApi*> loadTorchApi() {
  // Loaded once; a failure is remembered too, so every caller reports the same reason.
  static std::once_flag once;
  static Expected<const torchscript::TorchApi*> loaded = Diagnostic{};
  std::call_once(once, [] { loaded = openModule(); });
  return loaded;
}

}  // namespace kiln::tools
