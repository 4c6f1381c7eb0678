#pragma once
// `--metadata KEY=VALUE` and `--metadata-file F.json`: metadata_props entries written into the
// output model (downstream runtimes read e.g. normalisation values and the model name there).

#include <string>
#include <utility>
#include <vector>

#include "ir/model.h"

namespace kiln::tools {

using MetadataEntries = std::vector<std::pair<std::string, std::string>>;

/// Parses `KEY=VALUE` entries (the value may contain '=' and be empty; the key may not).
Expected<MetadataEntries> parseMetadataOptions(const std::vector<std::string>& entries);

/// Reads a JSON object whose values are all strings, in file order.
Expected<MetadataEntries> readMetadataFile(const std::string& path);

/// Sets each entry on the model, replacing an existing key's value, appending a new key.
void applyMetadata(Model& model, const MetadataEntries& entries);

}  // namespace kiln::tools
