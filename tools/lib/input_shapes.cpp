#include "tools/lib/input_shapes.h"

#include <charconv>
#include <map>

namespace kiln::tools {
namespace {

/// Spellings users bring from torch and numpy, besides kiln's own short names.
std::optional<DType> dtypeFromName(std::string_view name) {
  static const std::map<std::string_view, DType> kAliases = {
      {"float32", DType::Float32}, {"float", DType::Float32},     {"float64", DType::Float64},
      {"double", DType::Float64},  {"float16", DType::Float16},   {"half", DType::Float16},
      {"bfloat16", DType::BFloat16}, {"int8", DType::Int8},       {"uint8", DType::UInt8},
      {"int16", DType::Int16},     {"short", DType::Int16},       {"int32", DType::Int32},
      {"int", DType::Int32},       {"int64", DType::Int64},       {"long", DType::Int64},
  };
  if (auto it = kAliases.find(name); it != kAliases.end()) return it->second;
  return parseDType(name);
}

Expected<std::vector<int64_t>> parseDims(std::string_view text, const std::string& entry) {
  std::vector<int64_t> dims;
  auto bad = [&] {
    return Status::error("--input-shape expects NAME=1x3x224x224[:dtype] (sizes >= 0 joined by 'x'), got '" + entry + "'");
  };
  if (text.empty()) return bad();
  size_t start = 0;
  while (true) {
    size_t end = text.find('x', start);
    std::string_view part = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    int64_t value = -1;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || value < 0) return bad();
    dims.push_back(value);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return dims;
}

}  // namespace

Expected<std::vector<torchscript::InputSpec>> parseInputShapes(const std::vector<std::string>& entries) {
  std::vector<torchscript::InputSpec> specs;
  for (const std::string& entry : entries) {
    torchscript::InputSpec spec;
    std::string_view rest = entry;
    if (auto eq = rest.find('='); eq != std::string_view::npos) {
      spec.name = std::string(rest.substr(0, eq));
      if (spec.name.empty()) return Status::error("--input-shape has an empty NAME in '" + entry + "'");
      rest.remove_prefix(eq + 1);
    }
    if (auto colon = rest.find(':'); colon != std::string_view::npos) {
      auto dtype = dtypeFromName(rest.substr(colon + 1));
      if (!dtype || *dtype == DType::String)
        return Status::error("--input-shape: unknown dtype '" + std::string(rest.substr(colon + 1)) + "' in '" + entry +
                             "' (float32, float16, bfloat16, float64, int8..int64, uint8, bool)");
      spec.dtype = *dtype;
      rest = rest.substr(0, colon);
    }
    auto dims = parseDims(rest, entry);
    if (!dims) return dims.takeStatus();
    spec.dims = dims.take();
    for (const auto& other : specs)
      if (!spec.name.empty() && other.name == spec.name)
        return Status::error("--input-shape given twice for '" + spec.name + "'");
    specs.push_back(std::move(spec));
  }
  return specs;
}

Model signatureFromInputShapes(const std::vector<torchscript::InputSpec>& specs) {
  Model model;
  for (size_t i = 0; i < specs.size(); ++i) {
    std::vector<Dim> dims(specs[i].dims.begin(), specs[i].dims.end());
    std::string name = specs[i].name.empty() ? "input_" + std::to_string(i) : specs[i].name;
    model.graph->addInput(std::move(name), Type::tensor(specs[i].dtype, Shape(std::move(dims))));
  }
  return model;
}

}  // namespace kiln::tools
