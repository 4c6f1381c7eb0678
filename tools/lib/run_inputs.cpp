#include "tools/lib/run_inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <random>

#include "ir/float16.h"
#include "tools/lib/npy.h"

namespace kiln::tools {
namespace {

/// Checks `t` against the declared type of input `v`, binding symbols as it goes.
Status checkAgainstSignature(const Value& v, const Tensor& t, std::map<std::string, int64_t>& bound,
                             const std::string& file) {
  const Type& type = v.type();
  if (!type.isTensor()) return Status::ok();
  auto where = [&](std::string msg) { return Diagnostic{.file = file, .message = "input '" + v.name() + "': " + msg}; };
  if (type.dtype() != DType::Undefined && type.dtype() != t.dtype())
    return where(fmt::format("dtype {} does not match the model's {}", dtypeName(t.dtype()), dtypeName(type.dtype())));
  if (!type.shape().isRanked()) return Status::ok();
  const auto& dims = type.shape().dims();
  if (dims.size() != t.rank())
    return where(fmt::format("rank {} does not match the model's {} ({})", t.rank(), dims.size(), type.shape().str()));
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t actual = t.dims()[i];
    if (dims[i].isStatic() && dims[i].value() != actual)
      return where(fmt::format("dim {} is {}, the model expects {}", i, actual, dims[i].value()));
    if (auto sym = dims[i].asSymbol()) {
      auto [it, inserted] = bound.emplace(std::string(*sym), actual);
      if (!inserted && it->second != actual)
        return where(fmt::format("dim {} is {}, but '{}' is already {}", i, actual, *sym, it->second));
    }
  }
  return Status::ok();
}

Expected<std::vector<int64_t>> concreteDims(const Value& v, const std::map<std::string, int64_t>& bound) {
  const Shape& s = v.type().shape();
  if (!s.isRanked()) return Status::error("input '" + v.name() + "' has unknown rank: give it with --input");
  std::vector<int64_t> out;
  for (const Dim& d : s.dims()) {
    if (d.isStatic()) out.push_back(d.value());
    else if (auto sym = d.asSymbol(); sym && bound.count(std::string(*sym))) out.push_back(bound.at(std::string(*sym)));
    else if (d.isSymbolic() && !sym) return Status::error("input '" + v.name() + "' has dim '" + d.str() + "': give it with --input");
    else out.push_back(1);  // unbound symbol or unknown dim: the smallest valid size
  }
  return out;
}

/// Uniform [-1, 1) for floats, [0, 10) for integers, fair coin for bool: valid for most models.
Tensor randomTensor(DType dtype, std::vector<int64_t> dims, std::mt19937_64& rng) {
  Tensor t = Tensor::zeros(dtype, std::move(dims));
  std::uniform_real_distribution<float> real(-1.f, 1.f);
  std::uniform_int_distribution<int64_t> integer(0, 9);
  int64_t n = t.numElements();
  std::byte* p = dtype == DType::String ? nullptr : t.mutableRawData();
  for (int64_t i = 0; i < n; ++i) {
    auto store = [&](auto value) { std::memcpy(p + i * sizeof(value), &value, sizeof(value)); };
    switch (dtype) {
      case DType::Float32: store(real(rng)); break;
      case DType::Float64: store(static_cast<double>(real(rng))); break;
      case DType::Float16: store(floatToHalf(real(rng))); break;
      case DType::BFloat16: store(floatToBfloat16(real(rng))); break;
      case DType::Bool: store(static_cast<uint8_t>(rng() & 1)); break;
      case DType::Int8: store(static_cast<int8_t>(integer(rng))); break;
      case DType::UInt8: store(static_cast<uint8_t>(integer(rng))); break;
      case DType::Int16: store(static_cast<int16_t>(integer(rng))); break;
      case DType::UInt16: store(static_cast<uint16_t>(integer(rng))); break;
      case DType::Int32: store(static_cast<int32_t>(integer(rng))); break;
      case DType::UInt32: store(static_cast<uint32_t>(integer(rng))); break;
      case DType::Int64: store(integer(rng)); break;
      case DType::UInt64: store(static_cast<uint64_t>(integer(rng))); break;
      default: break;
    }
  }
  return t;
}

}  // namespace

Expected<std::map<std::string, int64_t>> parseDimBindings(const std::vector<std::string>& entries) {
  std::map<std::string, int64_t> out;
  for (const auto& e : entries) {
    auto eq = e.find('=');
    int64_t value = 0;
    auto rest = eq == std::string::npos ? std::string_view() : std::string_view(e).substr(eq + 1);
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (eq == 0 || eq == std::string::npos || ec != std::errc() || ptr != rest.data() + rest.size() || value < 0)
      return Status::error("--dim expects SYMBOL=SIZE with SIZE >= 0, got '" + e + "'");
    out[e.substr(0, eq)] = value;
  }
  return out;
}

Expected<std::vector<Tensor>> bindInputs(const Model& model, const InputSpec& spec) {
  const Graph& g = *model.graph;
  std::map<std::string, std::pair<Tensor, std::string>> given;  // name -> (tensor, file)
  for (const auto& entry : spec.files) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) {
      auto arrays = readNpz(entry);
      if (!arrays) return arrays.takeStatus();
      for (auto& a : *arrays) given[a.name] = {std::move(a.tensor), entry};
    } else {
      std::string file = entry.substr(eq + 1);
      auto t = readNpy(file);
      if (!t) return t.takeStatus();
      given[entry.substr(0, eq)] = {t.take(), file};
    }
  }
  for (const auto& [name, value] : given) {
    bool known = false;
    for (Value* in : g.inputs()) known |= in->name() == name;
    if (!known) return Diagnostic{.file = value.second, .message = "'" + name + "' is not an input of the model"};
  }

  std::map<std::string, int64_t> bound = spec.dims;
  std::vector<Tensor> inputs(g.numInputs());
  for (size_t i = 0; i < g.numInputs(); ++i)
    if (auto it = given.find(g.input(i)->name()); it != given.end()) {
      KILN_RETURN_IF_ERROR(checkAgainstSignature(*g.input(i), it->second.first, bound, it->second.second));
      inputs[i] = it->second.first;
    }
  std::mt19937_64 rng(spec.seed);
  for (size_t i = 0; i < g.numInputs(); ++i) {
    const Value& v = *g.input(i);
    if (given.count(v.name())) continue;
    auto def = std::find_if(g.inputDefaults().begin(), g.inputDefaults().end(),
                            [&](const auto& d) { return d.first == &v; });
    if (def != g.inputDefaults().end()) {  // an initializer-backed input keeps its value
      inputs[i] = def->second;
      continue;
    }
    if (!v.type().isTensor() || v.dtype() == DType::Undefined || v.dtype() == DType::String)
      return Status::error("input '" + v.name() + "' of type " + v.type().str() + " cannot be generated: give it with --input");
    auto dims = concreteDims(v, bound);
    if (!dims) return dims.takeStatus();
    inputs[i] = randomTensor(v.dtype(), dims.take(), rng);
  }
  return inputs;
}

}  // namespace kiln::tools
