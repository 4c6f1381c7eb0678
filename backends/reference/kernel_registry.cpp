#include "backends/reference/families.h"

namespace kiln::reference {

const KernelRegistry& KernelRegistry::builtin() {
  // Built on first use (thread-safe static init), then only read.
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    registerElementwiseKernels(r);
    registerActivationKernels(r);
    registerReductionKernels(r);
    registerSoftmaxKernels(r);
    registerMatMulKernels(r);
    registerConvKernels(r);
    registerPoolKernels(r);
    registerNormalizationKernels(r);
    registerShapeKernels(r);
    registerGatherScatterKernels(r);
    registerResizeKernels(r);
    registerGenerationKernels(r);
    registerRnnKernels(r);
    registerControlFlowKernels(r);
    registerQuantizeKernels(r);
    registerSequenceKernels(r);
    registerEinsumKernels(r);
    registerFusedKernels(r);
    return r;
  }();
  return registry;
}

void KernelRegistry::add(std::string domain, std::string op, Kernel kernel) {
  KILN_ASSERT(kernel != nullptr);
  auto [it, inserted] = kernels_.emplace(std::make_pair(std::move(domain), std::move(op)), kernel);
  KILN_ASSERT(inserted && "kernel registered twice");
}

Kernel KernelRegistry::lookup(std::string_view domain, std::string_view op) const {
  // "ai.onnx" is the default domain spelled out.
  if (domain == "ai.onnx") domain = "";
  auto it = kernels_.find(std::make_pair(std::string(domain), std::string(op)));
  return it == kernels_.end() ? nullptr : it->second;
}

}  // namespace kiln::reference
