// Data movement: Reshape, Flatten, Squeeze, Unsqueeze (a flat copy under new dims), Transpose
// (a permuted copy, contiguous along the output's last axis) and Concat (one contiguous chunk
// per operand and outer index). Shapes are computed from the actual input dims at launch, with
// constant shape/axes operands read when the code is generated.

#include <functional>

#include "backends/llvm/axis_split.h"
#include "backends/llvm/codegen_table.h"

namespace kiln::llvmjit {
namespace {

using ShapeFn = std::function<bool(std::span<const std::vector<int64_t>>, std::vector<int64_t>&)>;

int64_t product(const std::vector<int64_t>& dims, size_t from = 0, size_t to = SIZE_MAX) {
  int64_t p = 1;
  for (size_t i = from; i < std::min(to, dims.size()); ++i) p *= dims[i];
  return p;
}

/// A flat copy whose output dims come from `shape`.
class CopyLaunch final : public KernelLaunch {
 public:
  explicit CopyLaunch(ShapeFn shape) : shape_(std::move(shape)) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override {
    std::vector<int64_t> out;
    if (!shape_(inputDims, out) || product(out) != product(inputDims[0])) return false;
    launch.outputDims = {out};
    launch.kernelDims = {product(out)};
    launch.iterations = launch.kernelDims[0];
    launch.workPerIteration = 1;
    return true;
  }

 private:
  ShapeFn shape_;
};

/// ONNX Reshape of `in` to `spec` (0 copies a dim unless allowzero, -1 is inferred).
bool reshapeDims(const std::vector<int64_t>& in, const std::vector<int64_t>& spec, bool allowZero,
                 std::vector<int64_t>& out) {
  out.clear();
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0 && !allowZero) {
      if (i >= in.size()) return false;
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0) return false;
      inferred = static_cast<int64_t>(i);
      out.push_back(1);
      continue;
    }
    if (d < 0) return false;
    known *= d;
    out.push_back(d);
  }
  if (inferred >= 0) {
    if (known == 0 || product(in) % known != 0) return false;
    out[inferred] = product(in) / known;
  }
  return true;
}

void emitFlatCopy(CodegenContext& cg, const std::string& name, size_t numInputs, DType dtype) {
  KernelBody k = cg.beginKernel(name, numInputs + 1, 1);
  cg.forLoop(k.begin, k.end, [&](llvm::Value* i) {
    cg.storeElement(cg.loadElement(k.buffers[0], i, dtype), k.buffers[numInputs], i, dtype);
  });
  cg.finishKernel();
}

std::optional<std::vector<int64_t>> axesOf(const Node& node, std::string* whyNot) {
  if (const Attribute* a = node.attr("axes"); a && a->kind() == AttrKind::Ints) return a->ints();
  if (!node.input(1)) return std::vector<int64_t>{};
  auto c = constantInts(node.input(1));
  if (!c) *whyNot = "axes are not a constant";
  return c;
}

