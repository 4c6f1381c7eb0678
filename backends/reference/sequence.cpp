// Tensor sequences (RuntimeValue holding std::vector<Tensor>): construction, indexing,
// insertion, erasure, and conversion from / to one tensor.

#include <algorithm>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::reference {
namespace {

using Sequence = std::vector<Tensor>;

const Sequence& sequenceInput(const KernelContext& ctx, size_t i) { return std::get<Sequence>(*ctx.inputs[i]); }

/// A sequence position in [-n, n) (or [-n, n] when inserting) mapped to [0, n].
Expected<int64_t> sequencePosition(const Tensor& t, int64_t n, bool inserting) {
  KILN_ASSIGN_OR_RETURN(p, readInt64Scalar(t));
  const int64_t hi = inserting ? n : n - 1;
  if (p < -n || p > hi)
    return Status::error("position " + std::to_string(p) + " is out of range for a sequence of length " + std::to_string(n));
  return p < 0 ? p + n : p;
}

Status sequenceConstructKernel(KernelContext& ctx) {
  Sequence seq;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    seq.push_back(ctx.input(i));
    if (seq.back().dtype() != seq.front().dtype()) return ctx.error("sequence elements have different element types");
  }
  ctx.outputs[0] = std::move(seq);
  return Status::ok();
}

Status sequenceEmptyKernel(KernelContext& ctx) {
  ctx.outputs[0] = Sequence{};
  return Status::ok();
}

Status sequenceAtKernel(KernelContext& ctx) {
  const Sequence& seq = sequenceInput(ctx, 0);
  KILN_ASSIGN_OR_RETURN(p, sequencePosition(ctx.input(1), static_cast<int64_t>(seq.size()), false));
  ctx.setOutput(0, seq[static_cast<size_t>(p)]);
  return Status::ok();
}

Status sequenceInsertKernel(KernelContext& ctx) {
  Sequence seq = sequenceInput(ctx, 0);
  const Tensor& t = ctx.input(1);
  if (!seq.empty() && seq.front().dtype() != t.dtype())
    return ctx.error("inserted tensor's element type differs from the sequence's");
  int64_t p = static_cast<int64_t>(seq.size());
  if (ctx.hasInput(2)) {
    KILN_ASSIGN_OR_RETURN(pos, sequencePosition(ctx.input(2), p, true));
    p = pos;
  }
  seq.insert(seq.begin() + p, t);
  ctx.outputs[0] = std::move(seq);
  return Status::ok();
}

Status sequenceEraseKernel(KernelContext& ctx) {
  Sequence seq = sequenceInput(ctx, 0);
  if (seq.empty()) return ctx.error("cannot erase from an empty sequence");
  int64_t p = static_cast<int64_t>(seq.size()) - 1;
  if (ctx.hasInput(1)) {
    KILN_ASSIGN_OR_RETURN(pos, sequencePosition(ctx.input(1), static_cast<int64_t>(seq.size()), false));
    p = pos;
  }
  seq.erase(seq.begin() + p);
  ctx.outputs[0] = std::move(seq);
  return Status::ok();
}

Status sequenceLengthKernel(KernelContext& ctx) {
  const auto n = static_cast<int64_t>(sequenceInput(ctx, 0).size());
  ctx.setOutput(0, Tensor::fromVector<int64_t>(DType::Int64, {}, {n}));
  return Status::ok();
}

Status splitToSequenceKernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(ctx.node.intAttr("axis", 0), static_cast<int64_t>(x.rank())));
  const int64_t dim = x.dims()[static_cast<size_t>(axis)];
  std::vector<int64_t> sizes;
  bool squeeze = false;
  if (!ctx.hasInput(1)) {
    // No split: pieces of size 1, and keepdims=0 removes the split axis.
    sizes.assign(static_cast<size_t>(dim), 1);
    squeeze = ctx.node.intAttr("keepdims", 1) == 0;
  } else {
    const Tensor& split = ctx.input(1);
    KILN_ASSIGN_OR_RETURN(values, readInt64List(split));
    if (split.rank() == 0) {  // a scalar: equal pieces of that size, the last one smaller
      const int64_t chunk = values[0];
      if (chunk <= 0) return ctx.error("split must be positive");
      for (int64_t left = dim; left > 0; left -= chunk) sizes.push_back(std::min(left, chunk));
    } else {
      sizes = values;
      int64_t total = 0;
      for (int64_t s : sizes) {
        if (s < 0) return ctx.error("negative split size");
        total += s;
      }
      if (total != dim) return ctx.error("split sizes sum to " + std::to_string(total) + ", axis has " + std::to_string(dim));
    }
  }
  Sequence seq;
  int64_t begin = 0;
  for (int64_t s : sizes) {
    Tensor piece = sliceAxis(x, axis, begin, s);
    if (squeeze) {
      std::vector<int64_t> dims = piece.dims();
      dims.erase(dims.begin() + axis);
      piece = reshapedView(piece, dims);
    }
    seq.push_back(std::move(piece));
    begin += s;
  }
  ctx.outputs[0] = std::move(seq);
  return Status::ok();
}

Status concatFromSequenceKernel(KernelContext& ctx) {
  const Sequence& seq = sequenceInput(ctx, 0);
  if (seq.empty()) return ctx.error("cannot concatenate an empty sequence");
  const bool newAxis = ctx.node.intAttr("new_axis", 0) != 0;
  const auto rank = static_cast<int64_t>(seq.front().rank());
  KILN_ASSIGN_OR_RETURN(axis, normalizeAxis(ctx.node.intAttr("axis", 0), newAxis ? rank + 1 : rank));
  std::vector<Tensor> parts;
  std::vector<const Tensor*> ptrs;
  parts.reserve(seq.size());
  for (const Tensor& t : seq) {
    if (newAxis) {  // stack: give every element a size-1 axis first
      std::vector<int64_t> dims = t.dims();
      dims.insert(dims.begin() + axis, 1);
      parts.push_back(reshapedView(t, dims));
    } else {
      parts.push_back(t);
    }
  }
  for (const Tensor& t : parts) ptrs.push_back(&t);
  KILN_ASSIGN_OR_RETURN(result, concatTensors(ptrs, axis));
  ctx.setOutput(0, std::move(result));
  return Status::ok();
}

}  // namespace

void registerSequenceKernels(KernelRegistry& registry) {
  registry.add("", "SequenceConstruct", sequenceConstructKernel);
  registry.add("", "SequenceEmpty", sequenceEmptyKernel);
  registry.add("", "SequenceAt", sequenceAtKernel);
  registry.add("", "SequenceInsert", sequenceInsertKernel);
  registry.add("", "SequenceErase", sequenceEraseKernel);
  registry.add("", "SequenceLength", sequenceLengthKernel);
  registry.add("", "SplitToSequence", splitToSequenceKernel);
  registry.add("", "ConcatFromSequence", concatFromSequenceKernel);
}

}  // namespace kiln::reference
