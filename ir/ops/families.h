#pragma once
// One registration function per op family, each defined in its own file of ir/ops/.

#include "ir/op_registry.h"

namespace kiln {

void registerElementwiseOps(OpRegistry& registry);     // elementwise.cpp
void registerActivationOps(OpRegistry& registry);      // activation.cpp
void registerReductionOps(OpRegistry& registry);       // reduction.cpp
void registerMatMulOps(OpRegistry& registry);          // matmul.cpp
void registerConvOps(OpRegistry& registry);            // conv.cpp
void registerPoolOps(OpRegistry& registry);            // pool.cpp
void registerNormalizationOps(OpRegistry& registry);   // normalization.cpp
void registerTensorShapeOps(OpRegistry& registry);     // tensor_shape.cpp
void registerTensorSliceOps(OpRegistry& registry);     // tensor_slice.cpp
void registerGatherScatterOps(OpRegistry& registry);   // gather_scatter.cpp
void registerResizeOps(OpRegistry& registry);          // resize.cpp
void registerGenerationOps(OpRegistry& registry);      // generation.cpp
void registerRnnOps(OpRegistry& registry);             // rnn.cpp
void registerControlFlowOps(OpRegistry& registry);     // control_flow.cpp
void registerQuantizeOps(OpRegistry& registry);        // quantize.cpp
void registerSequenceOps(OpRegistry& registry);        // sequence.cpp
void registerKilnFusedOps(OpRegistry& registry);       // kiln_fused.cpp (domain kiln)

}  // namespace kiln
