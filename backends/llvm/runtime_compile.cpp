// Compiling a model for the JIT runtime: a shape-inferred copy of the graph, value ids and
// liveness, one kernel per node with generated code (all in one LLVM module), the rest marked
// as fallbacks with their reason.

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/Support/raw_ostream.h>

#include <chrono>

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/control_step.h"
#include "backends/llvm/jit_engine.h"
#include "backends/llvm/jit_lowering.h"
#include "backends/llvm/kernel_module.h"
#include "backends/llvm/runtime_impl.h"
#include "ir/shape_inference.h"

namespace kiln::llvmjit {
namespace {

bool isConstant(const Node& n) { return n.domain().empty() && n.opType() == "Constant"; }

std::string fmtHex(size_t v) {
  char text[32];
  std::snprintf(text, sizeof text, "kiln-%016zx", v);
  return text;
}

/// A symbol-safe kernel name: <prefix>k<step>_<op> (the prefix names the enclosing bodies).
std::string kernelName(const std::string& prefix, size_t step, const Node& node) {
  std::string name = prefix + "k" + std::to_string(step) + "_";
  for (char c : node.opType()) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

}  // namespace

void generateKernels(const Graph& graph, llvm::LLVMContext& context, llvm::Module& module, std::vector<Step>& steps,
                     JitStats& stats, bool controlFlow) {
  CodegenContext cg(context, module);
  generateSteps(cg, graph, "", controlFlow, steps, stats);
}

void generateSteps(CodegenContext& cg, const Graph& graph, const std::string& prefix, bool controlFlow,
                   std::vector<Step>& steps, JitStats& stats) {
  llvm::Module& module = cg.module();
  size_t index = 0;
  for (const Node* node : graph.nodes()) {
    Step step;
    step.node = node;
    step.hasSubgraphs = !node->subgraphs().empty();
    if (isConstant(*node)) {
      step.kind = Step::Kind::Constant;
    } else if (controlFlow && isControlOp(*node)) {
      ++stats.nodes;
      step.control = generateControlStep(cg, *node, kernelName(prefix, index, *node) + "_", stats);
      step.kind = step.control ? Step::Kind::Control : Step::Kind::Fallback;
      if (!step.control) stats.fallbacks.push_back({node->name(), node->qualifiedOp(), "a subgraph attribute is missing"});
    } else {
      ++stats.nodes;
      std::string why;
      Emitter emitter = findEmitter(node->domain(), node->opType());
      const Value* firstOutput = node->output(0) ? node->output(0) : node->output(1);  // RNN Y may be omitted
      const bool outputsTyped = firstOutput && CodegenContext::isSupportedDType(firstOutput->dtype());
      if (emitter && outputsTyped) {
        step.kernelName = kernelName(prefix, index, *node);
        step.launch = emitter(cg, *node, step.kernelName, &why);
        if (!step.launch) {
          // The emitter may have started a function before refusing: drop it.
          if (auto* f = module.getFunction(step.kernelName)) f->eraseFromParent();
          if (auto* f = module.getFunction(step.kernelName + ".body")) f->eraseFromParent();
        }
      } else if (!emitter) {
        why = "no generated code for " + node->qualifiedOp();
      } else {
        why = "result dtype has no generated code";
      }
      if (step.launch) {
        step.kind = Step::Kind::Generated;
        ++stats.generatedKernels;
      } else {
        step.kind = Step::Kind::Fallback;
        stats.fallbacks.push_back({node->name(), node->qualifiedOp(), why});
      }
    }
    steps.push_back(std::move(step));
    ++index;
  }
}

Expected<std::unique_ptr<Graph>> shapeInferredCopy(const Model& model) {
  std::unique_ptr<Graph> graph = model.graph->clone();
  if (Status s = inferShapes(*graph); !s) return s.inFile(model.sourcePath);
  opset::NameGen names(model);
  if (Status s = lowerForCodegen(*graph, names); !s) return s.inFile(model.sourcePath);
  return graph;
}


Expected<std::unique_ptr<JitRuntime>> JitRuntime::compile(const Model& model, const JitOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->file = model.sourcePath;
  auto graph = shapeInferredCopy(model);
  if (!graph) return graph.takeStatus();
  impl->graph = graph.take();
  auto engine = JitEngine::create({.optLevel = options.optLevel, .cacheDir = options.cacheDir});
  if (!engine) return engine.takeStatus();
  impl->stats.cpu = (*engine)->cpuName();
  impl->stats.features = (*engine)->cpuFeatures();
  impl->code = std::shared_ptr<JitEngine>(engine.take());
  impl->pool = std::make_shared<ThreadPool>(std::max(options.threads, 1));
  KILN_RETURN_IF_ERROR(impl->compileSteps().inFile(model.sourcePath));
  impl->stats.compileSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::unique_ptr<JitRuntime>(new JitRuntime(std::move(impl)));
}

Status Program::compileSteps() {
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("kiln", *context);
  generateKernels(*graph, *context, *module, steps, stats, /*controlFlow=*/true);
  // The object cache finds compiled code by this name. The object is a function of the
  // generated IR, the target, the optimization level and LLVM itself, so those are the key: a
  // kiln whose code generation changed never picks up an older kiln's object. (Weights and
  // shapes are bound at run time, not compiled in.)
  if (!options.cacheDir.empty()) {
    std::string key;
    llvm::raw_string_ostream os(key);
    module->print(os, nullptr);
    os << '\n' << stats.cpu << '\n' << stats.features << '\n' << options.optLevel << '\n' << LLVM_VERSION_STRING;
    module->setModuleIdentifier(fmtHex(std::hash<std::string>{}(os.str())));
  }

  KILN_RETURN_IF_ERROR(bindSteps());
  KILN_RETURN_IF_ERROR(bindControlSteps(*this));

  if (stats.generatedKernels > 0) {
    std::string problems;
    llvm::raw_string_ostream os(problems);
    if (llvm::verifyModule(*module, &os)) return Status::error("JIT: generated code does not verify: " + os.str());
    auto* engine = static_cast<JitEngine*>(code.get());
    KILN_RETURN_IF_ERROR(engine->addModule(std::move(module), std::move(context)));
    for (Step& s : steps) {
      if (s.kind != Step::Kind::Generated) continue;
      auto address = engine->lookup(s.kernelName);
      if (!address) return address.takeStatus();
      s.kernel = reinterpret_cast<KernelFn>(*address);
    }
    KILN_RETURN_IF_ERROR(resolveBodyKernels(steps, *engine));
    stats.codeFromCache = engine->cacheHits() > 0;
  }
  return Status::ok();
}

bool hasCodeGenerator(const std::string& domain, const std::string& op) {
  return findEmitter(domain, op) != nullptr;
}

Expected<std::string> emitKernels(const Model& model, bool assembly, int optLevel) {
  auto graph = shapeInferredCopy(model);
  if (!graph) return graph.takeStatus();
  auto engine = JitEngine::create({.optLevel = optLevel});
  if (!engine) return engine.takeStatus();
  llvm::LLVMContext context;
  llvm::Module module("kiln", context);
  std::vector<Step> steps;
  JitStats stats;
  generateKernels(**graph, context, module, steps, stats, /*controlFlow=*/true);
  std::string text = "; kiln JIT for " + (*engine)->cpuName() + ": " + std::to_string(stats.generatedKernels) +
                     " generated kernels, " + std::to_string(stats.fallbacks.size()) + " fallbacks\n";
  for (const Fallback& f : stats.fallbacks) text += "; fallback: '" + f.node + "' (" + f.op + "): " + f.reason + "\n";
  if (assembly) {
    auto a = (*engine)->emitAssembly(module);
    if (!a) return a.takeStatus();
    return text + *a;
  }
  (*engine)->optimize(module);
  std::string ir;
  llvm::raw_string_ostream os(ir);
  for (const Step* sp : generatedSteps(steps)) {
    const Step& s = *sp;
    os << "\n; ---- kernel " << s.kernelName << " for '" << s.node->name() << "' (" << s.node->qualifiedOp() << ")\n";
    if (const llvm::Function* f = module.getFunction(s.kernelName)) f->print(os);
  }
  return text + os.str();
}

}  // namespace kiln::llvmjit
