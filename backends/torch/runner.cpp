#include "backends/torch/runner.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include "backends/torch/tensor_convert.h"

namespace kiln::torch_runner {
namespace {

/// libtorch messages span many lines (a TorchScript traceback, then the error); a diagnostic
/// is one line, so keep the line that says what went wrong.
std::string oneLine(const std::string& message) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    std::string line = message.substr(start, end - start);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos) lines.push_back(line.substr(first));
    start = end + 1;
  }
  if (lines.empty()) return "unknown libtorch error";
  // The interpreter prints the Python-side traceback first and the exception last.
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (it->find("Error: ") != std::string::npos) return *it;
  return lines.front();
}

/// Appends the tensors in `value` in order: tuples, lists and dict values are walked,
/// Python scalars become 0-d tensors (what torch.jit.trace outputs would hold).
Status flatten(const c10::IValue& value, const std::string& what, std::vector<Tensor>& out) {
  std::string name = what + " " + std::to_string(out.size());
  if (value.isTensor()) {
    auto t = fromAtTensor(value.toTensor(), name);
    if (!t) return t.takeStatus();
    out.push_back(t.take());
  } else if (value.isTuple()) {
    for (const auto& element : value.toTupleRef().elements()) KILN_RETURN_IF_ERROR(flatten(element, what, out));
  } else if (value.isList()) {
    for (const c10::IValue& element : value.toListRef()) KILN_RETURN_IF_ERROR(flatten(element, what, out));
  } else if (value.isGenericDict()) {
    for (const auto& entry : value.toGenericDict()) KILN_RETURN_IF_ERROR(flatten(entry.value(), what, out));
  } else if (value.isDouble()) {
    out.push_back(Tensor::fromVector<double>(DType::Float64, {}, {value.toDouble()}));
  } else if (value.isInt()) {
    out.push_back(Tensor::fromVector<int64_t>(DType::Int64, {}, {value.toInt()}));
  } else if (value.isBool()) {
    out.push_back(Tensor::fromVector<uint8_t>(DType::Bool, {}, {static_cast<uint8_t>(value.toBool())}));
  } else {
    return Status::error(name + ": forward() returned a " + value.tagKind() + ", which is not a tensor");
  }
  return Status::ok();
}

Expected<std::vector<Tensor>> run(const std::string& path, const std::vector<Tensor>& inputs,
                                  const torchscript::RunOptions& options) {
  if (options.threads > 0) at::set_num_threads(options.threads);
  // Not frozen: freezing folds conv+batchnorm and similar, which changes float rounding, and
  // this runner is the judge other backends are compared with.
  torch::jit::Module module = torch::jit::load(path, c10::kCPU);
  module.eval();
  auto forward = module.find_method("forward");
  if (!forward) return Status::error("the module has no forward() method");
  const auto& schema = forward->function().getSchema();
  size_t expected = schema.arguments().size() - 1;  // without `self`
  if (!schema.is_vararg() && inputs.size() != expected) {
    std::string names;
    for (size_t i = 1; i < schema.arguments().size(); ++i) names += (i > 1 ? ", " : "") + schema.arguments()[i].name();
    return Status::error("forward(" + names + ") takes " + std::to_string(expected) + " inputs, " +
                         std::to_string(inputs.size()) + " given");
  }
  std::vector<c10::IValue> args;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string name = i + 1 < schema.arguments().size() ? schema.arguments()[i + 1].name() : std::to_string(i);
    auto t = toAtTensor(inputs[i], "input '" + name + "'");
    if (!t) return t.takeStatus();
    args.emplace_back(t.take());
  }
  c10::InferenceMode inference;
  c10::IValue result = (*forward)(std::move(args));
  std::vector<Tensor> outputs;
  KILN_RETURN_IF_ERROR(flatten(result, "output", outputs));
  return outputs;
}

}  // namespace

Expected<std::vector<Tensor>> runTorchScriptFile(const std::string& path, const std::vector<Tensor>& inputs,
                                                 const torchscript::RunOptions& options) {
  // libtorch reports everything by exception; none may leave the module.
  try {
    auto outputs = run(path, inputs, options);
    if (!outputs) return outputs.takeStatus().inFile(path);
    return outputs;
  } catch (const c10::Error& e) {
    std::string message = oneLine(e.what_without_backtrace());
    if (message.find("PytorchStreamReader") != std::string::npos || message.find("constants.pkl") != std::string::npos)
      return Diagnostic{.file = path, .message = "not a TorchScript archive (save a traced module with "
                                                 "torch.jit.trace(model, example).save(path)): " + message};
    return Diagnostic{.file = path, .message = "libtorch: " + message};
  } catch (const std::exception& e) {
    return Diagnostic{.file = path, .message = "libtorch: " + oneLine(e.what())};
  } catch (...) {
    return Diagnostic{.file = path, .message = "libtorch: unknown exception"};
  }
}

}  // namespace kiln::torch_runner
