#pragma once
// Checks ONNX-domain nodes against ONNX's own operator schemas (libonnx) at the opset the model
// declares. Internal to frontend/onnx.

#include <cstdint>
#include <string>

#include "frontend/onnx/import_context.h"

namespace kiln::onnx_frontend {

/// Checks that the op of `node` exists in `domain` (normalized; default or ai.onnx.ml) at
/// `opset`, is not deprecated there, and gets an input and output count its schema allows; with
/// `verifyAttributes`, also runs libonnx's attribute checks (not for function bodies, whose
/// attributes may be references). Errors are about the node (atNode is left to the caller).
/// Ops newer than the installed libonnx are checked against a table of what opsets 18-21 added.
Status checkOnnxNode(const onnx::NodeProto& node, const std::string& domain, int64_t opset, bool verifyAttributes);

/// "Add expects 2 inputs, got 1"; empty when `count` lies in [min, max].
std::string arityMessage(const std::string& op, const char* what, int count, int min, int max);

}  // namespace kiln::onnx_frontend
