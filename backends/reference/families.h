#pragma once
// One registration function per reference-kernel family, each defined in its own file of
// backends/reference/ and called from KernelRegistry::builtin().

#include "backends/reference/kernel.h"

namespace kiln::reference {

// Numeric families.
void registerElementwiseKernels(KernelRegistry& registry);    ///< elementwise.cpp
void registerActivationKernels(KernelRegistry& registry);     ///< activation.cpp
void registerReductionKernels(KernelRegistry& registry);      ///< reduction.cpp
void registerSoftmaxKernels(KernelRegistry& registry);        ///< softmax.cpp
void registerMatMulKernels(KernelRegistry& registry);         ///< matmul.cpp
void registerConvKernels(KernelRegistry& registry);           ///< conv.cpp
void registerPoolKernels(KernelRegistry& registry);           ///< pool.cpp
void registerNormalizationKernels(KernelRegistry& registry);  ///< normalization.cpp

// Data-movement and control-flow families.
void registerShapeKernels(KernelRegistry& registry);
void registerGatherScatterKernels(KernelRegistry& registry);
void registerResizeKernels(KernelRegistry& registry);
void registerGenerationKernels(KernelRegistry& registry);
void registerRnnKernels(KernelRegistry& registry);
void registerControlFlowKernels(KernelRegistry& registry);
void registerQuantizeKernels(KernelRegistry& registry);
void registerSequenceKernels(KernelRegistry& registry);
void registerEinsumKernels(KernelRegistry& registry);

// kiln-domain fused ops, run through their expansion.
void registerFusedKernels(KernelRegistry& registry);  ///< fused.cpp

}  // namespace kiln::reference
