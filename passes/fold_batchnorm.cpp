// fold-batchnorm: an inference BatchNormalization right after a Conv, ConvTranspose, Gemm or
// MatMul with constant weights is folded into those weights and a bias.
//
// BatchNormalization at inference, per channel c:
//     BN(y)[c] = scale[c] * (y[c] - mean[c]) / sqrt(var[c] + eps) + B[c]
//              = a[c] * y[c] + shift[c]
//     with a[c] = scale[c] / sqrt(var[c] + eps),  shift[c] = B[c] - a[c] * mean[c].
// If y = W * x + b is linear in x with output channel c computed by the slice W[c] alone:
//     BN(y)[c] = (a[c] * W[c]) * x + (a[c] * b[c] + shift[c])
// so W'[c] = a[c] * W[c] and b'[c] = a[c] * b[c] + shift[c] (b = 0 when absent).
// Where the output channel lives in W:
//   Conv           W[M, C/g, k...]       channel o is W[o, ...]
//   ConvTranspose  W[C, M/g, k...]       channel o = (ci / (C/g)) * (M/g) + j is W[ci, j, ...]
//   Gemm           Y = alpha * A * op(B) + beta * C; channel n is column n of op(B);
//                  C' = a * beta * C + shift (C broadcast to [N]), and beta becomes 1
//   MatMul         Y[M, N] = X * W[K, N]; channel n is column n; the bias is a new Add
// BatchNormalization's channel axis is 1, so Gemm/MatMul qualify only with a rank-2 output.
//
// It must not fire when y has other users (they need the unnormalized y), when the BN is in
// training mode (batch statistics, not constants), or when anything involved is not a
// constant. Computed in double, stored in the weights' type (f32 or f64).

#include <cmath>
#include <unordered_set>

#include "passes/pass_context.h"
#include "passes/pass_utils.h"
#include "passes/passes.h"

namespace kiln {
namespace {

/// Reads a constant as doubles.
std::vector<double> values(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numElements()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = t.scalarAsDouble(static_cast<int64_t>(i));
  return out;
}

Tensor makeTensor(DType dtype, std::vector<int64_t> dims, const std::vector<double>& v) {
  Tensor t = Tensor::zeros(dtype, std::move(dims));
  if (dtype == DType::Float64) {
    auto out = t.mutableData<double>();
    std::copy(v.begin(), v.end(), out.begin());
  } else {
    auto out = t.mutableData<float>();
    for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i]);
  }
  return t;
}

bool supported(DType d) { return d == DType::Float32 || d == DType::Float64; }

/// A rank-1 float constant of length n, or null.
const Tensor* channelVector(const Value* v, int64_t n, DType dtype) {
  const Tensor* t = constantTensor(v);
  return t && t->dtype() == dtype && t->rank() == 1 && t->dims()[0] == n ? t : nullptr;
}

struct Folding {
  Tensor weight;                 ///< W' (or B' for Gemm)
  std::optional<Tensor> bias;    ///< b' for Conv/ConvTranspose/Gemm (as C), the Add operand for MatMul
};

class FoldBatchNormPass final : public Pass {
 public:
  FoldBatchNormPass()
      : Pass("fold-batchnorm",
             "Folds inference BatchNormalization into a preceding Conv/ConvTranspose/Gemm/MatMul with constant weights.") {}

  Expected<bool> run(Graph& graph, PassContext& ctx) override {
    int64_t folded = 0;
    KILN_RETURN_IF_ERROR(forEachGraph(graph, [&](Graph& g) {
      for (Node* n : g.nodes())
        if (isOnnxOp(*n, "BatchNormalization") && tryFold(*n, ctx)) ++folded;
      return Status::ok();
    }));
    if (folded) ctx.stat(name(), "folded", folded);
    return folded > 0;
  }

 private:
  bool skip(PassContext& ctx, std::string_view why) {
    ctx.stat(name(), std::string("skipped-") + std::string(why));
    return false;
  }

