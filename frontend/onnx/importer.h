#pragma once
// ONNX -> kiln IR. Reads a ModelProto (file or bytes), resolves external data safely, lifts
// every node into IR and upgrades it to kiln's canonical op form. No protobuf type leaks out.

#include <string>
#include <string_view>

#include "ir/diagnostic.h"
#include "ir/limits.h"
#include "ir/model.h"

namespace kiln::onnx_frontend {

struct ImportOptions {
  bool inlineFunctions = false;  ///< inline model-local functions at their call sites
  /// Hostile-input guards: tensor and model bytes, subgraph depth, node count, string lengths.
  Limits limits;
  /// Check default-domain and ai.onnx.ml nodes against ONNX's operator schemas at the model's
  /// opset (unknown op, deprecated op, input/output count, attributes).
  bool checkSchemas = true;
  /// Rewrite nodes into kiln's canonical op forms (upgradeToCanonical) and attach kiln's op
  /// schemas. Off keeps nodes as the file wrote them, at its opset, with no schema attached
  /// (kiln's schemas describe canonical forms only): for inspection and importer tests.
  bool upgradeOps = true;
};

/// Imports the model at `path`; external data is resolved relative to its folder.
Expected<Model> importModelFile(const std::string& path, const ImportOptions& options = {});
/// Imports serialized ModelProto bytes; `displayName` names it in diagnostics and
/// `baseDir` anchors external data (empty: external data refused).
Expected<Model> importModelBytes(std::string_view bytes, const std::string& displayName,
                                 const std::string& baseDir, const ImportOptions& options = {});

}  // namespace kiln::onnx_frontend
