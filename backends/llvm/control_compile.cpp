// Compiling the bodies of If, Loop and Scan for the JIT: each subgraph becomes a Program whose
// kernels are generated into the model's module (names prefixed by the enclosing steps, so
// nested bodies never collide), then looked up once the module is compiled.

#include <llvm/IR/Module.h>

#include "backends/llvm/codegen_context.h"
#include "backends/llvm/control_step.h"
#include "backends/llvm/jit_engine.h"
#include "backends/llvm/kernel_module.h"

namespace kiln::llvmjit {
namespace {

/// The subgraph attributes of a control op, in ControlStep::bodies order.
std::vector<std::string> bodyAttributes(const Node& node) {
  if (node.opType() == "If") return {"then_branch", "else_branch"};
  return {"body"};
}

}  // namespace

std::shared_ptr<ControlStep> generateControlStep(CodegenContext& cg, const Node& node, const std::string& prefix,
                                                 JitStats& stats) {
  std::vector<const Graph*> graphs;
  for (const std::string& name : bodyAttributes(node)) {
    const Attribute* a = node.attr(name);
    if (!a || a->kind() != AttrKind::Graph) return nullptr;
    graphs.push_back(&a->g());
  }
  auto control = std::make_shared<ControlStep>();
  for (size_t b = 0; b < graphs.size(); ++b) {
    auto body = std::make_unique<Program>();
    // The model's graph owns its bodies and outlives every program.
    body->graph = std::shared_ptr<const Graph>(graphs[b], [](const Graph*) {});
    body->captures = capturedValues(*graphs[b]);
    generateSteps(cg, *graphs[b], prefix + "b" + std::to_string(b) + "_", /*controlFlow=*/true, body->steps, stats);
    control->bodies.push_back(std::move(body));
  }
  return control;
}

Status resolveBodyKernels(std::vector<Step>& steps, JitEngine& engine) {
  for (Step& step : steps) {
    if (!step.control) continue;
    for (auto& body : step.control->bodies) {
      for (Step& s : body->steps) {
        if (s.kind != Step::Kind::Generated) continue;
        auto address = engine.lookup(s.kernelName);
        if (!address) return address.takeStatus();
        s.kernel = reinterpret_cast<KernelFn>(*address);
      }
      KILN_RETURN_IF_ERROR(resolveBodyKernels(body->steps, engine));
    }
  }
  return Status::ok();
}

std::vector<const Step*> generatedSteps(const std::vector<Step>& steps) {
  std::vector<const Step*> out;
  for (const Step& step : steps) {
    if (step.kind == Step::Kind::Generated) out.push_back(&step);
    if (!step.control) continue;
    for (const auto& body : step.control->bodies)
      for (const Step* s : generatedSteps(body->steps)) out.push_back(s);
  }
  return out;
}

}  // namespace kiln::llvmjit
