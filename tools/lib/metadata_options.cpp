#include "tools/lib/metadata_options.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace kiln::tools {

Expected<MetadataEntries> parseMetadataOptions(const std::vector<std::string>& entries) {
  MetadataEntries out;
  for (const auto& e : entries) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) return Status::error("--metadata expects KEY=VALUE, got '" + e + "'");
    out.emplace_back(e.substr(0, eq), e.substr(eq + 1));
  }
  return out;
}

Expected<MetadataEntries> readMetadataFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Diagnostic{.file = path, .message = "cannot read the metadata file"};
  std::stringstream text;
  text << in.rdbuf();
  // ordered_json keeps the file's key order, so metadata_props come out as written.
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Diagnostic{.file = path, .message = "not valid JSON"};
  if (!json.is_object())
    return Diagnostic{.file = path, .message = "--metadata-file expects a JSON object of string values"};
  MetadataEntries out;
  for (const auto& [key, value] : json.items()) {
    if (!value.is_string())
      return Diagnostic{.file = path, .message = "value of '" + key + "' is " + value.type_name() +
                                                 ", expected a string (metadata_props hold strings; quote it)"};
    if (key.empty()) return Diagnostic{.file = path, .message = "empty key"};
    out.emplace_back(key, value.get<std::string>());
  }
  return out;
}

void applyMetadata(Model& model, const MetadataEntries& entries) {
  for (const auto& [key, value] : entries) {
    auto it = std::find_if(model.metadata.begin(), model.metadata.end(), [&](const auto& kv) { return kv.first == key; });
    if (it != model.metadata.end()) it->second = value;
    else model.metadata.emplace_back(key, value);
  }
}

}  // namespace kiln::tools
