// dynamize-shapes: makes chosen input axes symbolic and rewrites the constants that encode
// their traced sizes so that the model runs at any size (docs/dynamize.md).
//
// Rounds: infer shapes with the symbolic inputs (types recomputed from the inputs alone), scan
// the nodes in order for the first rule that proves a constant follows a symbol
// (dynamize_rules.h), rewrite it, and start over; stop when a round finds nothing. Constants
// the rules cannot prove are left as they are and reported (an error with `strict`).

#include <functional>
#include <map>
#include <optional>
#include <set>

#include "passes/dynamize_derived.h"
#include "passes/dynamize_rules.h"
#include "passes/dynamize_spec.h"
#include "passes/pass_context.h"
#include "passes/pass_utils.h"
#include "passes/passes.h"

namespace kiln {
namespace {

struct Refusal {
  std::string node, op, message;
};

std::string typesSnapshot(const Graph& g) {
  std::string out;
  for (size_t i = 0; i < g.numInputs(); ++i) out += g.input(i)->type().str() + ";";
  g.walk([&](Node* n) {
    for (size_t i = 0; i < n->numOutputs(); ++i)
      if (n->output(i)) out += n->output(i)->type().str() + ";";
  });
  return out;
}

class DynamizeShapesPass final : public Pass {
 public:
  DynamizeShapesPass()
      : Pass("dynamize-shapes",
             "Makes chosen input axes symbolic and computes the traced sizes baked into constants from the input shapes.") {
    addOption("dims", &dims_, "axes to make symbolic: NAME:AXIS=SYMBOL[@TRACED] separated by ';'");
    addOption("batch", &batch_, "axis 0 of every input becomes `batch`");
    addOption("strict", &strict_, "a constant not proven to follow a symbol is an error, not a report");
  }

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    auto axes = parseDynamicAxes(dims_);
    if (!axes) return axes.takeStatus();
    if (batch_) addBatchAxes(graph, *axes);
    if (axes->empty()) return false;
    uint64_t changesBefore = ctx.rewriter().changes();
    std::string typesBefore = typesSnapshot(graph);

    std::map<std::string, int64_t> traced;
    std::map<std::string, SymbolSource> sources;
    KILN_RETURN_IF_ERROR(applyAxes(graph, *axes, ctx.rewriter(), traced, sources));
    ShapeBuilder builder(graph, ctx.rewriter(), sources);
    DynamizeState st(graph, ctx.rewriter(), builder, traced);
    DerivedSizes derived;

    // Refusals are those of the last round, the one that rewrote nothing: an earlier round's
    // may have been settled since by evidence found later in the graph.
    std::vector<Refusal> refusals;
    int64_t rewrites = 0;
    const size_t maxRounds = 4 * graph.nodes().size() + 16;
    bool converged = false;
    for (size_t round = 0; round < maxRounds; ++round) {
      orderTopologically(graph, ctx.rewriter());  // computed sizes may read a tensor made further down
      ShapeInferenceSession session(ShapeInferenceOptions{.refineExisting = false});
      if (Status s = derived.infer(graph, st, session); !s) {
        s.diagnostic().message = "after making " + formatDynamicAxes(*axes) + " symbolic: " + s.diagnostic().message;
        return s;
      }
      std::vector<Refusal> unproven;  // loop-carried shapes assumed but not (yet) proven
      if (Status s = assumeInvariantCarries(st, session, graph, unproven); !s) return s;
      st.setSession(&session);
      refusals.clear();
      std::set<std::string> reported, settled;
      DynamizeOutcome o = scan(st, graph, settled, [&](const Node* at, const Node& origin, const std::string& why) {
        const Node& shown = at ? *at : origin;
        std::string message = "kept the traced size: " + why;
        std::string label = scopedNodeLabel(shown);
        if (reported.insert(label + "|" + message).second) refusals.push_back({label, shown.qualifiedOp(), message});
      });
      st.setSession(nullptr);
      if (o.kind != DynamizeOutcome::Kind::Rewritten) {
        refusals.insert(refusals.end(), unproven.begin(), unproven.end());
        converged = true;
        break;
      }
      ++rewrites;
    }
    if (!converged) ctx.warn(Diagnostic{.message = "dynamize-shapes: stopped after " + std::to_string(maxRounds) + " rounds"});
    if (rewrites) ctx.stat(name(), "rewritten", rewrites);
    if (!refusals.empty()) ctx.stat(name(), "refused", static_cast<int64_t>(refusals.size()));
    if (strict_ && !refusals.empty()) {
      const Refusal& r = refusals.front();
      return Status::nodeError(r.node, r.op, "--strict-dynamic: " + r.message +
                                                 (refusals.size() > 1 ? " (and " + std::to_string(refusals.size() - 1) +
                                                                            " more)" : ""));
    }
    for (const Refusal& r : refusals)
      ctx.warn(Diagnostic{.node = r.node, .op = r.op, .message = "dynamize-shapes: " + r.message});
    if (ctx.rewriter().changes() == changesBefore && typesSnapshot(graph) != typesBefore) ctx.rewriter().noteChange();
    return ctx.rewriter().changes() != changesBefore;
  }

