// libFuzzer target: TorchScript graph IR text (the form `print(traced.graph)` shows) ->
// torch::jit::parseIR -> kiln's aten mapping (frontend/torchscript importGraph: unsupported-op
// scan, lowering, shape inference) -> graph limits -> verify -> print. Any input either maps or
// gets a diagnostic; libtorch's exceptions must come back as diagnostics, never escape.
//
// Input 0 of the graph stands for the module (as in a loaded forward()); every other input gets
// the shape and dtype its type gives (`Float(1, 3, 8, 8)`), or f32[1,3,8,8]. Tensor constants
// (`prim::Constant[value=<Tensor>]()` with a sized type) are made zero-filled, so a run is
// deterministic. libtorch's own passes (freezing, inlining, constant propagation) are not run:
// the seeds are graphs after them, and the mutations reach the mapping directly.

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/irparser.h>

#include <ATen/Parallel.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "frontend/torchscript/importer.h"
#include "frontend/torchscript/tensor_conversion.h"
#include "ir/limits.h"
#include "ir/printer.h"
#include "ir/verifier.h"

namespace {

constexpr size_t kMaxInputBytes = 64 * 1024;
constexpr int64_t kMaxInputElements = int64_t{1} << 24;

kiln::torchscript::InputSpec specFor(const torch::jit::Value* v) {
  kiln::torchscript::InputSpec spec{.name = v->debugName(), .dims = {1, 3, 8, 8}};
  auto type = v->type()->cast<c10::TensorType>();
  if (!type) return spec;
  if (auto scalar = type->scalarType())
    if (auto dtype = kiln::torchscript::dtypeFromTorch(*scalar)) spec.dtype = *dtype;
  if (auto sizes = type->sizes().concrete_sizes()) {
    int64_t elements = 1;
    for (int64_t d : *sizes)
      if (d < 0 || (d > 0 && elements > kMaxInputElements / d)) return spec;  // keep the default shape
      else elements *= d;
    spec.dims = *sizes;
  }
  return spec;
}

/// parseIR makes tensor constants with uninitialized contents; zero them for reproducible runs.
void zeroTensorConstants(torch::jit::Block* block) {
  for (torch::jit::Node* n : block->nodes()) {
    if (n->kind() == c10::prim::Constant && n->hasAttribute(c10::attr::value) &&
        n->kindOf(c10::attr::value) == torch::jit::AttributeKind::t)
      n->t(c10::attr::value).zero_();
    for (torch::jit::Block* b : n->blocks()) zeroTensorConstants(b);
  }
}

kiln::Expected<kiln::Model> importOrAbort(const torch::jit::Graph& graph,
                                          const std::vector<kiln::torchscript::InputSpec>& inputs) {
  try {
    return kiln::torchscript::importGraph(graph, inputs, {}, "fuzz.pt");
  } catch (...) {
    std::fprintf(stderr, "an exception escaped importGraph\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return -1;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto graph = std::make_shared<torch::jit::Graph>();
  try {
    torch::jit::parseIR(text, graph.get(), /*parse_tensor_constants=*/true);
    zeroTensorConstants(graph->block());
    graph->lint();  // what libtorch itself would not accept as a graph is not kiln's input
  } catch (const std::exception&) {
    return -1;
  }
  if (graph->inputs().empty()) return -1;
  std::vector<kiln::torchscript::InputSpec> inputs;
  for (size_t i = 1; i < graph->inputs().size(); ++i) inputs.push_back(specFor(graph->inputs()[i]));

  kiln::Expected<kiln::Model> model = importOrAbort(*graph, inputs);
  if (!model) return 0;
  kiln::Limits limits;
  limits.maxNodes = 20000;
  if (!kiln::checkGraphLimits(*model->graph, limits)) return 0;
  (void)kiln::verifyModel(*model);
  (void)kiln::printModel(*model);
  return 0;
}