  bool tryFold(Node& bn, PassContext& ctx) {
    if (bn.intAttr("training_mode", 0) != 0) return skip(ctx, "training");
    for (size_t i = 1; i < bn.numOutputs(); ++i)
      if (bn.output(i) && bn.output(i)->hasUses()) return skip(ctx, "training");
    Value* y = bn.input(0);
    Node* producer = y ? y->producer() : nullptr;
    if (!producer || !bn.output(0)) return false;
    std::string_view op = producer->opType();
    bool known = producer->domain().empty() &&
                 (op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "MatMul");
    if (!known) return false;
    if (y->uses().size() != 1 || y->isGraphOutput() || producer->numOutputs() != 1) return skip(ctx, "shared");

    const Tensor* w = constantTensor(producer->input(1));
    if (!w || !supported(w->dtype())) return skip(ctx, "not-constant");
    DType dtype = w->dtype();
    // The channel count is the BN's parameter length; every parameter must be a constant.
    const Tensor* scaleT = constantTensor(bn.input(1));
    if (!scaleT || scaleT->rank() != 1) return skip(ctx, "not-constant");
    int64_t channels = scaleT->dims()[0];
    const Tensor* shiftT = channelVector(bn.input(2), channels, dtype);
    const Tensor* meanT = channelVector(bn.input(3), channels, dtype);
    const Tensor* varT = channelVector(bn.input(4), channels, dtype);
    if (scaleT->dtype() != dtype || !shiftT || !meanT || !varT) return skip(ctx, "not-constant");

    double eps = bn.floatAttr("epsilon", 1e-5f);
    std::vector<double> a = values(*scaleT), shift = values(*shiftT);
    std::vector<double> mean = values(*meanT), var = values(*varT);
    for (size_t c = 0; c < a.size(); ++c) {
      a[c] /= std::sqrt(var[c] + eps);
      shift[c] -= a[c] * mean[c];
    }

    std::optional<Folding> f;
    if (op == "Conv") f = foldConv(*producer, *w, a, shift);
    else if (op == "ConvTranspose") f = foldConvTranspose(*producer, *w, a, shift);
    else if (op == "Gemm") f = foldGemm(*producer, *w, a, shift);
    else f = foldMatMul(*producer, *w, a, shift, bn);
    if (!f) return skip(ctx, "unsupported-form");

    // Size guard: the new weights replace the old ones unless those are shared.
    std::vector<const Value*> consts = {producer->input(1), producer->input(2), bn.input(1), bn.input(2),
                                        bn.input(3), bn.input(4)};
    int64_t delta = static_cast<int64_t>(f->weight.byteSize() + (f->bias ? f->bias->byteSize() : 0));
    std::unordered_set<const Value*> seen;
    for (const Value* v : consts) {
      if (!v || !constantTensor(v) || !seen.insert(v).second || v->isGraphOutput()) continue;
      bool onlyHere = true;
      for (const Use& u : v->uses()) onlyHere &= u.user == producer || u.user == &bn;
      if (onlyHere) delta -= static_cast<int64_t>(constantTensor(v)->byteSize());
    }
    if (!ctx.reserveConstantBytes(delta)) return skip(ctx, "by-budget");

    rewrite(bn, *producer, std::move(*f), ctx);
    return true;
  }

  static std::optional<Folding> foldConv(const Node& conv, const Tensor& w, const std::vector<double>& a,
                                         const std::vector<double>& shift) {
    int64_t m = static_cast<int64_t>(a.size());
    if (w.rank() < 3 || w.dims()[0] != m) return std::nullopt;
    std::vector<double> b(a.size(), 0.0);
    if (conv.input(2)) {
      const Tensor* bt = channelVector(conv.input(2), m, w.dtype());
      if (!bt) return std::nullopt;
      b = values(*bt);
    }
    std::vector<double> wv = values(w);
    size_t per = wv.size() / a.size();
    for (size_t o = 0; o < a.size(); ++o)
      for (size_t k = 0; k < per; ++k) wv[o * per + k] *= a[o];
    for (size_t o = 0; o < a.size(); ++o) b[o] = a[o] * b[o] + shift[o];
    return Folding{makeTensor(w.dtype(), w.dims(), wv), makeTensor(w.dtype(), {m}, b)};
  }

  static std::optional<Folding> foldConvTranspose(const Node& conv, const Tensor& w, const std::vector<double>& a,
                                                  const std::vector<double>& shift) {
    int64_t m = static_cast<int64_t>(a.size());
    int64_t group = conv.intAttr("group", 1);
    if (w.rank() < 3 || group < 1 || w.dims()[1] * group != m || w.dims()[0] % group != 0) return std::nullopt;
    std::vector<double> b(a.size(), 0.0);
    if (conv.input(2)) {
      const Tensor* bt = channelVector(conv.input(2), m, w.dtype());
      if (!bt) return std::nullopt;
      b = values(*bt);
    }
    std::vector<double> wv = values(w);
    int64_t cin = w.dims()[0], outPerGroup = w.dims()[1], inPerGroup = cin / group;
    size_t kernel = wv.size() / static_cast<size_t>(cin * outPerGroup);
    for (int64_t ci = 0; ci < cin; ++ci)
      for (int64_t j = 0; j < outPerGroup; ++j) {
        double s = a[static_cast<size_t>((ci / inPerGroup) * outPerGroup + j)];
        size_t base = static_cast<size_t>(ci * outPerGroup + j) * kernel;
        for (size_t k = 0; k < kernel; ++k) wv[base + k] *= s;
      }
    for (size_t o = 0; o < a.size(); ++o) b[o] = a[o] * b[o] + shift[o];
    return Folding{makeTensor(w.dtype(), w.dims(), wv), makeTensor(w.dtype(), {m}, b)};
  }

