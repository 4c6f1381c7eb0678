#pragma once
// Symbolic shape inference: the graph-level driver, and the shared arithmetic the op families'
// inference functions (ir/ops/) are written with: broadcasting, axes, sliding windows, Reshape.
//
// Inference never fails because something is unknown: an unknown input type or rank leaves
// the outputs unknown or partly known (`f32[batch,?]`, `i64[*]`). It fails only on a true
// inconsistency that the model would hit at run time (inner dims that provably differ).

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/graph.h"
#include "ir/op_registry.h"
#include "ir/type.h"

namespace kiln {

// ---- the graph-level driver ---------------------------------------------------------------

struct ShapeInferenceOptions {
  /// Keep what a value's existing type knows where inference knows less (the dims ONNX
  /// value_info recorded for data-dependent shapes). Turn off after changing the graph's
  /// input shapes: every type is then recomputed from the inputs alone and stale dims cannot
  /// survive.
  bool refineExisting = true;
  /// Receives a warning for each recorded type that contradicts the inferred one. The inferred
  /// type wins: a recorded type is an annotation (ONNX Runtime, too, only warns), not a
  /// property of the computation.
  std::vector<Diagnostic>* warnings = nullptr;
};

/// Infers the types of every node output in order, subgraphs included (If: the merge of its
/// branches; Loop/Scan: the body inferred with the loop-carried types). Nodes of unknown ops
/// keep their types. Binds each node's schema from OpRegistry::builtin() when unset.
Status inferShapes(Graph& graph, const ShapeInferenceOptions& options = {});

/// One inference run over a graph and its subgraphs. Besides types it tracks the symbolic
/// contents of small integer tensors (what Shape, Gather, Concat, ... compute), so that the
/// `Shape -> Gather -> Concat -> Reshape` chains exporters emit keep their named dims.
class ShapeInferenceSession {
 public:
  explicit ShapeInferenceSession(ShapeInferenceOptions options = {}) : options_(options) {}

  const ShapeInferenceOptions& options() const { return options_; }
  /// Infers the nodes of `graph` in order; its inputs (and captured values) are typed already.
  Status inferGraph(Graph& graph);
  Status inferNode(Node& node);

  /// The tracked contents of `v` (one Dim per element of a 0-D or 1-D integer tensor).
  const std::vector<Dim>* shapeValue(const Value* v) const;
  void setShapeValue(const Value* v, std::vector<Dim> dims);

 private:
  ShapeInferenceOptions options_;
  std::unordered_map<const Value*, std::vector<Dim>> shapeValues_;
};

// ---- context helpers for inference functions ----------------------------------------------

/// The contents of integer input i as dims: tracked symbolically by the session, or read from
/// a Constant; nullopt when not known.
std::optional<std::vector<Dim>> inputShapeValue(const InferenceContext& ctx, size_t i);
/// Records the symbolic contents of output i (a no-op outside a session).
void setOutputShapeValue(InferenceContext& ctx, size_t i, std::vector<Dim> dims);
/// Infers a subgraph of ctx's node within the same session (a fresh one when there is none).
Status inferSubgraph(InferenceContext& ctx, Graph& graph);
/// Attaches ctx's node and op to an error from a helper below.
Status atNode(const InferenceContext& ctx, Status status);

// ---- types --------------------------------------------------------------------------------

/// The most specific type that both a and b conform to: equal dims stay, others become `?`,
/// different ranks give an unranked shape (If branches, loop-carried values).
Type mergeTypes(const Type& a, const Type& b);
/// A tensor type whose rank is `rank` and every dim unknown.
Type unknownDimsTensor(DType dtype, size_t rank);

// ---- dims and axes ------------------------------------------------------------------------

/// One broadcast dim (numpy rules): 1 yields to the other, a static dim wins over a symbolic
/// or unknown one, different symbols give `?`. nullopt: two static dims that differ, neither 1.
std::optional<Dim> broadcastDim(const Dim& a, const Dim& b);
/// Multidirectional broadcasting of any number of shapes; an unranked shape makes the result
/// unranked. Errors: `cannot broadcast [2,3] with [4]`.
Expected<Shape> broadcastShapes(const std::vector<Shape>& shapes);

/// `axis` in [-rank, rank) mapped to [0, rank); nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);
/// Normalizes every axis; errors: `axis 3 is out of range for rank 2`, `axis 1 repeated`.
Expected<std::vector<int64_t>> normalizeAxes(std::vector<int64_t> axes, int64_t rank);

/// floor(a / d) and ceil(a / d) for d > 0: exact for a static a, and for a symbolic a whose
/// symbolic coefficients d divides (`2*h+1` / 2 floors to `h`); unknown otherwise.
Dim floorDiv(const Dim& a, int64_t d);
Dim ceilDiv(const Dim& a, int64_t d);

/// Output size of one spatial axis of a sliding window (Conv, pooling). `autoPad` is ONNX's
/// NOTSET/SAME_UPPER/SAME_LOWER/VALID; with NOTSET the explicit pads apply. `ceilMode` rounds
/// up, dropping a last window that would start in the end padding (as PyTorch and ONNX do).
Dim windowOutputDim(const Dim& in, int64_t kernel, int64_t stride, int64_t dilation,
                    int64_t padBegin, int64_t padEnd, std::string_view autoPad, bool ceilMode);

/// Output shape of Reshape(input, target): a 0 entry copies the input dim (unless `allowZero`),
/// one -1 entry takes the remaining elements (exact symbolic division where possible).
/// Errors: element counts that provably disagree, several -1 entries.
Expected<Shape> reshapeShape(const Shape& input, const std::vector<Dim>& target, bool allowZero);

}  // namespace kiln
