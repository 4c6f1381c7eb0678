#include "tools/lib/batch_inputs.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>

namespace kiln::tools {

namespace fs = std::filesystem;

bool isGlobPattern(const std::string& pattern) { return pattern.find_first_of("*?[") != std::string::npos; }

Expected<std::vector<std::string>> expandInputs(const std::vector<std::string>& entries) {
  std::vector<std::string> out;
  for (const std::string& entry : entries) {
    // A file whose name really contains a metacharacter is taken as it is.
    if (!isGlobPattern(entry) || fs::exists(entry)) {
      out.push_back(entry);
      continue;
    }
    glob_t matches{};
    int rc = glob(entry.c_str(), 0, nullptr, &matches);
    std::vector<std::string> found;
    if (rc == 0)
      for (size_t i = 0; i < matches.gl_pathc; ++i)
        if (!fs::is_directory(matches.gl_pathv[i])) found.emplace_back(matches.gl_pathv[i]);
    globfree(&matches);
    if (found.empty()) return Diagnostic{.file = entry, .message = "no file matches this pattern"};
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::string commonParent(const std::vector<std::string>& inputs) {
  if (inputs.empty()) return ".";
  auto parentOf = [](const std::string& p) { return fs::absolute(p).lexically_normal().parent_path(); };
  fs::path common = parentOf(inputs.front());
  for (const auto& input : inputs) {
    fs::path parent = parentOf(input);
    while (!common.empty()) {
      auto rel = parent.lexically_relative(common);
      if (!rel.empty() && *rel.begin() != "..") break;
      if (common == common.root_path()) break;
      common = common.parent_path();
    }
  }
  return common.string();
}

std::string batchOutputPath(const std::string& input, const std::string& fileName, const std::string& outputDir,
                            const std::string& commonRoot) {
  fs::path source = fs::absolute(input).lexically_normal();
  if (outputDir.empty()) return (fs::path(input).parent_path() / fileName).string();
  fs::path rel = source.parent_path().lexically_relative(commonRoot);
  if (rel.empty() || rel == ".") return (fs::path(outputDir) / fileName).string();
  return (fs::path(outputDir) / rel / fileName).string();
}

}  // namespace kiln::tools
