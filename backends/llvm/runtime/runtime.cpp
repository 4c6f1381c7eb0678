// Running a compiled model. The first run with a given set of input shapes records every
// value's shape (generated kernels into fresh buffers, fallbacks on the reference kernels),
// then lays out one arena for the generated kernels' results (memory_plan.h); later runs with
// those shapes reuse the plan: no shape computation and no allocation for generated steps.
// A fallback whose result shape differs from the recording (data-dependent shapes) makes the
// run start over without the plan, so results never depend on a stale plan.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "backends/llvm/control_step.h"
#include "backends/llvm/memory_plan.h"
#include "backends/llvm/runtime_impl.h"
#include "backends/llvm/work_estimate.h"
#include "backends/reference/tensor_util.h"

namespace kiln::llvmjit {
namespace {

/// Bytes of the arena seen as a tensor buffer: the runtime writes through rawData().
class ArenaView final : public Buffer {
 public:
  ArenaView(std::shared_ptr<std::byte> arena, size_t offset, size_t size)
      : arena_(std::move(arena)), data_(arena_.get() + offset), size_(size) {}
  const std::byte* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  std::shared_ptr<std::byte> arena_;
  const std::byte* data_;
  size_t size_;
};

/// One kernel call split over the pool: each thread passes its own buffer list (the same
/// operands, its own workspace).
struct KernelCall {
  KernelFn fn;
  std::vector<void*>* perThread;
  const int64_t* dims;
};

void callRange(void* context, int64_t begin, int64_t end, int thread) {
  auto* call = static_cast<KernelCall*>(context);
  call->fn(call->perThread[thread].data(), call->dims, begin, end);
}

/// Splitting below this much work costs more in wake-ups than it saves.
constexpr int64_t kMinParallelWork = 1 << 15;

const Tensor* tensorOf(const RuntimeValue* v) { return v ? std::get_if<Tensor>(v) : nullptr; }

int64_t elementCount(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

/// The FLOP and byte estimate of a step from the operands it has just seen.
WorkEstimate stepWork(const Step& step, const std::vector<const RuntimeValue*>& slots) {
  const auto shapes = [&](const std::vector<int>& ids) {
    std::vector<OperandShape> out;
    for (int id : ids) {
      const Tensor* t = id >= 0 ? tensorOf(slots[id]) : nullptr;
      out.push_back(t ? OperandShape{t->dims(), dtypeSize(t->dtype())} : OperandShape{});
    }
    return out;
  };
  return estimateWork(*step.node, shapes(step.inputs), shapes(step.outputs));
}

/// What a plan is keyed on for one input: a tensor's dims, or -1 and the length of a sequence.
std::vector<int64_t> planKey(const RuntimeValue& v) {
  if (const Tensor* t = std::get_if<Tensor>(&v)) return t->dims();
  return {-1, static_cast<int64_t>(std::get<std::vector<Tensor>>(v).size())};
}

bool sameDims(const std::vector<RuntimeValue>& inputs, const std::vector<std::vector<int64_t>>& dims) {
  if (inputs.size() != dims.size()) return false;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (planKey(inputs[i]) != dims[i]) return false;
  return true;
}

/// The contents of a step's value operands as int64 (empty for an omitted one); false when one
/// is not an integer tensor.
bool readValueOperands(const Step& step, const std::vector<const RuntimeValue*>& slots,
                       std::vector<std::vector<int64_t>>& out) {
  out.assign(step.valueOperands.size(), {});
  for (size_t k = 0; k < step.valueOperands.size(); ++k) {
    const size_t operand = step.valueOperands[k];
    const int id = operand < step.inputs.size() ? step.inputs[operand] : -1;
    const Tensor* t = id >= 0 ? tensorOf(slots[id]) : nullptr;
    if (!t) continue;
    auto values = reference::readInt64List(*t);
    if (!values) return false;
    out[k] = values.take();
  }
  return true;
}

}  // namespace

const JitStats& JitRuntime::stats() const { return impl_->stats; }

std::vector<StepProfile> JitRuntime::profile() const {
  std::vector<StepProfile> out;
  for (size_t i = 0; i < impl_->steps.size(); ++i)
    if (impl_->steps[i].kind != Step::Kind::Constant) out.push_back(impl_->profile[i]);
  return out;
}

void JitRuntime::resetProfile() {
  for (auto& p : impl_->profile) p.seconds = 0, p.calls = 0;
}

Expected<std::vector<Tensor>> JitRuntime::run(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> outputs;
  Status s = impl_->execute(inputs, outputs);
  if (!s) return s.inFile(impl_->file);
  return outputs;
}

namespace {

/// Checks the given inputs against the graph signature and adds defaults for missing ones.
Status bindInputs(const Graph& graph, const std::vector<Tensor>& given, std::vector<Tensor>& all) {
  if (given.size() > graph.numInputs())
    return Status::error("the model takes " + std::to_string(graph.numInputs()) + " inputs, got " +
                         std::to_string(given.size()));
  all = given;
  for (size_t i = given.size(); i < graph.numInputs(); ++i) {
    const Tensor* def = nullptr;
    for (const auto& [v, t] : graph.inputDefaults())
      if (v == graph.input(i)) def = &t;
    if (!def) return Status::error("input '" + graph.input(i)->name() + "' was not given");
    all.push_back(*def);
  }
  for (size_t i = 0; i < all.size(); ++i) {
    const Value* v = graph.input(i);
    const Tensor& t = all[i];
    if (v->dtype() != DType::Undefined && t.dtype() != v->dtype())
      return Status::error("input '" + v->name() + "' is " + std::string(dtypeName(t.dtype())) + ", the model expects " +
                           std::string(dtypeName(v->dtype())));
    if (!v->shape().isRanked()) continue;
    bool fits = v->shape().rank() == t.rank();
    for (size_t d = 0; fits && d < t.rank(); ++d)
      fits = !v->shape()[d].isStatic() || v->shape()[d].value() == t.dims()[d];
    if (!fits)
      return Status::error("input '" + v->name() + "' has shape [" + [&] {
        std::string s;
        for (size_t d = 0; d < t.rank(); ++d) s += (d ? "," : "") + std::to_string(t.dims()[d]);
        return s;
      }() + "], the model expects " + v->shape().str());
  }
  return Status::ok();
}

}  // namespace

Status Program::execute(const std::vector<Tensor>& given, std::vector<Tensor>& outputs) {
  std::vector<Tensor> inputs;
  KILN_RETURN_IF_ERROR(bindInputs(*graph, given, inputs));
  std::vector<RuntimeValue> results;
  KILN_RETURN_IF_ERROR(executeValues(std::vector<RuntimeValue>(inputs.begin(), inputs.end()), results));
  outputs.clear();
  for (size_t i = 0; i < results.size(); ++i) {
    Tensor* t = std::get_if<Tensor>(&results[i]);
    if (!t) return Status::error("graph output '" + values[outputIds[i]]->name() + "' is not a tensor");
    outputs.push_back(std::move(*t));
  }
  return Status::ok();
}

Status Program::executeValues(const std::vector<RuntimeValue>& inputValues, std::vector<RuntimeValue>& outputs) {
  ExecutionPlan* plan = nullptr;
  for (auto& p : plans)
    if (sameDims(inputValues, p->inputDims)) plan = p.get();
  std::unique_ptr<ExecutionPlan> recording;
  if (!plan) {
    recording = std::make_unique<ExecutionPlan>();
    for (const RuntimeValue& v : inputValues) recording->inputDims.push_back(planKey(v));
    recording->launches.resize(steps.size());
    recording->shapeFallback.assign(steps.size(), false);
    recording->boundValues.assign(steps.size(), {});
    recording->valueDims.assign(values.size(), {});
    recording->arenaValue.assign(values.size(), std::nullopt);
  }
  ExecutionPlan& p = plan ? *plan : *recording;
  const bool planned = plan != nullptr;

  for (size_t id = 0; id < values.size(); ++id) slots[id] = constants[id] ? &*constants[id] : nullptr;
  for (size_t i = 0; i < inputIds.size(); ++i) slots[inputIds[i]] = &inputValues[i];

  std::vector<std::vector<int64_t>> operandDims;
  std::vector<const RuntimeValue*> args;
  std::vector<std::vector<int64_t>> operandValues;
  std::vector<const Tensor*> checked;
  for (size_t si = 0; si < steps.size(); ++si) {
    Step& step = steps[si];
    if (step.kind == Step::Kind::Constant) continue;
    const auto start = options.profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    bool generated = step.kind == Step::Kind::Generated && !p.shapeFallback[si];
    if (generated && !planned) {
      operandDims.clear();
      for (int id : step.inputs) {
        const Tensor* t = id >= 0 ? tensorOf(slots[id]) : nullptr;
        operandDims.push_back(t ? t->dims() : std::vector<int64_t>{});
      }
      bool bound = false;
      if (step.valueOperands.empty()) {
        bound = step.launch->bind(operandDims, p.launches[si]);
      } else if (readValueOperands(step, slots, p.boundValues[si])) {
        bound = step.launch->bindValues(operandDims, p.boundValues[si], p.launches[si]);
      }
      if (!bound) {
        p.shapeFallback[si] = true;
        generated = false;
        Fallback why{step.node->name(), step.node->qualifiedOp(), "shapes at run time do not fit the generated code"};
        // Listed once: a loop body records a plan per trip when its shapes change.
        auto& listed = reportStats().fallbacks;
        if (std::none_of(listed.begin(), listed.end(), [&](const Fallback& f) { return f.node == why.node && f.reason == why.reason; }))
          listed.push_back(std::move(why));
      }
    }
    if (generated && planned && !step.valueOperands.empty()) {
      if (!readValueOperands(step, slots, operandValues) || operandValues != p.boundValues[si]) {
        // Shape-deciding contents changed under the same input shapes: record a new plan.
        std::erase_if(plans, [&](const auto& q) { return q.get() == plan; });
        return executeValues(inputValues, outputs);
      }
    }
    if (generated && step.checksOperands) {
      checked.clear();
      for (int id : step.inputs) checked.push_back(id >= 0 ? tensorOf(slots[id]) : nullptr);
      if (std::string error = step.launch->check(checked); !error.empty())
        return Status::nodeError(step.node->name(), step.node->qualifiedOp(), error);
    }
    if (generated) {
      const LaunchShape& launch = p.launches[si];
      size_t b = 0;
      for (int id : step.inputs) {
        const Tensor* t = id >= 0 ? tensorOf(slots[id]) : nullptr;
        pointers[b++] = t ? const_cast<std::byte*>(t->rawData()) : nullptr;
      }
      for (size_t k = 0; k < step.outputs.size(); ++k) {
        const int id = step.outputs[k];
        // Results past the launch's outputDims are not written by the kernel (left unset).
        if (id < 0 || k >= launch.outputDims.size()) {
          pointers[b++] = nullptr;
          continue;
        }
        if (planned) {
          slots[id] = &*p.arenaValue[id];
        } else {
          owned[id] = Tensor::zeros(values[id]->dtype(), launch.outputDims[k]);
          slots[id] = &owned[id];
        }
        pointers[b++] = const_cast<std::byte*>(tensorOf(slots[id])->rawData());
      }
      reserveWorkspaces(static_cast<size_t>(launch.workspaceBytes));  // allocates only when a plan is new
      pointers[b] = packed[si].get();
      pointers[b + 1] = workspaces[0].get();
      const size_t count = b + kExtraKernelBuffers;
      if (pool->size() > 1 && launch.iterations > 1 && launch.iterations * launch.workPerIteration >= kMinParallelWork) {
        for (size_t t = 0; t < workerPointers.size(); ++t) {
          std::copy(pointers.begin(), pointers.begin() + static_cast<std::ptrdiff_t>(count), workerPointers[t].begin());
          workerPointers[t][b + 1] = workspaces[t].get();
        }
        KernelCall call{step.kernel, workerPointers.data(), launch.kernelDims.data()};
        pool->parallelFor(launch.iterations, callRange, &call);
      } else if (launch.iterations > 0) {
        step.kernel(pointers.data(), launch.kernelDims.data(), 0, launch.iterations);
      }
    } else {
      args.assign(step.inputs.size(), nullptr);
      for (size_t k = 0; k < step.inputs.size(); ++k) args[k] = step.inputs[k] >= 0 ? slots[step.inputs[k]] : nullptr;
      std::vector<RuntimeValue> results(step.node->numOutputs());
      if (step.control) {
        KILN_RETURN_IF_ERROR(runControlStep(*step.control, *step.node, args, slots, results));
      } else if (step.hasSubgraphs) {
        // Subgraphs may capture any value computed so far.
        std::map<const Value*, const RuntimeValue*> scope;
        for (size_t id = 0; id < values.size(); ++id)
          if (slots[id]) scope[values[id]] = slots[id];
        reference::Kernel kernel = reference::KernelRegistry::builtin().lookup(step.node->domain(), step.node->opType());
        if (!kernel)
          return Status::nodeError(step.node->name(), step.node->qualifiedOp(), "no reference kernel for this op");
        reference::KernelContext ctx{.node = *step.node, .inputs = args, .outputs = results, .interpreter = interpreter,
                                     .scope = &scope};
        KILN_RETURN_IF_ERROR(kernel(ctx));
      } else {
        auto r = interpreter.runNode(*step.node, args);
        if (!r) return r.takeStatus();
        results = r.take();
      }
      for (size_t k = 0; k < step.outputs.size(); ++k) {
        const int id = step.outputs[k];
        if (id < 0) continue;
        owned[id] = std::move(results[k]);
        slots[id] = &owned[id];
        if (planned) {
          const Tensor* t = tensorOf(slots[id]);
          if (t && t->dims() != p.valueDims[id]) {
            // A data-dependent shape changed: this plan does not describe the run.
            std::erase_if(plans, [&](const auto& q) { return q.get() == plan; });
            return executeValues(inputValues, outputs);
          }
        }
      }
    }
    if (!planned)
      for (int id : step.outputs)
        if (id >= 0)
          if (const Tensor* t = tensorOf(slots[id])) p.valueDims[id] = t->dims();
    if (options.profile && !planned) {  // shapes are fixed per plan: estimate once, outside later timings
      const WorkEstimate work = stepWork(step, slots);
      profile[si].flops = work.flops;
      profile[si].bytes = work.bytes;
    }
    for (int id : step.freeAfter) {
      if (!planned || !p.arenaValue[id]) owned[id] = RuntimeValue{};
      slots[id] = nullptr;
    }
    if (options.profile) {
      StepProfile& prof = profile[si];
      prof.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++prof.calls;
      if (!step.outputs.empty() && step.outputs[0] >= 0) prof.elements = elementCount(p.valueDims[step.outputs[0]]);
    }
  }

  outputs.clear();
  for (int id : outputIds) {
    if (!slots[id]) return Status::error("graph output '" + values[id]->name() + "' has no value");
    const Tensor* t = tensorOf(slots[id]);
    if (t && planned && p.arenaValue[id]) {  // copy out of the arena, which the next run reuses
      Tensor copy = Tensor::zeros(t->dtype(), t->dims());
      if (t->byteSize()) std::memcpy(copy.mutableRawData(), t->rawData(), t->byteSize());
      outputs.push_back(std::move(copy));
    } else {
      outputs.push_back(*slots[id]);
    }
  }
  for (size_t id = 0; id < values.size(); ++id)
    if (!(planned && p.arenaValue[id])) owned[id] = RuntimeValue{};

  if (recording) {
    // Lay out the arena for the generated steps' results, with their recorded lifetimes.
    std::vector<BufferLifetime> lifetimes;
    std::vector<int> ids;
    std::vector<int> lastStep(values.size(), static_cast<int>(steps.size()));
    for (size_t si = 0; si < steps.size(); ++si)
      for (int id : steps[si].freeAfter) lastStep[id] = static_cast<int>(si);
    for (size_t si = 0; si < steps.size(); ++si) {
      const Step& step = steps[si];
      if (step.kind != Step::Kind::Generated || p.shapeFallback[si]) continue;
      for (size_t k = 0; k < step.outputs.size() && k < p.launches[si].outputDims.size(); ++k) {
        const int id = step.outputs[k];
        if (id < 0) continue;
        const size_t bytes = static_cast<size_t>(elementCount(p.valueDims[id])) * dtypeSize(values[id]->dtype());
        lifetimes.push_back({bytes, si, static_cast<size_t>(std::max<int>(lastStep[id], static_cast<int>(si)))});
        ids.push_back(id);
      }
    }
    MemoryPlan memory = planMemory(lifetimes);
    void* raw = memory.arenaBytes ? std::aligned_alloc(kArenaAlignment, memory.arenaBytes) : nullptr;
    p.arena = std::shared_ptr<std::byte>(static_cast<std::byte*>(raw), [](std::byte* b) { std::free(b); });
    for (size_t i = 0; i < ids.size(); ++i) {
      const int id = ids[i];
      auto view = std::make_shared<ArenaView>(p.arena, memory.offsets[i], lifetimes[i].bytes);
      auto t = Tensor::fromBuffer(values[id]->dtype(), p.valueDims[id], std::move(view));
      if (!t) return t.takeStatus();
      p.arenaValue[id] = RuntimeValue(t.take());
    }
    p.arenaBytes = memory.arenaBytes;
    p.unsharedBytes = memory.totalBytes;
    stats.arenaBytes = memory.arenaBytes;
    stats.unsharedBytes = memory.totalBytes;
    constexpr size_t kMaxPlans = 8;
    if (plans.size() >= kMaxPlans) plans.erase(plans.begin());
    plans.push_back(std::move(recording));
  }
  return Status::ok();
}

}  // namespace kiln::llvmjit
