// If, Loop and Scan: run their subgraphs through the interpreter. A subgraph sees every value
// visible at its node (ctx.scope) plus its own inputs, as ONNX's implicit capture requires.

#include <algorithm>

#include "backends/reference/control_flow.h"
#include "backends/reference/families.h"
#include "backends/reference/interpreter.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::reference {

Expected<bool> readCondition(const Tensor& t) {
  if (t.numElements() != 1) return Status::error("condition must hold one element, got shape " + dimsStr(t.dims()));
  if (t.dtype() == DType::String) return Status::error("condition must be a bool tensor");
  return t.scalarAsDouble(0) != 0.0;
}

Expected<Tensor> stackSlices(const std::vector<Tensor>& slices, int64_t axis, const Value* like) {
  if (slices.empty()) {
    DType dtype = like ? like->dtype() : DType::Undefined;
    if (dtype == DType::Undefined) dtype = DType::Float32;
    std::vector<int64_t> dims;
    if (like && like->type().isTensor()) {
      if (auto s = like->shape().staticDims()) dims = *s;
    }
    dims.insert(dims.begin() + std::min<int64_t>(axis, static_cast<int64_t>(dims.size())), 0);
    return Tensor::zeros(dtype, dims);
  }
  std::vector<Tensor> parts;
  std::vector<const Tensor*> ptrs;
  parts.reserve(slices.size());
  for (const Tensor& t : slices) {
    if (t.dims() != slices.front().dims())
      return Status::error("scan output slices have different shapes: " + dimsStr(slices.front().dims()) + " and " +
                           dimsStr(t.dims()));
    std::vector<int64_t> dims = t.dims();
    dims.insert(dims.begin() + axis, 1);
    parts.push_back(reshapedView(t, dims));
  }
  for (const Tensor& t : parts) ptrs.push_back(&t);
  return concatTensors(ptrs, axis);
}

