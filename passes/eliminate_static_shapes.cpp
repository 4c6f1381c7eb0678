// eliminate-static-shapes: shape computations whose result the inferred types already know
// become constants, so fold-constants can continue through the Concat/Reshape chains that
// exporters build from them.
//   Shape(x){start,end}        -> Constant when the selected dims of x are static
//   Size(x)                    -> Constant when every dim of x is static
//   Gather(Shape(x), i){axis=0} -> Constant when i is a constant and the dims it picks are static,
//   Slice(Shape(x), ...)        -> likewise, with constant starts/ends/axes/steps:
// the last two matter when only some dims are static: `batch` stays symbolic, but the 768
// next to it is known.

#include <algorithm>

#include "passes/pass_context.h"
#include "passes/pass_utils.h"
#include "passes/passes.h"

namespace kiln {
namespace {

/// The dims a Shape node outputs (its start/end applied), or nullopt when x is unranked.
std::optional<std::vector<Dim>> shapeDims(const Node& shape) {
  const Value* x = shape.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked()) return std::nullopt;
  auto rank = static_cast<int64_t>(x->shape().rank());
  auto clampIndex = [&](int64_t i) {
    if (i < 0) i += rank;
    return std::clamp<int64_t>(i, 0, rank);
  };
  int64_t start = clampIndex(shape.intAttr("start", 0));
  int64_t end = shape.attr("end") ? clampIndex(shape.intAttr("end", rank)) : rank;
  std::vector<Dim> out;
  for (int64_t i = start; i < end; ++i) out.push_back(x->shape()[static_cast<size_t>(i)]);
  return out;
}

/// Static values of `dims`, or nullopt when any is not static.
std::optional<std::vector<int64_t>> staticValues(const std::vector<Dim>& dims) {
  std::vector<int64_t> out;
  for (const Dim& d : dims) {
    if (!d.isStatic()) return std::nullopt;
    out.push_back(d.value());
  }
  return out;
}

/// Elements of a 1-D tensor of n elements that ONNX Slice selects (one axis).
std::vector<int64_t> sliceIndices(int64_t n, int64_t start, int64_t end, int64_t step) {
  std::vector<int64_t> out;
  if (step == 0) return out;
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, n);
    end = std::clamp<int64_t>(end, 0, n);
    for (int64_t i = start; i < end; i += step) out.push_back(i);
  } else {
    start = std::clamp<int64_t>(start, 0, n - 1);
    end = std::clamp<int64_t>(end, -1, n - 1);
    for (int64_t i = start; i > end; i += step) out.push_back(i);
  }
  return out;
}

