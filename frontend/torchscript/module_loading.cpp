#include "frontend/torchscript/module_loading.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/loop_unrolling.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
#include <torch/csrc/jit/passes/remove_dropout.h>
#include <torch/csrc/jit/passes/remove_mutation.h>
#include <torch/csrc/jit/serialization/import.h>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <fstream>
#include <sstream>

#include "frontend/torchscript/tensor_conversion.h"

namespace kiln::torchscript {
namespace {

constexpr const char* kHowToTrace =
    "kiln needs a traced TorchScript module: torch.jit.trace(model.eval(), example_inputs).save(\"model.pt\")";

std::string firstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}

/// The first non-blank line of a libtorch load error, with the place in the archive's code it
/// names (`code/__torch__/m.py line 12: Arguments for call are not valid.`), if any.
std::string loadErrorSummary(const std::string& what) {
  std::istringstream in(what);
  std::string line, first, place;
  while (std::getline(in, line)) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (first.empty()) first = line.substr(start);
    size_t file = line.find("File \"code/");
    if (place.empty() && file != std::string::npos) {
      size_t end = line.find('"', file + 6);
      size_t lineNo = line.find(", line ", end);
      place = line.substr(file + 6, end - file - 6);
      if (end != std::string::npos && lineNo != std::string::npos) place += " line " + line.substr(lineNo + 7);
    }
  }
  return firstLine(place.empty() ? first : place + ": " + first);
}

/// What a file that libtorch would not load as TorchScript is, when we can tell.
std::string describeNonTorchScript(const std::string& path, const std::string& torchError) {
  std::ifstream in(path, std::ios::binary);
  char head[4] = {};
  in.read(head, sizeof head);
  if (in.gcount() == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
    bool hasCode = false;
    try {
      caffe2::serialize::PyTorchStreamReader reader(path);
      for (const std::string& r : reader.getAllRecords())
        if (r.rfind("code/", 0) == 0) hasCode = true;
    } catch (const std::exception&) {
    }
    if (!hasCode)
      return std::string("is a torch.save checkpoint (a state_dict or pickled model), not a TorchScript module; ") +
             kHowToTrace;
    return "is a TorchScript archive that libtorch cannot load: " + loadErrorSummary(torchError);
  }
  if (in.gcount() >= 1 && static_cast<unsigned char>(head[0]) == 0x80)
    return std::string("is a pickled torch.save file (legacy format), not a TorchScript module; ") + kHowToTrace;
  return "is not a TorchScript file (" + loadErrorSummary(torchError) + "); " + kHowToTrace;
}

/// The line of a TorchScript interpreter error that says what went wrong: its last
/// `...Error: ...` line (the first lines are a serialized-code traceback).
std::string errorSummary(const std::string& what) {
  std::istringstream in(what);
  std::string line, found, last;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    last = line;
    if (line.find("Error: ") != std::string::npos) found = line;
  }
  std::string s = found.empty() ? last : found;
  s = s.substr(std::min(s.size(), s.find_first_not_of(" \t")));
  return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

std::string baseName(const std::string& debugName) {
  auto dot = debugName.find('.');
  return dot == std::string::npos ? debugName : debugName.substr(0, dot);
}

std::string dimsText(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s.empty() ? "scalar" : s;
}

}  // namespace

Expected<PreparedModule> loadTracedModule(const std::string& path) {
  PreparedModule p;
  try {
    p.module = torch::jit::load(path);
  } catch (const std::exception& e) {
    return Diagnostic{.file = path, .message = describeNonTorchScript(path, e.what())};
  }
  if (!p.module.find_method("forward")) return Diagnostic{.file = path, .message = "the module has no forward() method"};
  p.module.eval();
  p.module = torch::jit::freeze_module(p.module);
  p.graph = p.module.get_method("forward").graph()->copy();
  torch::jit::Inline(*p.graph);
  torch::jit::removeDropout(p.graph);
  torch::jit::RemoveTensorMutation(p.graph);
  torch::jit::LowerAllTuples(p.graph);
  torch::jit::ConstantPropagation(p.graph);
  // A scripted `for` over a constant range: unrolled (the index becomes a constant per copy).
  if (torch::jit::UnrollConstantLoops(p.graph)) torch::jit::ConstantPropagation(p.graph);
  torch::jit::EliminateDeadCode(p.graph);
  for (size_t i = 1; i < p.graph->inputs().size(); ++i) p.inputNames.push_back(baseName(p.graph->inputs()[i]->debugName()));
  return p;
}

Expected<std::vector<InputSpec>> matchInputSpecs(const std::string& path, const std::vector<std::string>& inputNames,
                                                 const std::vector<InputSpec>& specs) {
  std::vector<std::optional<InputSpec>> bound(inputNames.size());
  size_t nextUnnamed = 0;
  for (const InputSpec& s : specs) {
    size_t index = inputNames.size();
    if (s.name.empty()) {
      while (nextUnnamed < inputNames.size() && bound[nextUnnamed]) ++nextUnnamed;
      index = nextUnnamed;
    } else {
      for (size_t i = 0; i < inputNames.size(); ++i)
        if (inputNames[i] == s.name) index = i;
    }
    if (index >= inputNames.size()) {
      std::string names;
      for (const auto& n : inputNames) names += (names.empty() ? "" : ", ") + n;
      return Diagnostic{.file = path, .message = "--input-shape names '" + s.name + "', but forward() takes: " + names};
    }
    bound[index] = s;
    bound[index]->name = inputNames[index];
  }
  std::string missing;
  for (size_t i = 0; i < inputNames.size(); ++i)
    if (!bound[i]) missing += (missing.empty() ? "" : ", ") + inputNames[i];
  if (!missing.empty())
    return Diagnostic{.file = path,
                      .message = "a traced module records no input shapes: give --input-shape for " + missing +
                                 " (e.g. --input-shape " + inputNames[0] + "=1x3x224x224[:dtype])"};
  std::vector<InputSpec> out;
  for (auto& b : bound) out.push_back(*b);
  return out;
}

Status checkRunsOnShapes(const std::string& path, PreparedModule& prepared, const std::vector<InputSpec>& inputs) {
  std::vector<c10::IValue> args;
  std::string given;
  for (const InputSpec& s : inputs) {
    auto type = dtypeToTorch(s.dtype);
    if (!type) return Diagnostic{.file = path, .message = "input '" + s.name + "': dtype not supported"};
    args.emplace_back(at::zeros(s.dims, at::TensorOptions().dtype(*type)));
    given += (given.empty() ? "" : ", ") + s.name + "=" + dimsText(s.dims) + ":" + std::string(dtypeName(s.dtype));
  }
  try {
    c10::InferenceMode inference;
    prepared.module.forward(args);
  } catch (const std::exception& e) {
    std::string what = errorSummary(e.what());
    return Diagnostic{.file = path,
                      .message = "the traced module does not run on the given input shapes (" + given +
                                 "): wrong rank or dtype? libtorch says: " + what};
  }
  return Status::ok();
}

}  // namespace kiln::torchscript
