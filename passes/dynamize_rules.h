#pragma once
// The evidence rules of dynamize-shapes (docs/dynamize.md). A traced constant is made symbolic
// only when the shape constraints around it prove which symbol it carries:
//   forward  - Reshape: element-count equality between input axes and target entries;
//              Expand: a target entry equal to a symbolic input axis is that axis (becomes 1);
//   demands  - a static size that meets a symbolic one where they must agree (broadcasting,
//              Concat's other axes, MatMul's inner and batch axes) is traced back through the
//              ops that carry it to the constant that holds it (a Reshape/Expand/Tile target,
//              a ConstantOfShape shape, a Range limit, a Slice end, a filled or arange
//              constant), which is rewritten to compute it from the input shapes.
// Anything else stays as it is and is reported with the reason.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "passes/dynamize_builder.h"
#include "passes/rewriter.h"

namespace kiln {

/// What one rule did.
struct DynamizeOutcome {
  enum class Kind { None, Rewritten, Refused };
  Kind kind = Kind::None;
  const Node* node = nullptr;  ///< refused: the node whose constant stays fixed
  std::string reason;          ///< refused: why

  static DynamizeOutcome none() { return {}; }
  static DynamizeOutcome rewritten() { return {Kind::Rewritten, nullptr, ""}; }
  static DynamizeOutcome refused(const Node* n, std::string why) { return {Kind::Refused, n, std::move(why)}; }
  bool isNone() const { return kind == Kind::None; }
};

/// A size that must change: axis `axis` of operand `input` of a node must be `want`.
struct DynamizeDemand {
  size_t input = 0;
  int64_t axis = 0;
  Dim want;
  std::string why;  ///< `broadcast against sequence`, ...
};

/// What the rules share: the graph, the symbols' traced sizes, the current round's inference.
class DynamizeState {
 public:
  DynamizeState(Graph& graph, Rewriter& rw, ShapeBuilder& builder, std::map<std::string, int64_t> traced)
      : graph_(graph), rw_(rw), builder_(builder), traced_(std::move(traced)) {}

  Graph& graph() { return graph_; }
  Rewriter& rewriter() { return rw_; }
  ShapeBuilder& builder() { return builder_; }
  void setSession(const ShapeInferenceSession* s) { session_ = s; }
  /// Records a symbol found on the way (a derived size) with its traced size.
  void addSymbol(const std::string& name, int64_t traced) {
    traced_[name] = traced;
    derived_.insert(name);
  }
  /// Whether `name` is a derived size rather than a declared input axis.
  bool isDerived(const std::string& name) const { return derived_.count(name) > 0; }
  /// Each symbol with its traced size.
  const std::map<std::string, int64_t>& tracedSizes() const { return traced_; }

  /// The size `d` had in the traced run; nullopt when it involves a symbol of unknown size.
  std::optional<int64_t> traced(const Dim& d) const;
  /// Contents of a small integer tensor (tracked by inference, or a Constant).
  std::optional<std::vector<Dim>> contents(const Value* v) const;
  /// Replaces operand `index` of `node` and erases what only the old operand used.
  void replaceOperand(Node* node, size_t index, Value* value);
  /// Replaces every use of `from` and erases its now-dead producers.
  void replaceValue(Value* from, Value* to);
  /// Marks a Reshape whose target a demand decided; the forward rule leaves it alone.
  void pin(const Node& n) { pinned_.insert(n.output(0)->name()); }
  bool isPinned(const Node& n) const { return n.output(0) && pinned_.count(n.output(0)->name()) > 0; }
  /// Erases `node` and its producers once nothing uses them (never the builder's nodes).
  void eraseIfDead(Node* node);

 private:
  Graph& graph_;
  Rewriter& rw_;
  ShapeBuilder& builder_;
  std::map<std::string, int64_t> traced_;
  const ShapeInferenceSession* session_ = nullptr;
  std::set<std::string> pinned_;
  std::set<std::string> derived_;
};

/// A Reshape as dynamize-shapes reads it: input dims and their traced sizes, and what each
/// target entry means now (a 0 resolved to the input dim, the -1 to its traced size).
struct ReshapeView {
  std::vector<Dim> input, current;
  std::vector<int64_t> in, out;
  int minusOne = -1;
};
std::optional<ReshapeView> viewReshape(const DynamizeState& st, const Node& reshape);
/// The input axis whose elements alone make target entry `entry` (a one-to-one group).
std::optional<std::pair<size_t, size_t>> singleInputAxisFor(const ReshapeView& view, size_t entry);
/// Rewrites the Reshape's target to the sizes `dims`: 0 where an input axis is copied in
/// place, one -1 where that is exact, computed sizes otherwise.
DynamizeOutcome rewriteReshapeTarget(DynamizeState& st, Node& reshape, const std::vector<Dim>& dims);

/// A node's label with the path of the bodies it sits in: `%y/then_branch/%r` is node `%r` of
/// the then_branch of the If whose label is `%y` (`/If/then_branch/Reshape` with exported
/// names); just the label at top level.
std::string scopedNodeLabel(const Node& node);

/// The dims of a ranked tensor value; null otherwise.
inline const std::vector<Dim>* dimsOf(const Value* v) {
  if (!v || !v->type().isTensor() || !v->shape().isRanked()) return nullptr;
  return &v->shape().dims();
}
/// Whether `v` is a weight: a Constant, possibly behind Transpose or Identity.
bool isWeight(const Value* v);
/// Whether axis `axis` of `v` is the inner axis of a MatMul/Gemm with a weight (so static).
bool axisFixedByWeight(const Value* v, size_t axis);

/// Forward rules: Reshape (element counts) and Expand (targets against symbolic axes).
DynamizeOutcome dynamizeForward(DynamizeState& st, Node& node);
/// The places where `node` makes a static size meet a symbolic one it must equal.
std::vector<DynamizeDemand> findDemands(const DynamizeState& st, const Node& node);
/// Makes axis `axis` of `value` carry `want`, by rewriting the constant it comes from.
DynamizeOutcome resolveDemand(DynamizeState& st, Value* value, int64_t axis, const Dim& want, int depth = 0);

}  // namespace kiln
