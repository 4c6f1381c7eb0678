#pragma once
// The down adapters behind adaptToOpset, as data: one table per op family. A DownStep turns
// an op from the form of its version `version` into the form of the previous version in
// ir/op_versions.inc (the inverse of the importer's upgrade step with the same key). An
// Expansion replaces a canonical op that the target opset lacks with ops it has. Private to
// backends/onnx.

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "ir/node.h"
#include "ir/opset_rewrite.h"

namespace kiln::onnx_backend {

/// What an adapter did with one node.
struct Outcome {
  enum class Kind { Kept, Changed, Expanded, Blocked } kind = Kind::Kept;
  int lowestOpset = 0;  ///< Blocked: the lowest opset whose form can express the node
  std::string reason;   ///< Blocked: why this target cannot

  static Outcome kept() { return {}; }
  static Outcome changed() { return {Kind::Changed, 0, {}}; }
  static Outcome expanded() { return {Kind::Expanded, 0, {}}; }
  static Outcome blocked(int lowest, std::string why) { return {Kind::Blocked, lowest, std::move(why)}; }
  bool isBlocked() const { return kind == Kind::Blocked; }
};

/// A node still to adapt: `version` is the form it is in (canonical for new nodes).
struct PendingNode {
  Node* node;
  int version;
  std::string originName, originOp;  ///< the model's node it came from, for messages
};

struct AdaptContext {
  opset::NameGen& names;
  int64_t target = 0;
  /// Nodes adapters created in canonical form; the driver adapts them to the target as well.
  std::deque<PendingNode> pending;
  /// Inputs adapters detached; their Constant producers are erased at the end if unused.
  std::vector<Value*> detached;
  /// Set by the driver while it adapts one model node: who new nodes come from.
  std::string originName, originOp;
};

/// A Builder whose created nodes are queued for adaptation when it goes out of scope.
class PendingBuilder : public opset::Builder {
 public:
  PendingBuilder(AdaptContext& ctx, Node* anchor) : opset::Builder(ctx.names, anchor), ctx_(ctx) {}
  ~PendingBuilder();
  PendingBuilder(const PendingBuilder&) = delete;
  PendingBuilder& operator=(const PendingBuilder&) = delete;

 private:
  AdaptContext& ctx_;
};

/// Rewrites `node`; may replace it (updating `node`) or expand it into new nodes.
using AdaptFn = std::function<Outcome(AdaptContext&, Node*& node)>;

struct DownStep {
  std::string op;
  int version = 0;   ///< the form this step starts from
  std::string rule;  ///< adapter name, for plans and messages
  AdaptFn fn;
};

/// How to express an op at an opset that lacks it.
struct Expansion {
  std::string op;
  std::string rule;
  int minOpset = 1;  ///< the lowest target whose ops express the replacement
  AdaptFn fn;
  /// 0: `fn` takes the canonical form and emits canonical nodes. Otherwise the node is first
  /// walked down to the op's first version, and `fn` turns it into another op in the form of
  /// version `producesVersion` of that op (Resize-10 -> Upsample-9), which is then walked on.
  int producesVersion = 0;
};

/// Every family's steps and expansions.
struct AdaptTables {
  std::vector<DownStep> steps;
  std::vector<Expansion> expansions;
};

// Each family adds its rows (adapt_<family>.cpp).
void addElementwiseAdapters(AdaptTables& t);
void addActivationAdapters(AdaptTables& t);
void addNormalizationAdapters(AdaptTables& t);
void addShapeAdapters(AdaptTables& t);
void addReduceAdapters(AdaptTables& t);
void addNnAdapters(AdaptTables& t);
void addResizeAdapters(AdaptTables& t);

/// All rows, built once.
const AdaptTables& adaptTables();

// ---- helpers shared by the family files ---------------------------------------------------

/// Moves constant int64 input `index` into attribute `name` (absent input: no attribute).
/// Blocked at `version` when the input is computed.
Outcome inputToIntsAttr(AdaptContext& ctx, Node* node, size_t index, std::string_view name, int version);
/// Removes attribute `name` when it holds `defaultValue` (or is absent); blocked at `version`
/// otherwise, because the older form cannot say anything else.
AdaptFn dropAttrIfDefault(std::string name, Attribute defaultValue, int version);
/// Makes the `axis` (int) or `axes` (ints) attribute non-negative, as required before opset 11.
/// The rank is that of input 0, plus the number of axes for Unsqueeze.
AdaptFn normalizeNegativeAxes(std::string name, int version, bool addAxesCount = false);
/// Drops trailing omitted inputs.
void trimTrailingNulls(Node* node);
/// Sets input `index`, padding omitted inputs with null.
void setInputAt(Node* node, size_t index, Value* v);

}  // namespace kiln::onnx_backend
