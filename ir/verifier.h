#pragma once
// The IR verifier: structural invariants every pass must keep. It collects every violation
// (not just the first), each naming the node and op, so one run shows the whole damage a
// buggy rewrite did.
//
// Checked: definition before use (a subgraph may use values of enclosing graphs defined before
// its parent node; a use of a value produced later is reported as a cycle), use-list
// consistency in both directions, node/graph/subgraph back-pointers, unique non-empty value
// names across the model scope (subgraphs included), graph outputs set, defined and unique,
// and, for ops with a schema, input/output arity, required attributes, unknown attributes and
// attribute kinds. Ops without a schema (other domains) are checked structurally only.

#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/model.h"
#include "ir/op_registry.h"
#include "ir/printer.h"

namespace kiln {

struct VerifyOptions {
  /// Where op schemas come from; a node whose op is not found there falls back to
  /// node->schema(). Null: node->schema() only.
  const OpRegistry* registry = &OpRegistry::builtin();
  /// File named in every diagnostic (verifyModel defaults it to the model's sourcePath).
  std::string file;
  /// Also report nodes of the default and `kiln` domains that have no schema.
  bool requireSchemas = false;
};

/// Every violation in `graph` and its subgraphs; empty when the graph is well formed.
std::vector<Diagnostic> verifyGraph(const Graph& graph, const VerifyOptions& options = {});
/// verifyGraph on the main graph and every function body, plus model-level checks
/// (opset domains imported once, function names unique).
std::vector<Diagnostic> verifyModel(const Model& model, const VerifyOptions& options = {});
/// Ok when the model's printed form parses back and prints identically.
Status verifyRoundTrip(const Model& model, const PrintOptions& options = {});
/// The diagnostics as one Status: ok when empty, else the first with a count of the rest.
Status diagnosticsToStatus(const std::vector<Diagnostic>& diagnostics);

}  // namespace kiln
