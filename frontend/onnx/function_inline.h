#pragma once
// Inlining of model-local functions (ImportOptions::inlineFunctions). Works on IR only.

#include "frontend/onnx/import_context.h"
#include "ir/model.h"

namespace kiln::onnx_frontend {

/// Replaces every call of a model-local function, in the main graph and its subgraphs, by a copy
/// of the function's body: body inputs become the call's inputs, attribute references take the
/// call's attribute (or the function's default from `defaults`, or are dropped), the call's
/// outputs are replaced by the body's. Calls inside bodies are inlined in turn; recursion is an
/// error. The functions are then dropped from the model.
Status inlineFunctions(Model& model, const FunctionDefaults& defaults);

}  // namespace kiln::onnx_frontend
