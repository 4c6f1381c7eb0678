#pragma once
// `--target-runtime onnxruntime`: before the emitter expands kiln's fused ops into standard ops,
// the ones ONNX Runtime has a com.microsoft contrib kernel for are written as that kernel
// (MultiHeadAttention, FusedConv, Gelu/FastGelu/BiasGelu, SkipLayerNormalization). Each mapping
// is taken only where the contrib op computes exactly what the kiln op means; anything else
// stays as it is and is expanded to standard ONNX as for any runtime.

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::onnx_backend {

/// The domain of ONNX Runtime's contrib ops.
inline constexpr const char* kOrtDomain = "com.microsoft";

/// Rewrites the model's top-level graph for ONNX Runtime's contrib ops (see above). Returns
/// how many nodes became contrib ops.
Expected<size_t> lowerToOnnxRuntimeContribOps(Model& model);

}  // namespace kiln::onnx_backend
