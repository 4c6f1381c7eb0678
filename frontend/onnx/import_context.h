#pragma once
// State shared by the pieces of one ONNX import. Internal to frontend/onnx: protobuf classes are
// only forward-declared here, so this header stays light and protobuf-free.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "frontend/onnx/importer.h"
#include "ir/attribute.h"
#include "ir/diagnostic.h"
#include "ir/value.h"

namespace onnx {
class AttributeProto;
class FunctionProto;
class GraphProto;
class ModelProto;
class NodeProto;
class TensorProto;
class TypeProto;
}  // namespace onnx

namespace kiln::onnx_frontend {

/// Opset version per domain; the ONNX default domain is always "" (never "ai.onnx").
using OpsetMap = std::map<std::string, int64_t, std::less<>>;

/// "" for both spellings of the ONNX default domain ("" and "ai.onnx").
std::string normalizeDomain(std::string_view domain);
/// A domain as messages name it: `ai.onnx` for the default domain.
std::string displayDomain(std::string_view domain);
/// Domains whose ops ONNX's schema registry knows: the default domain and ai.onnx.ml.
bool isOnnxDomain(std::string_view normalizedDomain);

/// A node as diagnostics name it: its name, or `#index` (its position in the proto) when unnamed.
std::string nodeLabel(const onnx::NodeProto& node, int index);

/// Gives a diagnostic that is not yet about a node the node's name and op.
Status atNode(Status status, const std::string& label, const std::string& op);

/// What the importer needs to know about a model-local function before lifting any call.
struct FunctionSignature {
  int numInputs = 0;
  int numOutputs = 0;
};
using FunctionKey = std::pair<std::string, std::string>;  ///< (normalized domain, name)

/// Default values of function attributes (FunctionProto.attribute_proto), by function.
using FunctionDefaults = std::map<FunctionKey, std::vector<std::pair<std::string, Attribute>>>;

struct ImportContext {
  std::string file;     ///< display name, for node locations
  std::string baseDir;  ///< folder external data is resolved against; empty: refused
  ImportOptions options;
  std::string baseDirReal;     ///< realpath of baseDir, computed on first external tensor
  uint64_t externalBytes = 0;  ///< external data mapped so far (maxModelBytes guard)
  std::map<FunctionKey, FunctionSignature> functions;
  FunctionDefaults functionDefaults;
};

/// Names visible in a graph: its own values, then those of enclosing graphs (implicit capture).
class Scope {
 public:
  explicit Scope(const Scope* parent) : parent_(parent) {}
  void define(const std::string& name, Value* v) { values_[name] = v; }
  /// The value of `name` in this graph only.
  Value* local(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : it->second;
  }
  /// The value of `name` here or in the nearest enclosing graph that defines it.
  Value* lookup(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent_)
      if (Value* v = s->local(name)) return v;
    return nullptr;
  }

 private:
  const Scope* parent_;
  std::unordered_map<std::string, Value*> values_;
};

}  // namespace kiln::onnx_frontend
