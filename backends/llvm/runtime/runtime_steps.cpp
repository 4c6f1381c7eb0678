// The runtime's steps without code generation: value ids, operands, liveness, constants and
// the per-run state (shared by the JIT's compile step and by model libraries, whose kernels
// were compiled ahead of time).

#include <cstdlib>
#include <unordered_set>

#include "backends/llvm/memory_plan.h"
#include "backends/llvm/runtime_impl.h"

namespace kiln::llvmjit {
namespace {

bool isConstant(const Node& n) { return n.domain().empty() && n.opType() == "Constant"; }

std::optional<Tensor> constantTensor(const Node& n) {
  const Attribute* a = n.attr("value");
  if (!a || a->kind() != AttrKind::Tensor || a->t().isElided()) return std::nullopt;
  return a->t();
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

}  // namespace

JitRuntime::JitRuntime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitRuntime::~JitRuntime() = default;

Status Program::bindSteps() {
  // Value ids: graph inputs, captures, then node outputs in order.
  auto addValue = [&](const Value* v) {
    idOf[v] = static_cast<int>(values.size());
    values.push_back(v);
  };
  for (const Value* v : graph->inputs()) addValue(v);
  for (const Value* v : captures) addValue(v);
  for (const Step& s : steps)
    for (size_t i = 0; i < s.node->numOutputs(); ++i)
      if (s.node->output(i)) addValue(s.node->output(i));
  for (const Value* v : graph->inputs()) inputIds.push_back(idOf.at(v));
  for (const Value* v : captures) inputIds.push_back(idOf.at(v));
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

  for (Step& s : steps)
    if (s.launch) {
      s.valueOperands = s.launch->valueOperands();
      s.checksOperands = s.launch->checksOperands();
    }
  slots.assign(values.size(), nullptr);
  owned.assign(values.size(), RuntimeValue{});
  size_t maxBuffers = 0;
  for (const Step& s : steps) maxBuffers = std::max(maxBuffers, s.inputs.size() + s.outputs.size());
  pointers.assign(maxBuffers + kExtraKernelBuffers, nullptr);
  workerPointers.assign(static_cast<size_t>(pool->size()), std::vector<void*>(pointers.size(), nullptr));
  workspaces.assign(static_cast<size_t>(pool->size()), nullptr);
  for (const Step& s : steps)
    profile.push_back({s.node->name(), s.node->qualifiedOp(), s.kind == Step::Kind::Generated, 0, 0, 0, 0, 0,
                       s.kind == Step::Kind::Control});
  prepackConstants();
  return Status::ok();
}

namespace {

template <typename T>
std::shared_ptr<T> alignedArray(size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  return std::shared_ptr<T>(static_cast<T*>(std::aligned_alloc(kArenaAlignment, rounded)), [](T* p) { std::free(p); });
}

}  // namespace

void Program::prepackConstants() {
  packed.assign(steps.size(), nullptr);
  for (size_t si = 0; si < steps.size(); ++si) {
    const Step& step = steps[si];
    if (step.kind != Step::Kind::Generated) continue;
    const int operand = step.launch->packableOperand();
    if (operand < 0 || static_cast<size_t>(operand) >= step.inputs.size() || step.inputs[operand] < 0) continue;
    const auto& constant = constants[step.inputs[operand]];
    const Tensor* t = constant ? std::get_if<Tensor>(&*constant) : nullptr;
    if (!t || t->dtype() != DType::Float32) continue;
    const int64_t floats = step.launch->packedFloats(t->dims());
    if (floats <= 0) continue;
    packed[si] = alignedArray<float>(static_cast<size_t>(floats) * sizeof(float));
    step.launch->packConstant(t->dims(), reinterpret_cast<const float*>(t->rawData()), packed[si].get());
    ++stats.prepackedConstants;
    stats.prepackedBytes += static_cast<size_t>(floats) * sizeof(float);
  }
}

void Program::reserveWorkspaces(size_t bytes) {
  if (bytes <= workspaceBytes) return;
  for (auto& w : workspaces) w = alignedArray<std::byte>(bytes);
  workspaceBytes = bytes;
  ++stats.workspaceAllocations;
  stats.workspaceBytes = bytes;
}

Expected<std::unique_ptr<JitRuntime>> JitRuntime::fromKernels(std::unique_ptr<Graph> graph,
                                                               std::vector<PrebuiltKernel> kernels,
                                                               const JitOptions& options, std::string file) {
  if (kernels.size() != graph->nodes().size())
    return Status::error("the library holds " + std::to_string(kernels.size()) + " kernels for " +
                         std::to_string(graph->nodes().size()) + " nodes").inFile(file);
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->file = file;
  impl->graph = std::move(graph);
  impl->pool = std::make_shared<ThreadPool>(std::max(options.threads, 1));
  size_t index = 0;
  for (const Node* node : impl->graph->nodes()) {
    Step step;
    step.node = node;
    step.hasSubgraphs = !node->subgraphs().empty();
    PrebuiltKernel& k = kernels[index++];
    if (isConstant(*node)) {
      step.kind = Step::Kind::Constant;
    } else {
      ++impl->stats.nodes;
      if (k.fn && k.launch) {
        step.kind = Step::Kind::Generated;
        step.kernel = k.fn;
        step.launch = std::move(k.launch);
        ++impl->stats.generatedKernels;
      } else {
        step.kind = Step::Kind::Fallback;
        impl->stats.fallbacks.push_back({node->name(), node->qualifiedOp(), "no generated code"});
      }
    }
    impl->steps.push_back(std::move(step));
  }
  KILN_RETURN_IF_ERROR(impl->bindSteps().inFile(file));
  return std::unique_ptr<JitRuntime>(new JitRuntime(std::move(impl)));
}

}  // namespace kiln::llvmjit
