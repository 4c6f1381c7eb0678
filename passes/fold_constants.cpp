// fold-constants: a Pure node whose inputs are all constants is computed now, with the
// reference interpreter's kernel for it (the same semantics kiln validates against), and
// replaced by Constant nodes holding its results.
//
// Size guards, so a folded Expand or Tile never blows the model up:
//  - per fold: a result may be at most max(max-bytes, max-growth x its inputs' bytes);
//    a 10 MiB weight Transpose folds (same size), a scalar Expanded to 100 MiB does not;
//  - overall: the pass manager's constant budget (PassContext::reserveConstantBytes).
// Both skips are counted (skipped-by-cap, skipped-by-budget). Nodes holding subgraphs
// (If/Loop/Scan) are not folded: their bodies may be large and are folded inside instead.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_set>

#include "backends/reference/interpreter.h"
#include "ir/op_registry.h"
#include "passes/pass_context.h"
#include "passes/pass_utils.h"
#include "passes/passes.h"

namespace kiln {
namespace {

using reference::RuntimeValue;

class FoldConstantsPass final : public Pass {
 public:
  FoldConstantsPass()
      : Pass("fold-constants", "Computes pure nodes whose inputs are all constants and replaces them by constants.") {
    addOption("max-bytes", &maxBytes_, "a folded result may always be this big");
    addOption("max-growth", &maxGrowth_, "or at most this factor of its inputs' bytes");
  }

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    int64_t folded = 0;
    KILN_RETURN_IF_ERROR(forEachGraph(graph, [&](Graph& g) {
      for (Node* n : g.nodes())
        if (tryFold(*n, ctx)) ++folded;
      return Status::ok();
    }));
    if (folded) ctx.stat(name(), "folded", folded);
    return folded > 0;
  }

 private:
  uint64_t capFor(uint64_t inBytes) const {
    return std::max<uint64_t>(static_cast<uint64_t>(maxBytes_), static_cast<uint64_t>(maxGrowth_ * static_cast<double>(inBytes)));
  }

  /// Bytes of the node's results by their inferred types, when every one is static (saturating).
  static std::optional<uint64_t> inferredResultBytes(const Node& n) {
    uint64_t total = 0;
    for (size_t i = 0; i < n.numOutputs(); ++i) {
      const Value* v = n.output(i);
      if (!v) continue;
      if (!v->type().isTensor() || !v->shape().isRanked() || v->dtype() == DType::Undefined ||
          v->dtype() == DType::String)
        return std::nullopt;
      uint64_t bytes = dtypeSize(v->dtype());
      for (const Dim& d : v->shape().dims()) {
        if (!d.isStatic() || d.value() < 0) return std::nullopt;
        const auto size = static_cast<uint64_t>(d.value());
        bytes = size != 0 && bytes > UINT64_MAX / size ? UINT64_MAX : bytes * size;
      }
      total = total > UINT64_MAX - bytes ? UINT64_MAX : total + bytes;
    }
    return total;
  }

  bool foldable(const Node& n, const PassContext& ctx) const {
    if (isOnnxOp(n, "Constant") || n.numInputs() == 0 || n.numOutputs() == 0) return false;
    if (!n.subgraphs().empty()) return false;
    const OpSchema* s = ctx.schemaOf(n);
    if (!s || !s->has(OpTrait::Pure)) return false;
    bool anyInput = false;
    for (const Value* v : n.inputs()) {
      if (!v) continue;
      if (!constantTensor(v)) return false;
      anyInput = true;
    }
    return anyInput;
  }

  bool tryFold(Node& n, PassContext& ctx) {
    if (!foldable(n, ctx)) return false;
    if (!reference::KernelRegistry::builtin().lookup(n.domain(), n.opType())) {
      ctx.stat(name(), "skipped-no-kernel");
      return false;
    }

    std::vector<RuntimeValue> storage;
    storage.reserve(n.numInputs());
    std::vector<const RuntimeValue*> args(n.numInputs(), nullptr);
    uint64_t inBytes = 0;
    for (size_t i = 0; i < n.numInputs(); ++i) {
      if (!n.input(i)) continue;
      const Tensor* t = constantTensor(n.input(i));
      inBytes += t->byteSize();
      storage.emplace_back(*t);  // shares the bytes
      args[i] = &storage.back();
    }
    // Results whose inferred size is over the cap are not even computed: a scalar Expanded to
    // 2^31 elements would take seconds and gigabytes only to be thrown away.
    if (auto bytes = inferredResultBytes(n); bytes && *bytes > capFor(inBytes)) {
      ctx.stat(name(), "skipped-by-cap");
      return false;
    }

    auto results = reference::Interpreter().runNode(n, args);
    if (!results) {
      // The node may sit in a branch that never runs; leave the error to run time.
      Diagnostic d = results.status().diagnostic();
      d.message = "not folded: " + d.message;
      ctx.warn(std::move(d));
      ctx.stat(name(), "skipped-kernel-error");
      return false;
    }
    uint64_t outBytes = 0;
    for (size_t i = 0; i < n.numOutputs(); ++i) {
      if (!n.output(i)) continue;
      const Tensor* t = std::get_if<Tensor>(&(*results)[i]);
      if (!t) return false;  // a sequence: not a Constant
      outBytes += t->byteSize();
    }

    if (outBytes > capFor(inBytes)) {
      ctx.stat(name(), "skipped-by-cap");
      return false;
    }
    // Input constants used only by this node disappear with it.
    std::unordered_set<const Node*> freed;
    uint64_t freedBytes = 0;
    for (const Value* v : n.inputs()) {
      if (!v || freed.count(v->producer())) continue;
      bool onlyHere = !v->isGraphOutput();
      for (const Use& u : v->uses()) onlyHere &= u.user == &n;
      if (onlyHere) {
        freed.insert(v->producer());
        freedBytes += constantTensor(v)->byteSize();
      }
    }
    if (!ctx.reserveConstantBytes(static_cast<int64_t>(outBytes) - static_cast<int64_t>(freedBytes))) {
      ctx.stat(name(), "skipped-by-budget");
      return false;
    }

    Rewriter& rw = ctx.rewriter();
    std::vector<Node*> producers;
    for (Value* v : n.inputs())
      if (v) producers.push_back(v->producer());
    for (size_t i = 0; i < n.numOutputs(); ++i) {
      Value* old = n.output(i);
      if (!old) continue;
      Value* folded = rw.createConstant(*n.graph(), &n, std::get<Tensor>((*results)[i]), old->name() + "_folded");
      folded->producer()->location() = n.location();
      folded->producer()->setName(n.name());
      rw.replaceAllUsesWith(old, folded);
      if (!folded->isGraphOutput()) rw.takeName(folded, old);
    }
    rw.eraseNode(&n);
    std::sort(producers.begin(), producers.end());
    producers.erase(std::unique(producers.begin(), producers.end()), producers.end());
    for (Node* p : producers)
      if (!p->output(0)->hasUses()) rw.eraseNode(p);
    return true;
  }

  int64_t maxBytes_ = 1 << 20;
  double maxGrowth_ = 2.0;
};

}  // namespace

std::unique_ptr<Pass> createFoldConstantsPass() { return std::make_unique<FoldConstantsPass>(); }

}  // namespace kiln
