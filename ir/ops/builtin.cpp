#include "ir/ops/families.h"

namespace kiln {

void registerBuiltinOps(OpRegistry& registry) {
  registerElementwiseOps(registry);
  registerActivationOps(registry);
  registerReductionOps(registry);
  registerMatMulOps(registry);
  registerConvOps(registry);
  registerPoolOps(registry);
  registerNormalizationOps(registry);
  registerTensorShapeOps(registry);
  registerTensorSliceOps(registry);
  registerGatherScatterOps(registry);
  registerResizeOps(registry);
  registerGenerationOps(registry);
  registerRnnOps(registry);
  registerControlFlowOps(registry);
  registerQuantizeOps(registry);
  registerSequenceOps(registry);
  registerKilnFusedOps(registry);
}

}  // namespace kiln
