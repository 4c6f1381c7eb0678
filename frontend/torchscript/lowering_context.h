#pragma once
// The state of one aten graph -> kiln IR lowering: the map from TorchScript values to IR values,
// a node builder that infers each new node's type at once (converters read dtypes and ranks
// of what they built), and readers for the constant arguments aten nodes carry.

#include <torch/csrc/jit/ir/ir.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "ir/shape_inference.h"

namespace kiln::torchscript {

/// How a value takes part in PyTorch's type promotion: dimensioned tensors decide the dtype,
/// 0-dim tensors only lift its category, Python numbers lift it to their default dtype.
enum class PromotionRole { Tensor, ZeroDim, Number };

class LoweringContext {
 public:
  LoweringContext(Graph& graph, std::string file) : graph_(graph), file_(std::move(file)) {}

  Graph& graph() { return graph_; }
  const std::string& file() const { return file_; }

  /// The aten node being lowered: new IR nodes take its source location.
  void setCurrent(const torch::jit::Node* node, std::string location);

  // ---- building IR ----
  /// Adds `op` with `inputs` (null: omitted optional input) and infers its output types.
  Node* emitNode(const std::string& op, std::vector<Value*> inputs,
                 std::vector<std::pair<std::string, Attribute>> attrs = {}, size_t numOutputs = 1);
  Value* emit(const std::string& op, std::vector<Value*> inputs,
              std::vector<std::pair<std::string, Attribute>> attrs = {}) {
    return emitNode(op, std::move(inputs), std::move(attrs))->output(0);
  }
  Value* constant(Tensor t);
  Value* i64s(const std::vector<int64_t>& values);  ///< 1-D int64 constant
  Value* i64(int64_t value);                        ///< 0-D int64 constant
  /// 0-D constant of `dtype` holding `value`.
  Value* scalar(double value, DType dtype);
  /// `v` cast to `dtype` (v itself when it already has it).
  Value* cast(Value* v, DType dtype);
  /// A 0-D integer as a 1-element 1-D tensor (for Slice bounds, Concat of sizes).
  Value* toVector(Value* v);

  // ---- the value map ----
  void define(const torch::jit::Value* tv, Value* v) { values_[tv] = v; }
  void defineList(const torch::jit::Value* tv, std::vector<Value*> vs) { lists_[tv] = std::move(vs); }
  /// The IR tensor for `tv`; constants and int lists are materialized on first use.
  Expected<Value*> tensor(const torch::jit::Value* tv);
  /// The elements of a Tensor[] value (a prim::ListConstruct or a split's result); None
  /// entries of Tensor?[] are null.
  Expected<std::vector<Value*>> tensorList(const torch::jit::Value* tv);
  /// An int[] value as a 1-D int64 tensor: a constant, or a Concat of its dynamic elements.
  /// `minusOneAsOne` turns constant -1 entries into 1 (expand's "keep this size", which
  /// ONNX Expand spells 1).
  Expected<Value*> intList(const torch::jit::Value* tv, bool minusOneAsOne = false);

  // ---- nested tensors ----
  /// A nested tensor (aten::_nested_tensor_from_mask) is kept padded; its [B, S] padding mask
  /// (true: no element) travels with the IR value.
  void setNestedPadding(const Value* v, Value* padding) { nestedPadding_[v] = padding; }
  /// The padding mask of a nested tensor, or null for an ordinary tensor.
  Value* nestedPadding(const Value* v) const {
    auto it = nestedPadding_.find(v);
    return it == nestedPadding_.end() ? nullptr : it->second;
  }

  // ---- constant arguments ----
  bool isNone(const torch::jit::Value* tv) const;
  std::optional<c10::IValue> constantOf(const torch::jit::Value* tv) const;
  Expected<int64_t> constInt(const torch::jit::Value* tv) const;
  Expected<double> constDouble(const torch::jit::Value* tv) const;
  Expected<bool> constBool(const torch::jit::Value* tv) const;
  Expected<std::vector<int64_t>> constInts(const torch::jit::Value* tv) const;
  Expected<std::string> constString(const torch::jit::Value* tv) const;
  /// A `ScalarType? dtype` argument as a kiln dtype; nullopt for None.
  Expected<std::optional<DType>> constDType(const torch::jit::Value* tv) const;

  // ---- types of what was built ----
  static DType dtypeOf(const Value* v) { return v->dtype(); }
  static std::optional<int64_t> rankOf(const Value* v);
  /// Static size of axis `axis` (negative counts from the end), if known.
  static std::optional<int64_t> staticDim(const Value* v, int64_t axis);
  PromotionRole roleOf(const torch::jit::Value* tv, const Value* v) const;

  /// An error about the current node, naming it and its location.
  Status error(const std::string& message) const;

 private:
  Value* materializeConstant(const torch::jit::Value* tv, const c10::IValue& iv);

  Graph& graph_;
  std::string file_;
  ShapeInferenceSession session_;
  std::unordered_map<const torch::jit::Value*, Value*> values_;
  std::unordered_map<const torch::jit::Value*, std::vector<Value*>> lists_;
  std::unordered_map<const Value*, Value*> nestedPadding_;
  const torch::jit::Node* current_ = nullptr;
  std::string location_;
  size_t nodeCount_ = 0;
};

}  // namespace kiln::torchscript
