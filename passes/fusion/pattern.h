#pragma once
// A small declarative language for DAG rewrite patterns (after tinygrad's rewrite rules and
// MLIR's DRR). A pattern is a tree of `op(...)` nodes over leaves (`capture`, `scalar`); a
// node or leaf named twice must bind the same IR node or value, which makes the tree a DAG.
// Commutative operand orders (ops with the registry's Commutative trait) are tried by the
// matcher, so no pattern lists them; `oneOf` lists genuinely different spellings (Pow vs Mul).
//
//   P x = capture("x");
//   P gelu = op("Mul", {op("Mul", {x, onePlusErf}), scalar(0.5)});
//
// Every check has a description. When the root op matched but a later check failed, the
// matcher reports the deepest failure: which description, at which node (--explain-fusion).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "passes/rewriter.h"

namespace kiln::fusion {

class Match;

/// A described check on a matched node (or a leaf value), with the captures so far.
struct Check {
  std::string description;
  std::function<bool(const Node&, const Match&)> onNode;
  std::function<bool(const Value&, const Match&)> onValue;
};

/// One node of a pattern.
struct PatNode {
  enum class Kind { Op, Capture, OneOf } kind = Kind::Capture;
  std::string domain, opType;            ///< Op
  std::vector<std::shared_ptr<const PatNode>> operands;  ///< Op: inputs in order; OneOf: alternatives
  std::string name;                      ///< capture name (node for Op, value for Capture); may be empty
  std::vector<Check> checks;
  bool trailingOptional = false;         ///< Op: the node may have more (omitted or ignored) inputs
};

/// Handle used to write patterns: cheap to copy, immutable once built.
class P {
 public:
  P(std::shared_ptr<const PatNode> n) : n_(std::move(n)) {}  // NOLINT: patterns read as values
  const PatNode& operator*() const { return *n_; }
  const PatNode* operator->() const { return n_.get(); }
  const std::shared_ptr<const PatNode>& ptr() const { return n_; }

  /// Names the matched node (Op) or value (Capture) for the builder and for reuse in the DAG.
  P as(std::string name) const;
  /// Adds a described check on the matched node.
  P where(std::string description, std::function<bool(const Node&, const Match&)> fn) const;
  /// Adds a described check on the matched value (any pattern kind).
  P whereValue(std::string description, std::function<bool(const Value&, const Match&)> fn) const;
  /// Lets the matched node have inputs beyond the listed ones (a Conv's optional bias).
  P withMoreInputs() const;

 private:
  std::shared_ptr<const PatNode> n_;
};

/// Default-domain op `opType` whose inputs match `operands`, in order (or swapped when the op is
/// commutative).
P op(std::string opType, std::vector<P> operands);
/// An op of the `kiln` domain.
P kilnOp(std::string opType, std::vector<P> operands);
/// Any value, bound to `name` (empty: not bound).
P capture(std::string name = "");
/// A constant scalar (or one-element tensor) within 1e-4 relative of `value`.
P scalar(double value);
/// A constant scalar (one element) of any value, bound to `name`.
P anyScalar(std::string name);
/// A constant of any value, bound to `name`.
P constant(std::string name);
/// The first of `alternatives` that matches.
P oneOf(std::vector<P> alternatives);

/// What a successful match bound.
class Match {
 public:
  Value* value(std::string_view name) const;  ///< null when unbound
  Node* node(std::string_view name) const;    ///< null when unbound
  Node* root() const { return root_; }
  /// Every matched op node, the root first.
  const std::vector<Node*>& nodes() const { return nodes_; }

 private:
  friend class Matcher;
  Node* root_ = nullptr;
  std::vector<std::pair<std::string, Value*>> values_;
  std::vector<std::pair<std::string, Node*>> namedNodes_;
  std::vector<Node*> nodes_;
};

/// Why a match failed past the root: the condition and the node it failed at.
struct NearMiss {
  std::string condition;
  const Node* at = nullptr;
  size_t depth = 0;  ///< op nodes matched before the failure
};

/// A precondition over the whole match; returns the failed condition, or nullopt.
struct Failure {
  std::string condition;
  const Node* at = nullptr;
};
using Precondition = std::function<std::optional<Failure>(const Match&)>;
/// Builds the replacement before the root; returns the value replacing the root's output 0.
using Builder = std::function<Value*(const Match&, Rewriter&)>;

/// One fusion: a pattern with its algebra, preconditions and builder. Higher benefit wins when
/// two patterns match at one root.
struct FusionPattern {
  std::string name;     ///< debug name, kebab-case: the --stats counter
  std::string algebra;  ///< one line: what it rewrites to what
  int benefit = 1;
  std::vector<P> roots;  ///< alternative spellings (associativity), tried in order
  Precondition precondition;  ///< may be empty
  Builder build;
};

/// Matches `pattern` rooted at `root`. On failure past the root, `miss` (when given) receives
/// the deepest failure.
std::optional<Match> matchPattern(const FusionPattern& pattern, Node* root, NearMiss* miss);

/// Every pattern kiln fuses (passes/fusion/patterns_*.cpp), highest benefit first.
const std::vector<FusionPattern>& allPatterns();

// Each family file adds its patterns.
void addActivationPatterns(std::vector<FusionPattern>& out);   ///< patterns_activation.cpp
void addNormalizationPatterns(std::vector<FusionPattern>& out);  ///< patterns_norm.cpp
void addLinearPatterns(std::vector<FusionPattern>& out);       ///< patterns_linear.cpp (Gemm, FusedConv)
void addAttentionPatterns(std::vector<FusionPattern>& out);    ///< patterns_attention.cpp

}  // namespace kiln::fusion

namespace kiln::fusion {

/// Creates `domain.opType(inputs)` with `attrs` just before the match's root, names its output
/// `nameHint` (default: after the root's) and infers its output type.
Node* createBefore(const Match& m, Rewriter& rw, std::string domain, std::string opType, std::vector<Value*> inputs,
                   std::vector<std::pair<std::string, Attribute>> attrs = {}, std::string nameHint = "");
/// A Constant just before the match's root.
Value* constantBefore(const Match& m, Rewriter& rw, Tensor value, std::string_view hint);
/// The value of a scalar (one-element) constant, or nullopt.
std::optional<double> scalarValue(const Value* v);
/// The static dims of a value's type, or nullopt.
std::optional<std::vector<int64_t>> staticDims(const Value* v);
/// The rank of a value's type, or nullopt.
std::optional<size_t> rankOf(const Value* v);

}  // namespace kiln::fusion