  static std::optional<Folding> foldGemm(const Node& gemm, const Tensor& w, const std::vector<double>& a,
                                         const std::vector<double>& shift) {
    size_t n = a.size();
    bool transB = gemm.intAttr("transB", 0) != 0;
    if (w.rank() != 2 || static_cast<size_t>(w.dims()[transB ? 0 : 1]) != n) return std::nullopt;
    std::vector<double> c(n, 0.0);
    if (const Value* cv = gemm.input(2)) {
      const Tensor* ct = constantTensor(cv);
      if (!ct || ct->dtype() != w.dtype()) return std::nullopt;
      // C must not vary along the batch axis: scalar, [1], [N], [1,1] or [1,N].
      std::vector<int64_t> d = ct->dims();
      if (d.size() > 2 || (d.size() == 2 && d[0] != 1)) return std::nullopt;
      int64_t last = d.empty() ? 1 : d.back();
      if (last != 1 && last != static_cast<int64_t>(n)) return std::nullopt;
      std::vector<double> cvals = values(*ct);
      double beta = gemm.floatAttr("beta", 1.0f);
      for (size_t j = 0; j < n; ++j) c[j] = beta * cvals[last == 1 ? 0 : j];
    }
    std::vector<double> wv = values(w);
    size_t rows = static_cast<size_t>(w.dims()[0]), cols = static_cast<size_t>(w.dims()[1]);
    for (size_t r = 0; r < rows; ++r)
      for (size_t k = 0; k < cols; ++k) wv[r * cols + k] *= a[transB ? r : k];
    for (size_t j = 0; j < n; ++j) c[j] = a[j] * c[j] + shift[j];
    return Folding{makeTensor(w.dtype(), w.dims(), wv), makeTensor(w.dtype(), {static_cast<int64_t>(n)}, c)};
  }

  static std::optional<Folding> foldMatMul(const Node& matmul, const Tensor& w, const std::vector<double>& a,
                                           const std::vector<double>& shift, const Node& bn) {
    size_t n = a.size();
    const Value* y = matmul.output(0);
    bool rank2 = y->type().isTensor() && y->shape().isRanked() && y->shape().rank() == 2;
    if (!rank2 || w.rank() != 2 || static_cast<size_t>(w.dims()[1]) != n) return std::nullopt;
    std::vector<double> wv = values(w);
    size_t rows = static_cast<size_t>(w.dims()[0]);
    for (size_t r = 0; r < rows; ++r)
      for (size_t k = 0; k < n; ++k) wv[r * n + k] *= a[k];
    return Folding{makeTensor(w.dtype(), w.dims(), wv), makeTensor(w.dtype(), {static_cast<int64_t>(n)}, shift)};
  }

  void rewrite(Node& bn, Node& producer, Folding f, PassContext& ctx) {
    Rewriter& rw = ctx.rewriter();
    Graph& g = *producer.graph();
    std::vector<Node*> oldConsts;
    for (Value* v : producer.inputs())
      if (v && v->producer()) oldConsts.push_back(v->producer());
    for (Value* v : bn.inputs())
      if (v && v->producer() && v->producer() != &producer) oldConsts.push_back(v->producer());

    std::string wName = producer.input(1)->name() + "_bn";
    rw.setInput(&producer, 1, rw.createConstant(g, &producer, std::move(f.weight), wName));
    Value* result = producer.output(0);
    if (producer.opType() == "MatMul") {
      Value* bias = rw.createConstant(g, &producer, std::move(*f.bias), bn.output(0)->name() + "_shift");
      Node* add = rw.createNode(g, &bn, "", "Add", {producer.output(0), bias}, {bn.output(0)->name()});
      add->output(0)->setType(bn.output(0)->type());
      add->location() = bn.location();
      result = add->output(0);
    } else {
      std::string bName = producer.input(2) ? producer.input(2)->name() + "_bn" : producer.output(0)->name() + "_bias";
      rw.setInput(&producer, 2, rw.createConstant(g, &producer, std::move(*f.bias), bName));
      if (producer.opType() == "Gemm") rw.setAttr(&producer, "beta", Attribute(1.0f));
      if (!bn.name().empty()) producer.location().fusedFrom.push_back(bn.name());
    }
    if (result->type().isUnknown()) result->setType(bn.output(0)->type());
    bool wasOutput = bn.output(0)->isGraphOutput();
    rw.replaceAllUsesWith(bn.output(0), result);
    // The new Add computes what the BN did: it reads best under the BN's name.
    if (result != producer.output(0) && !wasOutput) rw.takeName(result, bn.output(0));
    rw.eraseNode(&bn);

    std::sort(oldConsts.begin(), oldConsts.end());
    oldConsts.erase(std::unique(oldConsts.begin(), oldConsts.end()), oldConsts.end());
    for (Node* c : oldConsts)
      if (isOnnxOp(*c, "Constant") && !c->output(0)->hasUses()) rw.eraseNode(c);
  }
};

}  // namespace

std::unique_ptr<Pass> createFoldBatchNormPass() { return std::make_unique<FoldBatchNormPass>(); }

}  // namespace kiln
