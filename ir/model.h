#pragma once
// A whole model: the main graph plus what an ONNX ModelProto carries around it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln {

struct OpsetImport {
  std::string domain;  ///< "" for the ONNX default domain
  int64_t version = 0;
  bool operator==(const OpsetImport&) const = default;
};

/// A model-local function (ONNX FunctionProto), kept as a body graph with untyped inputs.
struct Function {
  std::string name, domain, docString;
  std::vector<std::string> attributes;
  std::vector<OpsetImport> opsets;
  std::unique_ptr<Graph> body;
};

struct Model {
  int64_t irVersion = 8;
  std::string producerName, producerVersion, domain, docString;
  int64_t modelVersion = 0;
  std::vector<OpsetImport> opsets;
  std::vector<std::pair<std::string, std::string>> metadata;  ///< metadata_props, in order
  std::unique_ptr<Graph> graph = std::make_unique<Graph>();
  std::vector<Function> functions;
  std::string sourcePath;  ///< where it was read from; used in diagnostics
  /// Default-domain opset of the source file (the IR itself is in canonical form); emitting
  /// with no explicit target writes this opset again.
  int64_t sourceOpset = 0;

  /// Opset version imported for `domain`, if any.
  std::optional<int64_t> opsetVersion(std::string_view domain) const;
  void setOpsetVersion(std::string_view domain, int64_t version);
};

}  // namespace kiln
