// Einsum lowered, when the JIT compiles the graph, to generated gathers and batched GEMMs (the
// plan of einsum_plan.h): per contraction step, nested loops gather A into [batch, m, k] and B
// into [batch, k, n] (strides bound at run time, 0 for a label a side lacks), the emitted GEMM
// multiplies each batch, and the result feeds the next step. The last result is written
// straight into the output when its label order is the output's, else permuted into it.

#include <algorithm>

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/einsum_plan.h"
#include "backends/llvm/gemm_call.h"
#include "backends/llvm/launches.h"

namespace kiln::llvmjit {
namespace {

/// A tensor the kernel reads with one stride per label.
struct Source {
  llvm::Value* data = nullptr;
  std::vector<int> labels;
  std::vector<llvm::Value*> strides;  ///< per label of `labels`
  bool owned = false;                 ///< malloc'd by the kernel (free after use)

  llvm::Value* strideOf(CodegenContext& cg, int label) const {
    auto it = std::find(labels.begin(), labels.end(), label);
    return it == labels.end() ? cg.i64(0) : strides[static_cast<size_t>(it - labels.begin())];
  }
};

/// Contiguous strides for `labels` with sizes `size`.
std::vector<llvm::Value*> contiguous(CodegenContext& cg, const std::vector<int>& labels,
                                     const std::vector<llvm::Value*>& size) {
  std::vector<llvm::Value*> strides(labels.size());
  llvm::Value* s = cg.i64(1);
  for (size_t i = labels.size(); i-- > 0;) {
    strides[i] = s;
    s = cg.builder().CreateNSWMul(s, size[static_cast<size_t>(labels[i])]);
  }
  return strides;
}

llvm::Value* product(CodegenContext& cg, const std::vector<int>& labels, const std::vector<llvm::Value*>& size) {
  llvm::Value* p = cg.i64(1);
  for (int l : labels) p = cg.builder().CreateNSWMul(p, size[static_cast<size_t>(l)]);
  return p;
}

/// dst[linear index over `order`] = src[sum of index * stride], as nested loops (innermost last).
void gather(CodegenContext& cg, const Source& src, const std::vector<int>& order, const std::vector<llvm::Value*>& size,
            llvm::Value* dst) {
  auto& b = cg.builder();
  std::function<void(size_t, llvm::Value*, llvm::Value*)> nest = [&](size_t depth, llvm::Value* from, llvm::Value* to) {
    if (depth == order.size()) {
      cg.storeElement(cg.loadElement(src.data, from, DType::Float32), dst, to, DType::Float32);
      return;
    }
    const int l = order[depth];
    llvm::Value* stride = src.strideOf(cg, l);
    llvm::Value* extent = size[static_cast<size_t>(l)];
    cg.forLoop(cg.i64(0), extent, [&](llvm::Value* i) {
      nest(depth + 1, b.CreateNSWAdd(from, b.CreateNSWMul(i, stride)), b.CreateNSWAdd(b.CreateNSWMul(to, extent), i));
    }, "e");
  };
  nest(0, cg.i64(0), cg.i64(0));
}

}  // namespace

std::unique_ptr<KernelLaunch> emitEinsum(CodegenContext& cg, const Node& node, const std::string& name,
                                         std::string* whyNot) {
  std::vector<int64_t> ranks;
  for (size_t i = 0; i < node.numInputs(); ++i) {
    const Value* v = node.input(i);
    if (!v || !v->type().isTensor() || v->dtype() != DType::Float32 || !v->shape().isRanked()) {
      *whyNot = "only f32 operands of known rank are generated";
      return nullptr;
    }
    ranks.push_back(static_cast<int64_t>(v->shape().rank()));
  }
  auto plan = planEinsum(node, ranks);
  if (!plan) {
    *whyNot = plan.status().diagnostic().message;
    return nullptr;
  }
  llvm::Function* driver = sharedGemmDriver(cg, llvmgemm::GemmConfig{});
  auto& b = cg.builder();
  const size_t operands = plan->operands.size();
  KernelBody k = cg.beginKernel(name, operands + 1, plan->dimsCount());
  std::vector<llvm::Value*> size(k.dims.begin(), k.dims.begin() + static_cast<long>(plan->labels.size()));
  auto input = [&](size_t i) {
    Source s{k.buffers[i], plan->operands[i], {}, false};
    for (size_t axis = 0; axis < s.labels.size(); ++axis) s.strides.push_back(k.dims[plan->strideSlot(i, axis)]);
    return s;
  };
  // A lone operand is contracted with the scalar 1.
  auto* oneValue = new llvm::GlobalVariable(cg.module(), b.getFloatTy(), true, llvm::GlobalValue::PrivateLinkage,
                                            llvm::ConstantFP::get(b.getFloatTy(), 1.0), name + ".one");
  llvm::Value* out = k.buffers[operands];
  llvm::Value* gemmWs = mallocFloats(cg, cg.i64(llvmgemm::gemmWorkspaceFloats(hostTiling())));
  Source current = input(0);
  for (size_t step = 0; step < plan->steps.size(); ++step) {
    const EinsumContraction& c = plan->steps[step];
    Source other = step + 1 < operands ? input(step + 1) : Source{oneValue, {}, {}, false};
    std::vector<int> aOrder = c.batch, bOrder = c.batch;
    aOrder.insert(aOrder.end(), c.m.begin(), c.m.end());
    aOrder.insert(aOrder.end(), c.k.begin(), c.k.end());
    bOrder.insert(bOrder.end(), c.k.begin(), c.k.end());
    bOrder.insert(bOrder.end(), c.n.begin(), c.n.end());
    llvm::Value *batch = product(cg, c.batch, size), *m = product(cg, c.m, size);
    llvm::Value *n = product(cg, c.n, size), *kk = product(cg, c.k, size);
    llvm::Value* aSize = b.CreateNSWMul(batch, b.CreateNSWMul(m, kk));
    llvm::Value* bSize = b.CreateNSWMul(batch, b.CreateNSWMul(kk, n));
    llvm::Value* packedA = mallocFloats(cg, aSize);
    llvm::Value* packedB = mallocFloats(cg, bSize);
    gather(cg, current, aOrder, size, packedA);
    gather(cg, other, bOrder, size, packedB);
    const bool last = step + 1 == plan->steps.size();
    const bool direct = last && c.result() == plan->output;
    llvm::Value* result = direct ? out : mallocFloats(cg, b.CreateNSWMul(batch, b.CreateNSWMul(m, n)));
    cg.forLoop(cg.i64(0), batch, [&](llvm::Value* i) {
      callGemm(cg, driver,
               {m, n, kk, floatPointer(cg, packedA, b.CreateNSWMul(i, b.CreateNSWMul(m, kk))), kk,
                floatPointer(cg, packedB, b.CreateNSWMul(i, b.CreateNSWMul(kk, n))), n,
                floatPointer(cg, result, b.CreateNSWMul(i, b.CreateNSWMul(m, n))), n},
               gemmWs);
    }, "batch");
    freeMemory(cg, packedA);
    freeMemory(cg, packedB);
    if (current.owned) freeMemory(cg, current.data);
    current = Source{result, c.result(), contiguous(cg, c.result(), size), !direct};
  }
  if (current.owned) {  // permute the last result into the output's label order
    gather(cg, current, plan->output, size, out);
    freeMemory(cg, current.data);
  }
  freeMemory(cg, gemmWs);
  cg.finishKernel();
  return std::make_unique<EinsumLaunch>(node, std::move(ranks));
}

}  // namespace kiln::llvmjit
