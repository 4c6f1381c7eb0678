#pragma once
// The op registry: one entry per op, declared together with its schema, attribute defaults
// and symbolic shape inference. Families register themselves with explicit calls from
// registerBuiltinOps (ir/ops/), never through static initializers.

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "ir/diagnostic.h"
#include "ir/node.h"

namespace kiln {

struct AttrSpec {
  std::string name;
  AttrKind kind;
  bool required = false;
  std::optional<Attribute> defaultValue;
};

class InferenceContext;
class ShapeInferenceSession;
using ShapeInferenceFn = std::function<Status(InferenceContext&)>;

/// Properties passes query instead of matching op names.
enum class OpTrait : uint32_t {
  None = 0,
  Elementwise = 1 << 0,   ///< output[i] depends on input[i] only (with broadcasting)
  Commutative = 1 << 1,   ///< binary op whose two operands may be swapped
  Pure = 1 << 2,          ///< no side effects, no randomness: foldable, CSE-able
  ShapeOnly = 1 << 3,     ///< reads only its input's shape (Shape, Size)
};
constexpr OpTrait operator|(OpTrait a, OpTrait b) {
  return static_cast<OpTrait>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}

struct OpSchema {
  static constexpr int kVariadic = std::numeric_limits<int>::max();

  std::string domain;  ///< "" for ONNX, "kiln" for kiln's fused ops
  std::string name;
  int sinceVersion = 1;  ///< the canonical ONNX version whose form kiln's IR uses
  std::string summary;
  int minInputs = 0, maxInputs = 0;
  int minOutputs = 1, maxOutputs = 1;
  std::vector<AttrSpec> attributes;
  ShapeInferenceFn inferShapes;  ///< may be empty: outputs then stay as they are
  OpTrait traits = OpTrait::None;

  const AttrSpec* findAttr(std::string_view attrName) const;
  bool has(OpTrait t) const { return (static_cast<uint32_t>(traits) & static_cast<uint32_t>(t)) != 0; }
};

class OpRegistry {
 public:
  /// The registry with every built-in op family registered (built once, then read-only).
  static const OpRegistry& builtin();

  /// Adds an entry; a second entry for the same (domain, name) is a kiln bug.
  OpSchema& add(OpSchema schema);
  const OpSchema* lookup(std::string_view domain, std::string_view name) const;
  /// All entries, ordered by (domain, name).
  std::vector<const OpSchema*> all() const;

 private:
  std::map<std::pair<std::string, std::string>, std::unique_ptr<OpSchema>, std::less<>> ops_;
};

/// Registers every op family; each family lives in ir/ops/<family>.cpp.
void registerBuiltinOps(OpRegistry& registry);

/// What a shape-inference function sees: the node, its input types, and constant inputs.
class InferenceContext {
 public:
  /// `session` is the graph-level inference run (ir/shape_inference.h) this node is part of:
  /// it tracks the symbolic contents of shape tensors and infers subgraphs. May be null.
  explicit InferenceContext(Node& node, ShapeInferenceSession* session = nullptr)
      : node_(node), session_(session) {}

  Node& node() const { return node_; }
  ShapeInferenceSession* session() const { return session_; }
  size_t numInputs() const { return node_.numInputs(); }
  bool hasInput(size_t i) const { return node_.input(i) != nullptr; }
  /// Type of input i (an unknown type for an omitted input).
  const Type& inputType(size_t i) const;
  /// The tensor of input i when it is produced by a Constant node; else null.
  const Tensor* constantInput(size_t i) const;
  /// Constant input i read as int64 values (any integer dtype); nullopt when not constant.
  std::optional<std::vector<int64_t>> constantInts(size_t i) const;

  void setOutputType(size_t i, Type t);
  /// An error about this node, to return from the inference function.
  Status error(std::string message) const;

 private:
  Node& node_;
  ShapeInferenceSession* session_ = nullptr;
};

/// Runs the schema's shape inference for one node; nodes without a schema or inference are
/// left unchanged.
Status inferNodeShapes(Node& node);

}  // namespace kiln