namespace {

Expected<const Graph*> subgraphAttr(const KernelContext& ctx, std::string_view name) {
  const Attribute* a = ctx.node.attr(name);
  if (!a || a->kind() != AttrKind::Graph) return ctx.error("missing subgraph attribute '" + std::string(name) + "'");
  return &a->g();
}

Status ifKernel(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(cond, readCondition(ctx.input(0)));
  KILN_ASSIGN_OR_RETURN(branch, subgraphAttr(ctx, cond ? "then_branch" : "else_branch"));
  KILN_ASSIGN_OR_RETURN(results, ctx.interpreter.run(*branch, {}, ctx.scope));
  if (results.size() != ctx.outputs.size())
    return ctx.error("branch returned " + std::to_string(results.size()) + " values for " +
                     std::to_string(ctx.outputs.size()) + " outputs");
  for (size_t i = 0; i < results.size(); ++i) ctx.outputs[i] = std::move(results[i]);
  return Status::ok();
}

Status loopKernel(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(body, subgraphAttr(ctx, "body"));
  const size_t numCarried = ctx.inputs.size() >= 2 ? ctx.inputs.size() - 2 : 0;
  if (body->numInputs() != numCarried + 2)
    return ctx.error("body takes " + std::to_string(body->numInputs()) + " inputs, expected " + std::to_string(numCarried + 2));
  if (body->numOutputs() < numCarried + 1) return ctx.error("body returns too few outputs");
  const size_t numScan = body->numOutputs() - 1 - numCarried;
  if (ctx.outputs.size() != numCarried + numScan)
    return ctx.error("Loop has " + std::to_string(ctx.outputs.size()) + " outputs, body implies " +
                     std::to_string(numCarried + numScan));

  int64_t maxTrips = -1;  // -1: no limit
  if (ctx.hasInput(0)) {
    KILN_ASSIGN_OR_RETURN(m, readInt64Scalar(ctx.input(0)));
    maxTrips = std::max<int64_t>(m, 0);
  }
  bool cond = true;
  if (ctx.hasInput(1)) {
    KILN_ASSIGN_OR_RETURN(c, readCondition(ctx.input(1)));
    cond = c;
  }

  std::vector<RuntimeValue> args(numCarried + 2);
  for (size_t i = 0; i < numCarried; ++i) {
    if (!ctx.inputs[i + 2]) return ctx.error("loop-carried input " + std::to_string(i) + " is missing");
    args[i + 2] = *ctx.inputs[i + 2];
  }
  std::vector<std::vector<Tensor>> scans(numScan);
  for (int64_t iter = 0; cond && (maxTrips < 0 || iter < maxTrips); ++iter) {
    args[0] = Tensor::fromVector<int64_t>(DType::Int64, {}, {iter});
    args[1] = Tensor::fromVector<uint8_t>(DType::Bool, {}, {1});
    KILN_ASSIGN_OR_RETURN(results, ctx.interpreter.run(*body, args, ctx.scope));
    const auto* condOut = std::get_if<Tensor>(&results[0]);
    if (!condOut) return ctx.error("body condition output is a sequence");
    KILN_ASSIGN_OR_RETURN(c, readCondition(*condOut));
    cond = c;
    for (size_t i = 0; i < numCarried; ++i) args[i + 2] = std::move(results[i + 1]);
    for (size_t k = 0; k < numScan; ++k) {
      auto* t = std::get_if<Tensor>(&results[1 + numCarried + k]);
      if (!t) return ctx.error("scan output " + std::to_string(k) + " is a sequence");
      scans[k].push_back(std::move(*t));
    }
  }
  for (size_t i = 0; i < numCarried; ++i) ctx.outputs[i] = std::move(args[i + 2]);
  for (size_t k = 0; k < numScan; ++k) {
    KILN_ASSIGN_OR_RETURN(stacked, stackSlices(scans[k], 0, body->output(1 + numCarried + k)));
    ctx.setOutput(numCarried + k, std::move(stacked));
  }
  return Status::ok();
}

Status scanKernel(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(body, subgraphAttr(ctx, "body"));
  const int64_t numScanInputs = ctx.node.intAttr("num_scan_inputs", 0);
  const auto numInputs = static_cast<int64_t>(ctx.inputs.size());
  if (numScanInputs <= 0 || numScanInputs > numInputs) return ctx.error("num_scan_inputs is out of range");
  const auto numState = static_cast<size_t>(numInputs - numScanInputs);
  const auto numScanIn = static_cast<size_t>(numScanInputs);
  if (body->numInputs() != numState + numScanIn) return ctx.error("body input count does not match Scan's inputs");
  if (body->numOutputs() < numState) return ctx.error("body returns too few outputs");
  const size_t numScanOut = body->numOutputs() - numState;
  if (ctx.outputs.size() != numState + numScanOut) return ctx.error("Scan output count does not match its body");

  auto inAxes = ctx.node.intsAttr("scan_input_axes", std::vector<int64_t>(numScanIn, 0));
  auto inDirs = ctx.node.intsAttr("scan_input_directions", std::vector<int64_t>(numScanIn, 0));
  auto outAxes = ctx.node.intsAttr("scan_output_axes", std::vector<int64_t>(numScanOut, 0));
  auto outDirs = ctx.node.intsAttr("scan_output_directions", std::vector<int64_t>(numScanOut, 0));
  if (inAxes.size() != numScanIn || inDirs.size() != numScanIn || outAxes.size() != numScanOut ||
      outDirs.size() != numScanOut)
    return ctx.error("scan axes/directions attributes have the wrong length");

  // Every scan input must have the same length along its scan axis.
  int64_t length = -1;
  std::vector<const Tensor*> scanIn(numScanIn);
  for (size_t k = 0; k < numScanIn; ++k) {
    const Tensor& t = ctx.input(numState + k);
    scanIn[k] = &t;
    KILN_ASSIGN_OR_RETURN(a, normalizeAxis(inAxes[k], static_cast<int64_t>(t.rank())));
    inAxes[k] = a;
    const int64_t n = t.dims()[static_cast<size_t>(a)];
    if (length >= 0 && n != length) return ctx.error("scan inputs have different sequence lengths");
    length = n;
  }

  std::vector<RuntimeValue> args(numState + numScanIn);
  for (size_t i = 0; i < numState; ++i) args[i] = *ctx.inputs[i];
  std::vector<std::vector<Tensor>> scans(numScanOut);
  for (int64_t t = 0; t < length; ++t) {
    for (size_t k = 0; k < numScanIn; ++k) {
      const int64_t pos = inDirs[k] ? length - 1 - t : t;
      Tensor piece = sliceAxis(*scanIn[k], inAxes[k], pos, 1);
      std::vector<int64_t> dims = piece.dims();
      dims.erase(dims.begin() + inAxes[k]);
      args[numState + k] = reshapedView(piece, dims);
    }
    KILN_ASSIGN_OR_RETURN(results, ctx.interpreter.run(*body, args, ctx.scope));
    for (size_t i = 0; i < numState; ++i) args[i] = std::move(results[i]);
    for (size_t k = 0; k < numScanOut; ++k) {
      auto* tensor = std::get_if<Tensor>(&results[numState + k]);
      if (!tensor) return ctx.error("scan output " + std::to_string(k) + " is a sequence");
      scans[k].push_back(std::move(*tensor));
    }
  }
  for (size_t i = 0; i < numState; ++i) ctx.outputs[i] = std::move(args[i]);
  for (size_t k = 0; k < numScanOut; ++k) {
    if (outDirs[k]) std::reverse(scans[k].begin(), scans[k].end());
    const Value* like = body->output(numState + k);
    int64_t sliceRank = scans[k].empty() ? (like && like->shape().isRanked() ? static_cast<int64_t>(like->shape().rank()) : 0)
                                         : static_cast<int64_t>(scans[k].front().rank());
    KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(outAxes[k], sliceRank + 1));
    KILN_ASSIGN_OR_RETURN(stacked, stackSlices(scans[k], axis, like));
    ctx.setOutput(numState + k, std::move(stacked));
  }
  return Status::ok();
}

}  // namespace

void registerControlFlowKernels(KernelRegistry& registry) {
  registry.add("", "If", ifKernel);
  registry.add("", "Loop", loopKernel);
  registry.add("", "Scan", scanKernel);
}

}  // namespace kiln::reference