class EliminateStaticShapesPass final : public Pass {
 public:
  EliminateStaticShapesPass()
      : Pass("eliminate-static-shapes",
             "Replaces Shape/Size (and Gather/Slice of a Shape) whose result the inferred types know by constants.") {}

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    int64_t replaced = 0;
    KILN_RETURN_IF_ERROR(forEachGraph(graph, [&](Graph& g) {
      for (Node* n : g.nodes()) {
        std::optional<Tensor> value = staticResult(*n);
        if (!value) continue;
        if (!ctx.reserveConstantBytes(static_cast<int64_t>(value->byteSize()))) {
          ctx.stat(name(), "skipped-by-budget");
          continue;
        }
        replace(*n, std::move(*value), ctx);
        ++replaced;
      }
      return Status::ok();
    }));
    if (replaced) ctx.stat(name(), "replaced", replaced);
    return replaced > 0;
  }

 private:
  static Tensor i64(std::vector<int64_t> dims, const std::vector<int64_t>& v) {
    return Tensor::fromVector<int64_t>(DType::Int64, std::move(dims), v);
  }

  static std::optional<Tensor> staticResult(const Node& n) {
    if (!n.output(0) || n.numOutputs() != 1) return std::nullopt;
    if (isOnnxOp(n, "Shape")) {
      auto dims = shapeDims(n);
      if (!dims) return std::nullopt;
      auto v = staticValues(*dims);
      if (!v) return std::nullopt;
      return i64({static_cast<int64_t>(v->size())}, *v);
    }
    if (isOnnxOp(n, "Size")) {
      const Value* x = n.input(0);
      if (!x || !x->type().isTensor()) return std::nullopt;
      auto dims = x->shape().staticDims();
      if (!dims) return std::nullopt;
      int64_t count = 1;
      for (int64_t d : *dims) count *= d;
      return i64({}, {count});
    }
    Node* shape = n.input(0) && n.input(0)->producer() && isOnnxOp(*n.input(0)->producer(), "Shape")
                      ? n.input(0)->producer()
                      : nullptr;
    if (!shape) return std::nullopt;
    auto dims = shapeDims(*shape);
    if (!dims) return std::nullopt;
    auto n0 = static_cast<int64_t>(dims->size());
    std::vector<int64_t> picked;
    std::vector<int64_t> outDims;
    if (isOnnxOp(n, "Gather")) {
      if (n.intAttr("axis", 0) != 0 && n.intAttr("axis", 0) != -1) return std::nullopt;
      const Tensor* idx = constantTensor(n.input(1));
      if (!idx || !isInteger(idx->dtype())) return std::nullopt;
      for (int64_t k = 0; k < idx->numElements(); ++k) {
        int64_t i = idx->scalarAsInt(k);
        if (i < 0) i += n0;
        if (i < 0 || i >= n0) return std::nullopt;  // out of range: leave the error to run time
        picked.push_back(i);
      }
      outDims = idx->dims();
    } else if (isOnnxOp(n, "Slice")) {
      auto starts = constantInts(n.input(1)), ends = constantInts(n.input(2));
      if (!starts || !ends || starts->size() != 1 || ends->size() != 1) return std::nullopt;
      int64_t step = 1;
      if (n.input(3)) {
        auto axes = constantInts(n.input(3));
        if (!axes || axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1)) return std::nullopt;
      }
      if (n.input(4)) {
        auto steps = constantInts(n.input(4));
        if (!steps || steps->size() != 1 || (*steps)[0] == 0) return std::nullopt;
        step = (*steps)[0];
      }
      picked = sliceIndices(n0, (*starts)[0], (*ends)[0], step);
      outDims = {static_cast<int64_t>(picked.size())};
    } else {
      return std::nullopt;
    }
    std::vector<int64_t> values;
    for (int64_t i : picked) {
      const Dim& d = (*dims)[static_cast<size_t>(i)];
      if (!d.isStatic()) return std::nullopt;
      values.push_back(d.value());
    }
    return i64(outDims, values);
  }

  void replace(Node& n, Tensor value, PassContext& ctx) {
    Rewriter& rw = ctx.rewriter();
    Value* old = n.output(0);
    Value* c = rw.createConstant(*n.graph(), &n, std::move(value), old->name());
    c->producer()->location() = n.location();
    c->producer()->setName(n.name());
    rw.replaceAllUsesWith(old, c);
    if (!c->isGraphOutput()) rw.takeName(c, old);
    std::vector<Node*> producers;
    for (Value* v : n.inputs())
      if (v && v->producer()) producers.push_back(v->producer());
    rw.eraseNode(&n);
    // A Shape (or index constant) only this node read goes too.
    std::sort(producers.begin(), producers.end());
    producers.erase(std::unique(producers.begin(), producers.end()), producers.end());
    for (Node* p : producers)
      if ((isOnnxOp(*p, "Shape") || isOnnxOp(*p, "Constant")) && !p->output(0)->hasUses()) rw.eraseNode(p);
  }
};

}  // namespace

std::unique_ptr<Pass> createEliminateStaticShapesPass() { return std::make_unique<EliminateStaticShapesPass>(); }

}  // namespace kiln
