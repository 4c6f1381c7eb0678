// Running If, Loop and Scan as control steps: each iteration or branch runs a body Program
// (generated kernels, its own memory plans) on its inputs and captures. The checks and the
// order of everything follow the reference kernels (backends/reference/control_flow.cpp),
// which stay the semantic oracle.

#include "backends/llvm/control_step.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "backends/reference/control_flow.h"
#include "backends/reference/tensor_util.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::llvmjit {
namespace {

using reference::readCondition;
using reference::stackSlices;

/// What one control step run sees: its node, operands and the enclosing program's values.
struct ControlRun {
  ControlStep& control;
  const Node& node;
  std::span<const RuntimeValue* const> inputs;
  const std::vector<const RuntimeValue*>& slots;

  Status error(std::string message) const {
    return Status::nodeError(node.name(), node.qualifiedOp(), std::move(message));
  }
  bool hasInput(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  Expected<const Tensor*> tensorInput(size_t i) const {
    const auto* t = std::get_if<Tensor>(inputs[i]);
    if (!t) return error("operand " + std::to_string(i) + " is a sequence, expected a tensor");
    return t;
  }

  /// Runs body `b` on `args` followed by its captures.
  Status runBody(size_t b, std::vector<RuntimeValue>& args, std::vector<RuntimeValue>& results) const {
    for (int id : control.captureIds[b]) {
      if (!slots[id]) return error("a body reads a value of the enclosing graph that has no value");
      args.push_back(*slots[id]);
    }
    return control.bodies[b]->executeValues(args, results);
  }
};

bool overlaps(const Tensor& a, const Tensor& b) {
  if (!a.buffer() || !b.buffer()) return false;
  const std::byte* a0 = a.buffer()->data();
  const std::byte* b0 = b.buffer()->data();
  return a0 < b0 + b.buffer()->size() && b0 < a0 + a.buffer()->size();
}

/// A body may return its inputs or captures unchanged (or views of them): those bytes may
/// live in the enclosing program's arena, which is reused once this step is over, so such
/// results are copied.
void detachResults(const ControlRun& run, std::vector<RuntimeValue>& results) {
  std::vector<const Tensor*> sources;
  for (const RuntimeValue* v : run.inputs)
    if (const Tensor* t = v ? std::get_if<Tensor>(v) : nullptr) sources.push_back(t);
  for (const auto& ids : run.control.captureIds)
    for (int id : ids)
      if (const Tensor* t = run.slots[id] ? std::get_if<Tensor>(run.slots[id]) : nullptr) sources.push_back(t);
  for (RuntimeValue& r : results) {
    Tensor* t = std::get_if<Tensor>(&r);
    if (!t || t->dtype() == DType::String || !t->rawData()) continue;
    if (std::none_of(sources.begin(), sources.end(), [&](const Tensor* s) { return overlaps(*t, *s); })) continue;
    Tensor copy = Tensor::zeros(t->dtype(), t->dims());
    if (t->byteSize()) std::memcpy(copy.mutableRawData(), t->rawData(), t->byteSize());
    *t = std::move(copy);
  }
}

Status runIf(const ControlRun& run, std::vector<RuntimeValue>& results) {
  if (!run.hasInput(0)) return run.error("the condition is missing");
  KILN_ASSIGN_OR_RETURN(condTensor, run.tensorInput(0));
  auto cond = readCondition(*condTensor);
  if (!cond) return run.error(cond.status().diagnostic().message);
  std::vector<RuntimeValue> args, out;
  KILN_RETURN_IF_ERROR(run.runBody(*cond ? 0 : 1, args, out));
  if (out.size() != results.size())
    return run.error("branch returned " + std::to_string(out.size()) + " values for " + std::to_string(results.size()) +
                     " outputs");
  for (size_t i = 0; i < out.size(); ++i) results[i] = std::move(out[i]);
  return Status::ok();
}

Status runLoop(const ControlRun& run, std::vector<RuntimeValue>& results) {
  const Graph& body = *run.control.bodies[0]->graph;
  const size_t numCarried = run.inputs.size() >= 2 ? run.inputs.size() - 2 : 0;
  if (body.numInputs() != numCarried + 2)
    return run.error("body takes " + std::to_string(body.numInputs()) + " inputs, expected " +
                     std::to_string(numCarried + 2));
  if (body.numOutputs() < numCarried + 1) return run.error("body returns too few outputs");
  const size_t numScan = body.numOutputs() - 1 - numCarried;
  if (results.size() != numCarried + numScan)
    return run.error("Loop has " + std::to_string(results.size()) + " outputs, body implies " +
                     std::to_string(numCarried + numScan));

  int64_t maxTrips = -1;  // -1: no limit
  if (run.hasInput(0)) {
    KILN_ASSIGN_OR_RETURN(m, run.tensorInput(0));
    auto trips = reference::readInt64Scalar(*m);
    if (!trips) return run.error(trips.status().diagnostic().message);
    maxTrips = std::max<int64_t>(*trips, 0);
  }
  bool cond = true;
  if (run.hasInput(1)) {
    KILN_ASSIGN_OR_RETURN(c, run.tensorInput(1));
    auto value = readCondition(*c);
    if (!value) return run.error(value.status().diagnostic().message);
    cond = *value;
  }

  std::vector<RuntimeValue> carried(numCarried), args, out;
  for (size_t i = 0; i < numCarried; ++i) {
    if (!run.inputs[i + 2]) return run.error("loop-carried input " + std::to_string(i) + " is missing");
    carried[i] = *run.inputs[i + 2];
  }
  std::vector<std::vector<Tensor>> scans(numScan);
  for (int64_t iter = 0; cond && (maxTrips < 0 || iter < maxTrips); ++iter) {
    args.clear();
    args.push_back(Tensor::fromVector<int64_t>(DType::Int64, {}, {iter}));
    args.push_back(Tensor::fromVector<uint8_t>(DType::Bool, {}, {1}));
    for (RuntimeValue& v : carried) args.push_back(std::move(v));
    KILN_RETURN_IF_ERROR(run.runBody(0, args, out));
    const auto* condOut = std::get_if<Tensor>(&out[0]);
    if (!condOut) return run.error("body condition output is a sequence");
    auto next = readCondition(*condOut);
    if (!next) return run.error(next.status().diagnostic().message);
    cond = *next;
    for (size_t i = 0; i < numCarried; ++i) carried[i] = std::move(out[i + 1]);
    for (size_t k = 0; k < numScan; ++k) {
      auto* t = std::get_if<Tensor>(&out[1 + numCarried + k]);
      if (!t) return run.error("scan output " + std::to_string(k) + " is a sequence");
      scans[k].push_back(std::move(*t));
    }
  }
  for (size_t i = 0; i < numCarried; ++i) results[i] = std::move(carried[i]);
  for (size_t k = 0; k < numScan; ++k) {
    auto stacked = stackSlices(scans[k], 0, body.output(1 + numCarried + k));
    if (!stacked) return run.error(stacked.status().diagnostic().message);
    results[numCarried + k] = stacked.take();
  }
  return Status::ok();
}

Status runScan(const ControlRun& run, std::vector<RuntimeValue>& results) {
  const Graph& body = *run.control.bodies[0]->graph;
  const int64_t numScanInputs = run.node.intAttr("num_scan_inputs", 0);
  const auto numInputs = static_cast<int64_t>(run.inputs.size());
  if (numScanInputs <= 0 || numScanInputs > numInputs) return run.error("num_scan_inputs is out of range");
  const auto numState = static_cast<size_t>(numInputs - numScanInputs);
  const auto numScanIn = static_cast<size_t>(numScanInputs);
  if (body.numInputs() != numState + numScanIn) return run.error("body input count does not match Scan's inputs");
  if (body.numOutputs() < numState) return run.error("body returns too few outputs");
  const size_t numScanOut = body.numOutputs() - numState;
  if (results.size() != numState + numScanOut) return run.error("Scan output count does not match its body");

  auto inAxes = run.node.intsAttr("scan_input_axes", std::vector<int64_t>(numScanIn, 0));
  auto inDirs = run.node.intsAttr("scan_input_directions", std::vector<int64_t>(numScanIn, 0));
  auto outAxes = run.node.intsAttr("scan_output_axes", std::vector<int64_t>(numScanOut, 0));
  auto outDirs = run.node.intsAttr("scan_output_directions", std::vector<int64_t>(numScanOut, 0));
  if (inAxes.size() != numScanIn || inDirs.size() != numScanIn || outAxes.size() != numScanOut ||
      outDirs.size() != numScanOut)
    return run.error("scan axes/directions attributes have the wrong length");

  // Every scan input must have the same length along its scan axis.
  int64_t length = -1;
  std::vector<const Tensor*> scanIn(numScanIn);
  for (size_t k = 0; k < numScanIn; ++k) {
    if (!run.hasInput(numState + k)) return run.error("scan input " + std::to_string(k) + " is missing");
    KILN_ASSIGN_OR_RETURN(t, run.tensorInput(numState + k));
    scanIn[k] = t;
    auto axis = reference::normalizeAxis(inAxes[k], static_cast<int64_t>(t->rank()));
    if (!axis) return run.error(axis.status().diagnostic().message);
    inAxes[k] = *axis;
    const int64_t n = t->dims()[static_cast<size_t>(*axis)];
    if (length >= 0 && n != length) return run.error("scan inputs have different sequence lengths");
    length = n;
  }

  std::vector<RuntimeValue> state(numState), args, out;
  for (size_t i = 0; i < numState; ++i) {
    if (!run.inputs[i]) return run.error("state input " + std::to_string(i) + " is missing");
    state[i] = *run.inputs[i];
  }
  std::vector<std::vector<Tensor>> scans(numScanOut);
  for (int64_t t = 0; t < length; ++t) {
    args.clear();
    for (RuntimeValue& v : state) args.push_back(std::move(v));
    for (size_t k = 0; k < numScanIn; ++k) {
      const int64_t pos = inDirs[k] ? length - 1 - t : t;
      Tensor piece = reference::sliceAxis(*scanIn[k], inAxes[k], pos, 1);
      std::vector<int64_t> dims = piece.dims();
      dims.erase(dims.begin() + inAxes[k]);
      args.push_back(reference::reshapedView(piece, dims));
    }
    KILN_RETURN_IF_ERROR(run.runBody(0, args, out));
    for (size_t i = 0; i < numState; ++i) state[i] = std::move(out[i]);
    for (size_t k = 0; k < numScanOut; ++k) {
      auto* tensor = std::get_if<Tensor>(&out[numState + k]);
      if (!tensor) return run.error("scan output " + std::to_string(k) + " is a sequence");
      scans[k].push_back(std::move(*tensor));
    }
  }
  for (size_t i = 0; i < numState; ++i) results[i] = std::move(state[i]);
  for (size_t k = 0; k < numScanOut; ++k) {
    if (outDirs[k]) std::reverse(scans[k].begin(), scans[k].end());
    const Value* like = body.output(numState + k);
    const int64_t sliceRank = scans[k].empty()
                                  ? (like && like->shape().isRanked() ? static_cast<int64_t>(like->shape().rank()) : 0)
                                  : static_cast<int64_t>(scans[k].front().rank());
    auto axis = reference::normalizeAxis(outAxes[k], sliceRank + 1);
    if (!axis) return run.error(axis.status().diagnostic().message);
    auto stacked = stackSlices(scans[k], *axis, like);
    if (!stacked) return run.error(stacked.status().diagnostic().message);
    results[numState + k] = stacked.take();
  }
  return Status::ok();
}

/// Appends the values `g` reads but does not define to `out` (each once, in first-read order).
void collectCaptures(const Graph& g, std::vector<const Value*>& out, std::unordered_set<const Value*>& seen) {
  const std::vector<Value*> inputs = g.inputs();
  std::unordered_set<const Value*> defined(inputs.begin(), inputs.end());
  const auto read = [&](const Value* v) {
    if (v && !defined.count(v) && seen.insert(v).second) out.push_back(v);
  };
  for (const Node* n : g.nodes()) {
    for (const Value* v : n->inputs()) read(v);
    for (const Graph* sub : n->subgraphs()) {
      std::vector<const Value*> inner;
      std::unordered_set<const Value*> innerSeen;
      collectCaptures(*sub, inner, innerSeen);
      for (const Value* v : inner) read(v);
    }
    for (size_t k = 0; k < n->numOutputs(); ++k)
      if (n->output(k)) defined.insert(n->output(k));
  }
  for (const Value* v : g.outputs()) read(v);
}

}  // namespace

bool isControlOp(const Node& node) {
  return node.domain().empty() && (node.opType() == "If" || node.opType() == "Loop" || node.opType() == "Scan");
}

std::vector<const Value*> capturedValues(const Graph& body) {
  std::vector<const Value*> out;
  std::unordered_set<const Value*> seen;
  collectCaptures(body, out, seen);
  return out;
}

Status bindControlSteps(Program& program) {
  for (Step& step : program.steps) {
    if (!step.control) continue;
    ControlStep& control = *step.control;
    control.captureIds.assign(control.bodies.size(), {});
    for (size_t b = 0; b < control.bodies.size(); ++b) {
      Program& body = *control.bodies[b];
      body.options = program.options;
      body.options.profile = false;  // the control step is timed as a whole
      body.pool = program.pool;
      body.statsSink = &program.reportStats();
      body.file = program.file;
      KILN_RETURN_IF_ERROR(body.bindSteps());
      for (const Value* v : body.captures) {
        auto it = program.idOf.find(v);
        if (it == program.idOf.end())
          return Status::nodeError(step.node->name(), step.node->qualifiedOp(),
                                   "a body reads '" + v->name() + "', which is not defined before it");
        control.captureIds[b].push_back(it->second);
      }
      KILN_RETURN_IF_ERROR(bindControlSteps(body));
    }
  }
  return Status::ok();
}

Status runControlStep(ControlStep& control, const Node& node, std::span<const RuntimeValue* const> inputs,
                      const std::vector<const RuntimeValue*>& slots, std::vector<RuntimeValue>& results) {
  const ControlRun run{control, node, inputs, slots};
  Status status = node.opType() == "If" ? runIf(run, results) : node.opType() == "Loop" ? runLoop(run, results)
                                                                                        : runScan(run, results);
  if (!status) return status;
  detachResults(run, results);
  return Status::ok();
}

}  // namespace kiln::llvmjit