ShapeFn reshapeShape(const Node& node, std::string* whyNot) {
  const std::string& op = node.opType();
  if (op == "Flatten") {
    const int64_t axis = node.intAttr("axis", 1);
    return [axis](auto in, auto& out) {
      const auto rank = static_cast<int64_t>(in[0].size());
      const int64_t a = axis < 0 ? axis + rank : axis;
      if (a < 0 || a > rank) return false;
      out = {product(in[0], 0, static_cast<size_t>(a)), product(in[0], static_cast<size_t>(a))};
      return true;
    };
  }
  if (op == "Reshape") {
    auto spec = constantInts(node.input(1));
    if (!spec) {
      *whyNot = "shape is not a constant";
      return nullptr;
    }
    const bool allowZero = node.intAttr("allowzero", 0) != 0;
    return [spec = *spec, allowZero](auto in, auto& out) { return reshapeDims(in[0], spec, allowZero, out); };
  }
  auto axes = axesOf(node, whyNot);
  if (!axes) return nullptr;
  if (op == "Squeeze") {
    return [axes = *axes](auto in, auto& out) {
      const auto rank = static_cast<int64_t>(in[0].size());
      std::vector<bool> drop(in[0].size(), false);
      for (int64_t a : axes) {
        if (a < 0) a += rank;
        if (a < 0 || a >= rank || in[0][a] != 1) return false;
        drop[a] = true;
      }
      out.clear();
      for (size_t i = 0; i < in[0].size(); ++i)
        if (axes.empty() ? in[0][i] != 1 : !drop[i]) out.push_back(in[0][i]);
      return true;
    };
  }
  return [axes = *axes](auto in, auto& out) {  // Unsqueeze
    const auto rank = static_cast<int64_t>(in[0].size() + axes.size());
    std::vector<bool> inserted(static_cast<size_t>(rank), false);
    for (int64_t a : axes) {
      if (a < 0) a += rank;
      if (a < 0 || a >= rank || inserted[a]) return false;
      inserted[a] = true;
    }
    out.clear();
    size_t next = 0;
    for (int64_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? 1 : in[0][next++]);
    return true;
  };
}

/// Transpose: kernelDims = the input dims; one iteration per output row (all axes but the last).
class TransposeLaunch final : public KernelLaunch {
 public:
  explicit TransposeLaunch(std::vector<int64_t> perm) : perm_(std::move(perm)) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override {
    const auto& in = inputDims[0];
    if (in.size() != perm_.size() || in.empty()) return false;
    std::vector<int64_t> out;
    for (int64_t p : perm_) out.push_back(in[p]);
    launch.outputDims = {out};
    launch.kernelDims = in;
    launch.iterations = product(out, 0, out.size() - 1);
    launch.workPerIteration = out.back();
    return true;
  }

 private:
  std::vector<int64_t> perm_;
};

std::unique_ptr<KernelLaunch> emitTranspose(CodegenContext& cg, const Node& node, const std::string& name,
                                            std::string* whyNot) {
  const Value* x = node.input(0);
  const size_t rank = x->shape().rank();
  std::vector<int64_t> perm = node.intsAttr("perm");
  if (perm.empty())
    for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  if (perm.size() != rank || rank == 0) {
    *whyNot = "perm does not match the rank";
    return nullptr;
  }
  const DType dtype = x->dtype();
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, 2, rank);
  // Input strides (row-major), then the input stride of each output axis.
  std::vector<llvm::Value*> inStride(rank);
  llvm::Value* s = cg.i64(1);
  for (size_t a = rank; a-- > 0;) {
    inStride[a] = s;
    s = b.CreateNSWMul(s, k.dims[a]);
  }
  std::vector<llvm::Value*> outDim(rank), outStride(rank);
  for (size_t a = 0; a < rank; ++a) {
    outDim[a] = k.dims[perm[a]];
    outStride[a] = inStride[perm[a]];
  }
  cg.forLoop(k.begin, k.end, [&](llvm::Value* row) {
    llvm::Value* base = cg.i64(0);
    llvm::Value* rest = row;
    for (size_t a = rank - 1; a-- > 0;) {
      llvm::Value* coord = a == 0 ? rest : b.CreateURem(rest, outDim[a]);
      if (a > 0) rest = b.CreateUDiv(rest, outDim[a]);
      base = b.CreateNSWAdd(base, b.CreateNSWMul(coord, outStride[a]));
    }
    llvm::Value* outBase = b.CreateNSWMul(row, outDim[rank - 1]);
    cg.forLoop(cg.i64(0), outDim[rank - 1], [&](llvm::Value* j) {
      llvm::Value* from = b.CreateNSWAdd(base, b.CreateNSWMul(j, outStride[rank - 1]));
      cg.storeElement(cg.loadElement(k.buffers[0], from, dtype), k.buffers[1], b.CreateNSWAdd(outBase, j), dtype);
    }, "j");
  }, "row");
  cg.finishKernel();
  return std::make_unique<TransposeLaunch>(std::move(perm));
}

