// Data movement: Reshape, Flatten, Squeeze, Unsqueeze (a flat copy under new dims), Transpose
// (a permuted copy, contiguous along the output's last axis) and Concat (one contiguous chunk
// per operand and outer index). Shapes are computed from the actual input dims at launch, with
// constant shape/axes operands read when the code is generated.

#include "backends/llvm/axis_split.h"
#include "backends/llvm/codegen_table.h"
#include "backends/llvm/launches.h"
#include "backends/llvm/launches_shape.h"

namespace kiln::llvmjit {
namespace {

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

/// The dims rule of a flat-copy op, or nullopt (with the reason) when it needs a run-time value.
std::optional<ReshapeRule> reshapeRule(const Node& node, std::string* whyNot) {
  const std::string& op = node.opType();
  ReshapeRule rule;
  if (op == "Flatten") {
    rule.kind = ReshapeRule::Kind::Flatten;
    rule.axis = node.intAttr("axis", 1);
    return rule;
  }
  if (op == "Reshape") {
    auto spec = constantInts(node.input(1));
    if (!spec) {
      *whyNot = "shape is not a constant";
      return std::nullopt;
    }
    rule.kind = ReshapeRule::Kind::Reshape;
    rule.allowZero = node.intAttr("allowzero", 0) != 0;
    rule.values = std::move(*spec);
    return rule;
  }
  auto axes = axesOf(node, whyNot);
  if (!axes) return std::nullopt;
  rule.kind = op == "Squeeze" ? ReshapeRule::Kind::Squeeze : ReshapeRule::Kind::Unsqueeze;
  rule.values = std::move(*axes);
  return rule;
}

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
  auto rule = reshapeRule(node, whyNot);
  if (!rule) {
    // A shape or axes operand computed at run time: the launch reads its contents.
    if (op == "Flatten" || !node.input(1) || !isInteger(node.input(1)->dtype())) return nullptr;
    emitFlatCopy(cg, name, node.numInputs(), x->dtype());
    const auto kind = op == "Reshape" ? ReshapeRule::Kind::Reshape
                      : op == "Squeeze" ? ReshapeRule::Kind::Squeeze : ReshapeRule::Kind::Unsqueeze;
    return std::make_unique<RuntimeCopyLaunch>(kind, node.intAttr("allowzero", 0) != 0);
  }
  emitFlatCopy(cg, name, node.numInputs(), x->dtype());
  return std::make_unique<CopyLaunch>(std::move(*rule));
}

}  // namespace kiln::llvmjit
