#include "tools/lib/example_sizes.h"

#include <algorithm>

#include "ir/shape_inference.h"
#include "tools/lib/input_shape_args.h"

namespace kiln::tools {
namespace {

std::string dimsText(const std::vector<int64_t>& dims) {
  std::string out;
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? "x" : "") + std::to_string(dims[i]);
  return out;
}

/// The name an axis that moves usually has: batch first; NCHW images' height and width;
/// the sequence of [B, S] and [B, S, E] inputs. Anything else is named after its input.
std::string conventionalSymbol(const std::string& input, size_t rank, int64_t axis) {
  if (axis == 0) return "batch";
  if (rank == 4 && axis == 2) return "height";
  if (rank == 4 && axis == 3) return "width";
  if ((rank == 2 || rank == 3) && axis == 1) return "sequence";
  return input + "_" + std::to_string(axis);
}

}  // namespace

Expected<ExampleSizes> parseExampleSizes(const std::vector<std::string>& texts) {
  ExampleSizes out;
  std::vector<bool> repeated;
  for (const auto& text : texts) {
    auto spec = parseInputShape(text);
    if (!spec) return spec.takeStatus();
    auto it = std::find_if(out.first.begin(), out.first.end(),
                           [&](const auto& s) { return !s.name.empty() && s.name == spec->name; });
    if (it == out.first.end()) {
      out.first.push_back(spec.take());
      repeated.push_back(false);
      continue;
    }
    size_t i = static_cast<size_t>(it - out.first.begin());
    auto fail = [&](const std::string& why) {
      return Status::error("--input-shape '" + text + "': input '" + spec->name + "' " + why);
    };
    if (repeated[i]) return fail("given three times (at most two example sizes)");
    if (spec->dtype != it->dtype) return fail("has another dtype in its second example size");
    if (spec->dims.size() != it->dims.size()) return fail("has another rank in its second example size");
    if (spec->dims == it->dims) return fail("given twice with the same shape");
    repeated[i] = true;
    if (out.second.empty()) out.second = out.first;
    out.second.resize(out.first.size());
    out.second[i] = spec.take();
  }
  if (out.second.empty()) return out;
  // Inputs first seen after the repeat take their one size at both.
  for (size_t i = 0; i < out.first.size(); ++i)
    if (!repeated[i]) out.second[i] = out.first[i];

  for (size_t i = 0; i < out.first.size(); ++i) {
    const auto& a = out.first[i];
    const auto& b = out.second[i];
    for (size_t axis = 0; axis < a.dims.size(); ++axis) {
      if (a.dims[axis] == b.dims[axis]) continue;
      std::string symbol = conventionalSymbol(a.name, a.dims.size(), static_cast<int64_t>(axis));
      // One symbol names axes of several inputs only when they move together.
      for (const auto& other : out.axes)
        if (other.symbol == symbol && (other.first != a.dims[axis] || other.second != b.dims[axis]))
          symbol = a.name + "_" + std::to_string(axis);
      out.axes.push_back({a.name, static_cast<int64_t>(axis), symbol, a.dims[axis], b.dims[axis]});
    }
  }
  return out;
}

std::vector<std::string> ExampleSizes::dynamicAxes() const {
  std::vector<std::string> out;
  for (const auto& a : axes) out.push_back(a.input + ":" + std::to_string(a.axis) + "=" + a.symbol);
  return out;
}

std::vector<std::map<std::string, int64_t>> ExampleSizes::validationSizes() const {
  std::vector<std::map<std::string, int64_t>> out(3);
  for (const auto& a : axes) {
    int64_t lo = std::min(a.first, a.second), hi = std::max(a.first, a.second);
    out[0][a.symbol] = a.first;
    out[1][a.symbol] = a.second;
    out[2][a.symbol] = hi - lo >= 2 ? (lo + hi) / 2 : hi + 1;
  }
  return out;
}

std::string formatSymbolSizes(const std::map<std::string, int64_t>& sizes) {
  std::string out;
  for (const auto& [symbol, size] : sizes) out += (out.empty() ? "" : " ") + symbol + "=" + std::to_string(size);
  return out;
}

Status checkAtSecondSize(const Model& dynamized, const Model& secondImport, const ExampleSizes& sizes) {
  std::unique_ptr<Graph> g = dynamized.graph->clone();
  for (size_t i = 0; i < g->numInputs(); ++i) {
    Value* in = g->input(i);
    for (const auto& spec : sizes.second)
      if (spec.name == in->name())
        in->setType(Type::tensor(spec.dtype, Shape(std::vector<Dim>(spec.dims.begin(), spec.dims.end()))));
  }
  std::string where;
  for (const auto& spec : sizes.second) where += (where.empty() ? "" : ", ") + spec.name + "=" + dimsText(spec.dims);
  if (Status s = inferShapes(*g, {.refineExisting = false}); !s)
    return Status::error("at the second example size (" + where + ") the compiled graph does not infer: " + s.str());
  const Graph& ref = *secondImport.graph;
  for (size_t i = 0; i < std::min(g->numOutputs(), ref.numOutputs()); ++i) {
    const Type& got = g->output(i)->type();
    const Type& want = ref.output(i)->type();
    if (!got.isTensor() || !want.isTensor() || !got.shape().isRanked() || !want.shape().isRanked()) continue;
    bool differs = got.shape().rank() != want.shape().rank();
    for (size_t d = 0; !differs && d < got.shape().rank(); ++d)
      differs = got.shape()[d].isStatic() && want.shape()[d].isStatic() &&
                got.shape()[d].value() != want.shape()[d].value();
    if (differs)
      return Status::error("at the second example size (" + where + "), output '" + g->output(i)->name() +
                           "' comes out " + got.shape().str() + " where the module imported at that size gives " +
                           want.shape().str() + ": a traced size is still baked in (see the dynamize-shapes warnings)");
  }
  return Status::ok();
}

}  // namespace kiln::tools
