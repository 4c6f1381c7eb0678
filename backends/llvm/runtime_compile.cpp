// Compiling a model for the JIT runtime: a shape-inferred copy of the graph, value ids and
// liveness, one kernel per node with generated code (all in one LLVM module), the rest marked
// as fallbacks with their reason.

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <chrono>
#include <unordered_set>

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/runtime_impl.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"

namespace kiln::llvmjit {
namespace {

bool isConstant(const Node& n) { return n.domain().empty() && n.opType() == "Constant"; }

std::optional<Tensor> constantTensor(const Node& n) {
  const Attribute* a = n.attr("value");
  if (!a || a->kind() != AttrKind::Tensor || a->t().isElided()) return std::nullopt;
  return a->t();
}

std::string fmtHex(size_t v) {
  char text[32];
  std::snprintf(text, sizeof text, "kiln-%016zx", v);
  return text;
}

/// A symbol-safe kernel name: k<step>_<op>.
std::string kernelName(size_t step, const Node& node) {
  std::string name = "k" + std::to_string(step) + "_";
  for (char c : node.opType()) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

/// Every value a node reads, its subgraphs' captures included.
void collectReads(const Graph& g, std::unordered_set<const Value*>& out) {
  for (const Node* n : g.nodes()) {
    for (const Value* v : n->inputs())
      if (v) out.insert(v);
    for (const Graph* sub : n->subgraphs()) collectReads(*sub, out);
  }
  for (const Value* v : g.outputs()) out.insert(v);
}

/// Generates the kernels of `graph` into `module`; fills `steps` and `stats`.
void generate(const Graph& graph, llvm::LLVMContext& context, llvm::Module& module, std::vector<Step>& steps,
              JitStats& stats) {
  CodegenContext cg(context, module);
  size_t index = 0;
  for (const Node* node : graph.nodes()) {
    Step step;
    step.node = node;
    step.hasSubgraphs = !node->subgraphs().empty();
    if (isConstant(*node)) {
      step.kind = Step::Kind::Constant;
    } else {
      ++stats.nodes;
      std::string why;
      Emitter emitter = findEmitter(node->domain(), node->opType());
      const bool outputsTyped = node->output(0) && CodegenContext::isSupportedDType(node->output(0)->dtype());
      if (emitter && outputsTyped) {
        step.kernelName = kernelName(index, *node);
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

Expected<std::unique_ptr<Graph>> preparedGraph(const Model& model) {
  std::unique_ptr<Graph> graph = model.graph->clone();
  if (Status s = inferShapes(*graph); !s) return s.inFile(model.sourcePath);
  return graph;
}

}  // namespace

JitRuntime::JitRuntime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitRuntime::~JitRuntime() = default;

Expected<std::unique_ptr<JitRuntime>> JitRuntime::compile(const Model& model, const JitOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->file = model.sourcePath;
  auto graph = preparedGraph(model);
  if (!graph) return graph.takeStatus();
  impl->graph = graph.take();
  auto engine = JitEngine::create({.optLevel = options.optLevel, .cacheDir = options.cacheDir});
  if (!engine) return engine.takeStatus();
  impl->engine = engine.take();
  impl->stats.cpu = impl->engine->cpuName();
  impl->stats.features = impl->engine->cpuFeatures();
  impl->pool = std::make_unique<ThreadPool>(std::max(options.threads, 1));
  KILN_RETURN_IF_ERROR(impl->compileSteps().inFile(model.sourcePath));
  impl->stats.compileSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::unique_ptr<JitRuntime>(new JitRuntime(std::move(impl)));
}

Status JitRuntime::Impl::compileSteps() {
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("kiln", *context);
  generate(*graph, *context, *module, steps, stats);
  // The object cache finds compiled code by this name: the graph (constants by content hash),
  // the target and the optimization level.
  const std::string key = printGraph(*graph) + "\n" + stats.cpu + "\n" + stats.features + "\n" +
                          std::to_string(options.optLevel) + "\nabi1";
  module->setModuleIdentifier(fmtHex(std::hash<std::string>{}(key)));

  // Value ids: graph inputs, then node outputs in order.
  auto addValue = [&](const Value* v) {
    idOf[v] = static_cast<int>(values.size());
    values.push_back(v);
  };
  for (const Value* v : graph->inputs()) addValue(v);
  for (const Step& s : steps)
    for (size_t i = 0; i < s.node->numOutputs(); ++i)
      if (s.node->output(i)) addValue(s.node->output(i));
  for (const Value* v : graph->inputs()) inputIds.push_back(idOf.at(v));
  constants.assign(values.size(), std::nullopt);

  // Operands, results, and the step after which each value is dead.
  std::vector<int> lastRead(values.size(), -1);
  std::unordered_set<const Value*> reads;
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& s = steps[i];
    for (const Value* v : s.node->inputs()) {
      if (v && !idOf.count(v))
        return Status::nodeError(s.node->name(), s.node->qualifiedOp(), "operand '" + v->name() + "' is not defined");
      s.inputs.push_back(v ? idOf.at(v) : -1);
    }
    for (size_t k = 0; k < s.node->numOutputs(); ++k) s.outputs.push_back(s.node->output(k) ? idOf.at(s.node->output(k)) : -1);
    reads.clear();
    for (const Value* v : s.node->inputs())
      if (v) reads.insert(v);
    for (const Graph* sub : s.node->subgraphs()) collectReads(*sub, reads);
    for (const Value* v : reads)
      if (auto it = idOf.find(v); it != idOf.end()) lastRead[it->second] = static_cast<int>(i);
    if (s.kind == Step::Kind::Constant) {
      auto t = constantTensor(*s.node);
      if (!t) return Status::nodeError(s.node->name(), "Constant", "constant has no loaded value");
      if (!s.outputs.empty() && s.outputs[0] >= 0) constants[s.outputs[0]] = RuntimeValue(*t);
    }
  }
  std::unordered_set<int> kept;
  for (const Value* v : graph->outputs()) {
    if (!idOf.count(v)) return Status::error("graph output '" + v->name() + "' is not defined");
    outputIds.push_back(idOf.at(v));
    kept.insert(idOf.at(v));
  }
  for (size_t id = 0; id < values.size(); ++id)
    if (lastRead[id] >= 0 && !kept.count(static_cast<int>(id)) && !constants[id])
      steps[lastRead[id]].freeAfter.push_back(static_cast<int>(id));

  if (stats.generatedKernels > 0) {
    std::string problems;
    llvm::raw_string_ostream os(problems);
    if (llvm::verifyModule(*module, &os)) return Status::error("JIT: generated code does not verify: " + os.str());
    KILN_RETURN_IF_ERROR(engine->addModule(std::move(module), std::move(context)));
    for (Step& s : steps) {
      if (s.kind != Step::Kind::Generated) continue;
      auto address = engine->lookup(s.kernelName);
      if (!address) return address.takeStatus();
      s.kernel = reinterpret_cast<KernelFn>(*address);
    }
  }
  slots.assign(values.size(), nullptr);
  owned.assign(values.size(), RuntimeValue{});
  size_t maxBuffers = 0;
  for (const Step& s : steps) maxBuffers = std::max(maxBuffers, s.inputs.size() + s.outputs.size());
  pointers.assign(maxBuffers, nullptr);
  for (const Step& s : steps)
    profile.push_back({s.node->name(), s.node->qualifiedOp(), s.kind == Step::Kind::Generated, 0, 0, 0});
  return Status::ok();
}

bool hasCodeGenerator(const std::string& domain, const std::string& op) {
  return findEmitter(domain, op) != nullptr;
}

Expected<std::string> emitKernels(const Model& model, bool assembly, int optLevel) {
  auto graph = preparedGraph(model);
  if (!graph) return graph.takeStatus();
  auto engine = JitEngine::create({.optLevel = optLevel});
  if (!engine) return engine.takeStatus();
  llvm::LLVMContext context;
  llvm::Module module("kiln", context);
  std::vector<Step> steps;
  JitStats stats;
  generate(**graph, context, module, steps, stats);
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
  for (const Step& s : steps) {
    if (s.kind != Step::Kind::Generated) continue;
    os << "\n; ---- kernel " << s.kernelName << " for '" << s.node->name() << "' (" << s.node->qualifiedOp() << ")\n";
    if (const llvm::Function* f = module.getFunction(s.kernelName)) f->print(os);
  }
  return text + os.str();
}

}  // namespace kiln::llvmjit