 private:
  using Report = std::function<void(const Node* at, const Node& origin, const std::string& why)>;

  /// Finds and applies the first rule that fires; refusals are reported once and not retried.
  /// Subgraph bodies (If branches, Loop/Scan bodies) are scanned after their node, with the
  /// types inference gave them from the outer scope's symbolic shapes.
  static DynamizeOutcome scan(DynamizeState& st, Graph& graph, std::set<std::string>& settled, const Report& report) {
    for (Node* n : graph.nodes()) {
      std::string key = scopedNodeLabel(*n);
      if (!settled.count(key + "|forward")) {
        DynamizeOutcome o = dynamizeForward(st, *n);
        if (o.kind == DynamizeOutcome::Kind::Rewritten) return o;
        if (o.kind == DynamizeOutcome::Kind::Refused) {
          report(o.node, *n, o.reason);
          settled.insert(key + "|forward");
        }
      }
      if (auto suspect = suspectTripCount(st, *n)) report(n, *n, *suspect);
      for (const DynamizeDemand& d : findDemands(st, *n)) {
        std::string demandKey = key + "|" + std::to_string(d.input) + ":" + std::to_string(d.axis);
        if (settled.count(demandKey)) continue;
        DynamizeOutcome o = resolveDemand(st, n->input(d.input), d.axis, d.want);
        if (o.kind == DynamizeOutcome::Kind::Rewritten) return o;
        settled.insert(demandKey);
        if (o.kind == DynamizeOutcome::Kind::Refused)
          report(o.node, *n, o.reason + "; needed by node '" + scopedNodeLabel(*n) + "' (" + n->qualifiedOp() + "): axis " +
                                 std::to_string(d.axis) + " of '" + n->input(d.input)->name() + "' must be " +
                                 d.want.str() + " (" + d.why + ")");
      }
      for (Graph* body : n->subgraphs()) {
        DynamizeOutcome o = scan(st, *body, settled, report);
        if (o.kind == DynamizeOutcome::Kind::Rewritten) return o;
      }
    }
    return DynamizeOutcome::none();
  }

  /// Loop bodies are inferred again with each loop-carried value typed as the Loop's initial
  /// operand (the shape a carried value keeps through the iterations when the body preserves
  /// it), where the body does preserve it at the traced size: standard inference merges the
  /// symbolic initial type with the traced body output into `?`, which would hide every
  /// symbol inside. Once the body is rewritten, the body output has the input's symbolic type,
  /// which proves the assumption by induction; where it does not hold at the traced size the
  /// standard types stay.
  static Status assumeInvariantCarries(const DynamizeState& st, ShapeInferenceSession& session, Graph& graph,
                                       std::vector<Refusal>& unproven) {
    for (Node* n : graph.nodes()) {
      const Attribute* attr = isOnnxOp(*n, "Loop") ? n->attr("body") : nullptr;
      if (attr && attr->kind() == AttrKind::Graph && n->numInputs() >= 2 &&
          attr->g().numInputs() == n->numInputs() && attr->g().numOutputs() + 1 >= n->numInputs()) {
        Graph& body = attr->g();
        std::vector<Type> merged;
        bool differs = false;
        for (size_t i = 2; i < n->numInputs(); ++i) {
          merged.push_back(body.input(i)->type());
          const Value* init = n->input(i);
          if (!init || !dimsOf(init)) continue;
          differs = differs || !(init->type() == body.input(i)->type());
          body.input(i)->setType(init->type());
        }
        if (differs) {
          bool holds = static_cast<bool>(session.inferGraph(body));
          for (size_t i = 2; holds && i < n->numInputs(); ++i) holds = sameTracedShape(st, body.input(i), body.output(i - 1));
          if (!holds) {
            for (size_t i = 2; i < n->numInputs(); ++i) body.input(i)->setType(merged[i - 2]);
            KILN_RETURN_IF_ERROR(session.inferNode(*n));
          }
          for (size_t i = 2; holds && i < n->numInputs(); ++i)
            if (!(body.input(i)->type() == body.output(i - 1)->type()))
              unproven.push_back({scopedNodeLabel(*n), n->qualifiedOp(),
                                  "kept the traced size: loop-carried value '" + body.input(i)->name() + "' is " +
                                      body.input(i)->type().str() + " on entry but the body yields " +
                                      body.output(i - 1)->type().str() + ", which only agree at the traced size"});
        }
      }
      for (Graph* b : n->subgraphs()) KILN_RETURN_IF_ERROR(assumeInvariantCarries(st, session, *b, unproven));
    }
    return Status::ok();
  }

