// Indexed copies: Gather along any axis and ScatterND (reduction none), with int32 or int64
// indices, negative ones counted from the end. The launches check every index before each
// call (an index out of range is the reference kernel's error, never a wild read).

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/launches_shape.h"

namespace kiln::llvmjit {
namespace {

bool isIndexType(DType t) { return t == DType::Int32 || t == DType::Int64; }

/// Index element `at` of `indices` as i64, wrapped into [0, dim) when negative.
llvm::Value* loadIndex(CodegenContext& cg, llvm::Value* indices, llvm::Value* at, DType type, llvm::Value* dim) {
  auto& b = cg.builder();
  llvm::Value* i = b.CreateSExt(cg.loadElement(indices, at, type), b.getInt64Ty());
  return b.CreateSelect(b.CreateICmpSLT(i, cg.i64(0)), b.CreateNSWAdd(i, dim), i);
}

std::unique_ptr<KernelLaunch> emitGather(CodegenContext& cg, const Node& node, const std::string& name,
                                         std::string* whyNot) {
  const Value* data = node.input(0);
  const Value* indices = node.input(1);
  const auto rank = static_cast<int64_t>(data->shape().rank());
  int64_t axis = node.intAttr("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    *whyNot = "axis out of range";
    return nullptr;
  }
  const DType dtype = data->dtype(), indexType = indices->dtype();
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, 3, 4);
  llvm::Value *axisDim = k.dims[1], *count = k.dims[2], *inner = k.dims[3];
  cg.forLoop(k.begin, k.end, [&](llvm::Value* it) {
    llvm::Value* o = b.CreateUDiv(it, count);
    llvm::Value* i = loadIndex(cg, k.buffers[1], b.CreateURem(it, count), indexType, axisDim);
    llvm::Value* from = b.CreateNSWMul(b.CreateNSWAdd(b.CreateNSWMul(o, axisDim), i), inner);
    llvm::Value* to = b.CreateNSWMul(it, inner);
    cg.forLoop(cg.i64(0), inner, [&](llvm::Value* j) {
      cg.storeElement(cg.loadElement(k.buffers[0], b.CreateNSWAdd(from, j), dtype), k.buffers[2],
                      b.CreateNSWAdd(to, j), dtype);
    }, "j");
  }, "it");
  cg.finishKernel();
  return std::make_unique<GatherLaunch>(static_cast<size_t>(rank), static_cast<size_t>(axis));
}

std::unique_ptr<KernelLaunch> emitScatterND(CodegenContext& cg, const Node& node, const std::string& name,
                                            std::string* whyNot) {
  const Value* data = node.input(0);
  const Value* indices = node.input(1);
  const Value* updates = node.input(2);
  if (node.stringAttr("reduction", "none") != "none") {
    *whyNot = "reduction other than none";
    return nullptr;
  }
  if (!updates || updates->dtype() != data->dtype() || !indices->shape().isRanked() || indices->shape().rank() == 0 ||
      !indices->shape()[indices->shape().rank() - 1].isStatic()) {
    *whyNot = "index depth (last dim of indices) unknown";
    return nullptr;
  }
  const size_t rank = data->shape().rank();
  const int64_t depth = indices->shape()[indices->shape().rank() - 1].value();
  if (depth < 1 || depth > static_cast<int64_t>(rank)) {
    *whyNot = "index depth out of range";
    return nullptr;
  }
  const auto n = static_cast<size_t>(depth);
  const DType dtype = data->dtype(), indexType = indices->dtype();
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, 4, 3 + 2 * n);
  llvm::Value *total = k.dims[0], *tuples = k.dims[1], *slice = k.dims[2];
  llvm::Value* out = k.buffers[3];
  cg.forLoop(cg.i64(0), total, [&](llvm::Value* i) {
    cg.storeElement(cg.loadElement(k.buffers[0], i, dtype), out, i, dtype);
  });
  cg.forLoop(cg.i64(0), tuples, [&](llvm::Value* t) {
    llvm::Value* offset = cg.i64(0);
    for (size_t j = 0; j < n; ++j) {
      llvm::Value* at = b.CreateNSWAdd(b.CreateNSWMul(t, cg.i64(depth)), cg.i64(static_cast<int64_t>(j)));
      llvm::Value* i = loadIndex(cg, k.buffers[1], at, indexType, k.dims[3 + j]);
      offset = b.CreateNSWAdd(offset, b.CreateNSWMul(i, k.dims[3 + n + j]));
    }
    llvm::Value* from = b.CreateNSWMul(t, slice);
    cg.forLoop(cg.i64(0), slice, [&](llvm::Value* e) {
      cg.storeElement(cg.loadElement(k.buffers[2], b.CreateNSWAdd(from, e), dtype), out, b.CreateNSWAdd(offset, e), dtype);
    }, "e");
  }, "t");
  cg.finishKernel();
  return std::make_unique<ScatterNDLaunch>(rank, n);
}

}  // namespace

std::unique_ptr<KernelLaunch> emitIndexed(CodegenContext& cg, const Node& node, const std::string& name,
                                          std::string* whyNot) {
  const Value* data = node.input(0);
  const Value* indices = node.input(1);
  if (!data || !data->type().isTensor() || !data->shape().isRanked() || data->shape().rank() == 0 ||
      !CodegenContext::isSupportedDType(data->dtype()) || !indices || !isIndexType(indices->dtype())) {
    *whyNot = "data rank or dtype unknown, or indices not int32/int64";
    return nullptr;
  }
  if (node.opType() == "Gather") return emitGather(cg, node, name, whyNot);
  return emitScatterND(cg, node, name, whyNot);
}

}  // namespace kiln::llvmjit
