#pragma once
// ONNX ModelProto -> kiln Model, before any opset upgrade. Internal to frontend/onnx.

#include "frontend/onnx/import_context.h"
#include "ir/model.h"

namespace kiln::onnx_frontend {

/// Lifts every part of a parsed model: header fields, opset imports, metadata_props, model-local
/// functions (their signatures first, so calls anywhere are recognized) and the main graph.
/// Consumes `proto`: weights are moved out of it. Fills ctx.functions and ctx.functionDefaults.
Expected<Model> liftModel(onnx::ModelProto& proto, ImportContext& ctx);

}  // namespace kiln::onnx_frontend