/// Concat: kernelDims = {outer, chunk_0, ..., chunk_{n-1}}, chunk_k = dim_k(axis) * inner.
class ConcatLaunch final : public KernelLaunch {
 public:
  ConcatLaunch(size_t rank, size_t axis) : rank_(rank), axis_(axis) {}
  bool bind(std::span<const std::vector<int64_t>> inputDims, LaunchShape& launch) const override {
    std::vector<int64_t> out = inputDims[0];
    if (out.size() != rank_) return false;
    out[axis_] = 0;
    launch.kernelDims = {product(inputDims[0], 0, axis_)};
    int64_t total = 0;
    for (const auto& d : inputDims) {
      if (d.size() != rank_) return false;
      for (size_t a = 0; a < rank_; ++a)
        if (a != axis_ && d[a] != inputDims[0][a]) return false;
      out[axis_] += d[axis_];
      launch.kernelDims.push_back(product(d, axis_));
      total += launch.kernelDims.back();
    }
    launch.outputDims = {out};
    launch.iterations = launch.kernelDims[0];
    launch.workPerIteration = total;
    return true;
  }

 private:
  size_t rank_, axis_;
};

std::unique_ptr<KernelLaunch> emitConcat(CodegenContext& cg, const Node& node, const std::string& name,
                                         std::string* whyNot) {
  const size_t n = node.numInputs();
  const size_t rank = node.input(0)->shape().rank();
  int64_t axis = node.intAttr("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(rank);
  for (size_t i = 0; i < n; ++i)
    if (!node.input(i) || node.input(i)->dtype() != node.input(0)->dtype()) {
      *whyNot = "operands of mixed dtypes";
      return nullptr;
    }
  if (axis < 0 || axis >= static_cast<int64_t>(rank)) {
    *whyNot = "axis out of range";
    return nullptr;
  }
  const DType dtype = node.input(0)->dtype();
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, n + 1, n + 1);
  llvm::Value* rowLength = cg.i64(0);
  for (size_t i = 0; i < n; ++i) rowLength = b.CreateNSWAdd(rowLength, k.dims[1 + i]);
  cg.forLoop(k.begin, k.end, [&](llvm::Value* o) {
    llvm::Value* outAt = b.CreateNSWMul(o, rowLength);
    for (size_t i = 0; i < n; ++i) {
      llvm::Value* chunk = k.dims[1 + i];
      llvm::Value* inBase = b.CreateNSWMul(o, chunk);
      llvm::Value* outBase = outAt;
      cg.forLoop(cg.i64(0), chunk, [&](llvm::Value* j) {
        cg.storeElement(cg.loadElement(k.buffers[i], b.CreateNSWAdd(inBase, j), dtype), k.buffers[n],
                        b.CreateNSWAdd(outBase, j), dtype);
      }, "j");
      outAt = b.CreateNSWAdd(outAt, chunk);
    }
  }, "o");
  cg.finishKernel();
  return std::make_unique<ConcatLaunch>(rank, static_cast<size_t>(axis));
}

}  // namespace

std::unique_ptr<KernelLaunch> emitDataMovement(CodegenContext& cg, const Node& node, const std::string& name,
                                               std::string* whyNot) {
  const Value* x = node.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked() || !CodegenContext::isSupportedDType(x->dtype())) {
    *whyNot = "input rank or dtype unknown";
    return nullptr;
  }
  const std::string& op = node.opType();
  if (op == "Transpose") return emitTranspose(cg, node, name, whyNot);
  if (op == "Concat") return emitConcat(cg, node, name, whyNot);
  ShapeFn shape = reshapeShape(node, whyNot);
  if (!shape) return nullptr;
  emitFlatCopy(cg, name, node.numInputs(), x->dtype());
  return std::make_unique<CopyLaunch>(std::move(shape));
}

}  // namespace kiln::llvmjit
