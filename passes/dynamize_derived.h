#pragma once
// Derived sizes for dynamize-shapes: an axis that symbolic inference leaves unknown (a strided
// Conv or a pooling window gives floor((h + 2p - k) / s) + 1, which is no polynomial) but that
// has a static size in the traced run gets a symbol of its own. The symbol is defined as that
// axis of that tensor, so it is read at run time with Shape(tensor) -> Gather, exact whatever
// formula made it; the evidence rules then treat it like an input symbol (a Reshape of
// [batch, 16, h', w'] to [1, 16, 64] proves the 64 is h'*w').

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "passes/rewriter.h"

namespace kiln {

class DynamizeState;

class DerivedSizes {
 public:
  /// Infers the top-level nodes of `graph` in order in `session` (inputs already symbolic),
  /// giving each unknown axis that the traced run knows a derived symbol, registered with
  /// `st` (its traced size) and its builder (where it is read).
  Status infer(Graph& graph, DynamizeState& st, ShapeInferenceSession& session);

 private:
  std::string nameFor(const Value* v, size_t axis);
  std::map<std::string, std::string> names_;  ///< "<value>#<axis>" -> symbol
  std::map<std::string, int> taken_;
};

/// Reorders the nodes of `graph` so that each comes after the producers of its operands and of
/// the outer values its subgraphs read, keeping the current order wherever it is valid (the
/// shape computations dynamize-shapes adds at the top may read a tensor made further down).
void orderTopologically(Graph& graph, Rewriter& rw);

}  // namespace kiln
