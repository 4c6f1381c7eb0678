#include "tools/lib/input_shape_args.h"

#include <charconv>
#include <map>

#include "ir/limits.h"
#include "ir/tensor.h"
#include "tools/lib/limit_options.h"

namespace kiln::tools {
namespace {

std::optional<DType> dtypeFromText(const std::string& s) {
  static const std::map<std::string, DType> kLong = {
      {"float32", DType::Float32}, {"float", DType::Float32},  {"float16", DType::Float16}, {"half", DType::Float16},
      {"float64", DType::Float64}, {"double", DType::Float64}, {"bfloat16", DType::BFloat16}, {"int64", DType::Int64},
      {"long", DType::Int64},      {"int32", DType::Int32},    {"int", DType::Int32},        {"int16", DType::Int16},
      {"int8", DType::Int8},       {"uint8", DType::UInt8},    {"bool", DType::Bool}};
  if (auto it = kLong.find(s); it != kLong.end()) return it->second;
  return parseDType(s);
}

Status bad(const std::string& text, const std::string& why) {
  return Status::error("--input-shape '" + text + "': " + why + " (expected NAME=1x3x224x224[:dtype])");
}

}  // namespace

Expected<torchscript::InputSpec> parseInputShape(const std::string& text) {
  torchscript::InputSpec spec;
  std::string rest = text;
  if (auto eq = rest.find('='); eq != std::string::npos) {
    spec.name = rest.substr(0, eq);
    rest = rest.substr(eq + 1);
    if (spec.name.empty()) return bad(text, "empty input name");
  }
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    std::string dtype = rest.substr(colon + 1);
    auto d = dtypeFromText(dtype);
    if (!d) return bad(text, "unknown dtype '" + dtype + "'");
    spec.dtype = *d;
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return bad(text, "no dims");
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t x = rest.find('x', pos);
    std::string part = rest.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    int64_t dim = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), dim);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || dim < 0)
      return bad(text, "'" + part + "' is not a size");
    spec.dims.push_back(dim);
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  // Inputs are generated or bound from these sizes: refuse products that cannot be counted or
  // stored before anything is allocated.
  std::optional<int64_t> count = safeElementCount(spec.dims);
  std::optional<uint64_t> bytes = count ? safeByteSize(spec.dtype, *count) : std::nullopt;
  if (!bytes) return bad(text, "the element count overflows int64");
  const Limits& limits = activeLimits();
  if (*bytes > limits.maxTensorBytes)
    return bad(text, "the input would be " + formatBytes(*bytes) + ", over the tensor size limit of " +
                         formatBytes(limits.maxTensorBytes) + " " + limitHint("--max-tensor-bytes"));
  return spec;
}

Expected<std::vector<torchscript::InputSpec>> parseInputShapes(const std::vector<std::string>& texts) {
  std::vector<torchscript::InputSpec> out;
  for (const auto& t : texts) {
    auto s = parseInputShape(t);
    if (!s) return s.takeStatus();
    for (const auto& prev : out)
      if (!prev.name.empty() && prev.name == s->name) return bad(t, "input '" + prev.name + "' given twice");
    out.push_back(s.take());
  }
  return out;
}

std::vector<std::string> parseOutputNames(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    out.push_back(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
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