  static bool sameTracedShape(const DynamizeState& st, const Value* a, const Value* b) {
    if (!a || !b || a->dtype() != b->dtype()) return false;
    if (!a->type().isTensor()) return a->type() == b->type();
    const auto* x = dimsOf(a);
    const auto* y = dimsOf(b);
    if (!x || !y || x->size() != y->size()) return false;
    for (size_t k = 0; k < x->size(); ++k) {
      auto tx = st.traced((*x)[k]);
      if (!tx || tx != st.traced((*y)[k])) return false;
    }
    return true;
  }

  /// A Loop whose constant trip count equals a symbol's traced size: `for _ in
  /// range(x.size(0))` folded by the exporter. No shape constraint links a count to a size, so
  /// it is not rewritten, but it is reported: the loop runs the traced number of times.
  static std::optional<std::string> suspectTripCount(const DynamizeState& st, const Node& n) {
    if (!isOnnxOp(n, "Loop")) return std::nullopt;
    auto count = constantInts(n.input(0));
    if (!count || count->size() != 1 || (*count)[0] <= 1) return std::nullopt;
    for (const auto& [symbol, size] : st.tracedSizes())
      if (size == (*count)[0] && !st.isDerived(symbol))
        return "the trip count " + std::to_string(size) + " equals the traced size of " + symbol +
               ", but no shape constraint ties a count to a size, so the loop still runs " + std::to_string(size) +
               " times";
    return std::nullopt;
  }

  void addBatchAxes(const Graph& graph, std::vector<DynamicAxis>& axes) const {
    for (size_t i = 0; i < graph.numInputs(); ++i) {
      const Value* in = graph.input(i);
      bool hasDefault = false;
      for (const auto& [v, t] : graph.inputDefaults()) hasDefault = hasDefault || v == in;
      if (hasDefault || !in->type().isTensor() || !in->shape().isRanked() || in->shape().rank() == 0) continue;
      bool listed = false;
      for (const auto& a : axes) listed = listed || (a.input == in->name() && (a.axis == 0 || a.axis == -static_cast<int64_t>(in->shape().rank())));
      if (!listed) axes.push_back({in->name(), 0, "batch", std::nullopt});
    }
  }

  Status applyAxes(Graph& graph, const std::vector<DynamicAxis>& axes, Rewriter& rw,
                          std::map<std::string, int64_t>& traced, std::map<std::string, SymbolSource>& sources) {
    for (const DynamicAxis& a : axes) {
      Value* in = nullptr;
      std::string names;
      for (size_t i = 0; i < graph.numInputs(); ++i) {
        if (graph.input(i)->name() == a.input) in = graph.input(i);
        names += (i ? ", " : "") + graph.input(i)->name();
      }
      std::string at = "--dynamic " + a.str() + ": ";
      if (!in) return Status::error(at + "the graph has no input '" + a.input + "' (inputs: " + names + ")");
      if (!in->type().isTensor() || !in->shape().isRanked())
        return Status::error(at + "input '" + a.input + "' has no known rank");
      auto rank = static_cast<int64_t>(in->shape().rank());
      auto axis = normalizeAxis(a.axis, rank);
      if (!axis) return Status::error(at + "axis " + std::to_string(a.axis) + " is out of range for rank " + std::to_string(rank));
      const Dim& d = in->shape()[static_cast<size_t>(*axis)];
      std::optional<int64_t> size = d.isStatic() ? std::optional(d.value()) : a.traced;
      if (d.isStatic() && a.traced && *a.traced != d.value())
        return Status::error(at + "the input's axis is " + d.str() + ", not " + std::to_string(*a.traced));
      if (!size)
        return Status::error(at + "axis " + std::to_string(*axis) + " of '" + a.input + "' is already symbolic (" + d.str() +
                             ") and its traced size is unknown; give it as " + a.input + ":" + std::to_string(*axis) + "=" +
                             a.symbol + "@SIZE");
      if (auto it = traced.find(a.symbol); it != traced.end() && it->second != *size)
        return Status::error(at + "symbol '" + a.symbol + "' was traced at " + std::to_string(it->second) + " elsewhere, here at " +
                             std::to_string(*size) +
                             (batch_ ? " (--dynamic-batch takes axis 0 of every input; name the inputs with --dynamic)" : ""));
      traced[a.symbol] = *size;
      sources.emplace(a.symbol, SymbolSource{in, *axis});
      std::vector<Dim> dims = in->shape().dims();
      dims[static_cast<size_t>(*axis)] = Dim::symbol(a.symbol);
      rw.setType(in, Type::tensor(in->dtype(), Shape(std::move(dims))));
    }
    return Status::ok();
  }

  std::string dims_;
  bool batch_ = false;
  bool strict_ = false;
};

}  // namespace

std::unique_ptr<Pass> createDynamizeShapesPass() { return std::make_unique<DynamizeShapesPass>(); }

}  // namespace kiln
