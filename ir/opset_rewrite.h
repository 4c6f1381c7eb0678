#pragma once
// Helpers the two opset converters share (frontend/onnx/opset_upgrade, backends/onnx/
// opset_adapt): reading constant inputs and raw attributes, building Constant nodes and small
// node sequences in front of a node, and rebuilding a node under another op type. Raw
// attribute reads on purpose: a node in an older form must not see the canonical schema's
// defaults (Softmax's default axis was 1 before opset 13 and is -1 since).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ir/model.h"

namespace kiln::opset {

/// Hands out value and node names no other value or node of a model uses.
class NameGen {
 public:
  explicit NameGen(const Model& model);
  /// `base` if still free, else `base_1`, `base_2`, ...; the name is reserved.
  std::string fresh(std::string_view base);

 private:
  std::unordered_set<std::string> used_;
};

// ---- reading ---------------------------------------------------------------------------

/// The tensor of `v` when a default-domain Constant with data produces it; else null.
const Tensor* constantTensor(const Value* v);
/// A constant integer tensor's values; nullopt when `v` is not an integer constant.
std::optional<std::vector<int64_t>> constantInts(const Value* v);
/// A constant numeric tensor's values as doubles; nullopt when `v` is not a numeric constant.
std::optional<std::vector<double>> constantDoubles(const Value* v);
/// The rank of `v` when its type says; nullopt otherwise.
std::optional<int64_t> knownRank(const Value* v);
/// The element type of `v` (from its type, else from a Constant producer); Undefined if unknown.
DType knownDType(const Value* v);
/// Static dims of `v`; nullopt unless every dim is a known integer.
std::optional<std::vector<int64_t>> staticDims(const Value* v);

/// The node's own attribute, ignoring schema defaults.
const Attribute* rawAttr(const Node& n, std::string_view name);
int64_t rawInt(const Node& n, std::string_view name, int64_t fallback);
float rawFloat(const Node& n, std::string_view name, float fallback);
std::string rawString(const Node& n, std::string_view name, std::string_view fallback);
std::optional<std::vector<int64_t>> rawInts(const Node& n, std::string_view name);
std::optional<std::vector<float>> rawFloats(const Node& n, std::string_view name);

/// True when the value feeds no node and no graph output.
inline bool unused(const Value* v) { return !v || !v->hasUses(); }

// ---- building --------------------------------------------------------------------------

/// A 1-D int64 tensor (or a scalar when `scalar`).
Tensor int64Tensor(const std::vector<int64_t>& values, bool scalar = false);
/// A 1-D float32 tensor (or a scalar when `scalar`).
Tensor floatTensor(const std::vector<float>& values, bool scalar = false);
/// A tensor of numeric `dtype` with `dims` holding `values` (converted); nullopt for dtypes
/// that are not float or integer.
std::optional<Tensor> numericTensor(DType dtype, std::vector<int64_t> dims, std::span<const double> values);

/// Creates nodes just before an anchor node, with fresh names derived from the anchor's.
/// Nodes get their registry schema when the registry knows the op.
class Builder {
 public:
  Builder(NameGen& names, Node* anchor);

  Graph& graph() const { return *anchor_->graph(); }
  /// Inserts a Constant holding `t`; its output is named `<anchor>_<hint>`.
  Value* constant(Tensor t, std::string_view hint);
  Value* int64s(const std::vector<int64_t>& values, std::string_view hint) { return constant(int64Tensor(values), hint); }
  /// A default-domain node with `numOutputs` fresh outputs.
  Node* node(std::string opType, std::vector<Value*> inputs, std::string_view hint, size_t numOutputs = 1);
  /// Shorthand for a single-output node: returns its output.
  Value* op(std::string opType, std::vector<Value*> inputs, std::string_view hint) {
    return node(std::move(opType), std::move(inputs), hint)->output(0);
  }
  /// Nodes other than Constants created so far (the emitter adapts them further).
  const std::vector<Node*>& created() const { return created_; }

 private:
  NameGen& names_;
  Node* anchor_;
  std::string base_;
  std::vector<Node*> created_;
};

/// Replaces `old` with a new default-domain node of `opType` reading `inputs`, carrying over
/// name, location, doc string, attributes and schema lookup. The first `numOutputs` outputs
/// keep their names and types and take over every use; outputs past them must be unused.
Node* rebuildNode(Node* old, std::string opType, std::vector<Value*> inputs, size_t numOutputs);

/// Replaces `old` by values computed elsewhere: output i's uses, name and type go to
/// `outputs[i]` (null entries: that output must be unused), then `old` is erased. Keeps graph
/// output names stable when one node becomes several.
void replaceNodeWith(Node* old, const std::vector<Value*>& outputs);

/// Erases the Constant producers of `values` that no longer have uses.
void eraseUnusedConstants(const std::vector<Value*>& values);

}  // namespace kiln::opset
