// --check-numerics: the reference interpreter as a per-pass oracle. The outputs of the input
// model on fixed inputs are the baseline; after every pass that changed the IR the model runs
// again, and the first pass that moves an output past the tolerance stops the pipeline with
// the numbers users of export tools expect (max abs diff, MSE, cosine similarity).

#include <cmath>
#include <cstdio>
#include <functional>

#include "backends/reference/interpreter.h"
#include "passes/instrumentation.h"

namespace kiln {
namespace {

using reference::RuntimeValue;

/// splitmix64: tiny, seedable, and the same on every platform (std distributions are not).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-52 - 1.0; }

 private:
  uint64_t state_;
};

template <typename T>
void fill(Tensor& t, const std::function<T()>& gen) {
  for (T& x : t.mutableData<T>()) x = gen();
}

Expected<Tensor> makeInput(const Value& v, int64_t symbolicDim, Random& rng) {
  const Type& type = v.type();
  if (!type.isTensor() || !type.shape().isRanked())
    return Status::error("input '" + v.name() + "' has type " + type.str() + "; give a ranked tensor type");
  std::vector<int64_t> dims;
  for (const Dim& d : type.shape().dims()) dims.push_back(d.isStatic() ? d.value() : symbolicDim);
  Tensor t = Tensor::zeros(type.dtype(), dims);
  switch (type.dtype()) {
    case DType::Float32: fill<float>(t, [&] { return static_cast<float>(rng.unit()); }); break;
    case DType::Float64: fill<double>(t, [&] { return rng.unit(); }); break;
    case DType::Int64: fill<int64_t>(t, [&] { return static_cast<int64_t>(rng.next() % 3); }); break;
    case DType::Int32: fill<int32_t>(t, [&] { return static_cast<int32_t>(rng.next() % 3); }); break;
    case DType::Bool: fill<uint8_t>(t, [&] { return static_cast<uint8_t>(rng.next() & 1); }); break;
    case DType::UInt8: fill<uint8_t>(t, [&] { return static_cast<uint8_t>(rng.next() % 256); }); break;
    case DType::Int8: fill<int8_t>(t, [&] { return static_cast<int8_t>(rng.next() % 256); }); break;
    default:
      return Status::error("input '" + v.name() + "' is " + std::string(dtypeName(type.dtype())) +
                           ", which --check-numerics cannot generate; pass inputs explicitly");
  }
  return t;
}

struct Difference {
  double maxAbs = 0, mse = 0, cosine = 1;
  std::string mismatch;  ///< shape or dtype disagreement, NaN placement
};

Difference compare(const Tensor& a, const Tensor& b) {
  Difference d;
  if (a.dtype() != b.dtype() || a.dims() != b.dims()) {
    auto shape = [](const Tensor& t) {
      std::string s = std::string(dtypeName(t.dtype())) + "[";
      for (size_t i = 0; i < t.dims().size(); ++i) s += (i ? "," : "") + std::to_string(t.dims()[i]);
      return s + "]";
    };
    d.mismatch = "was " + shape(a) + ", now " + shape(b);
    return d;
  }
  if (a.dtype() == DType::String) {
    if (a.strings() != b.strings()) d.mismatch = "string contents differ";
    return d;
  }
  double dot = 0, na = 0, nb = 0, sq = 0;
  int64_t n = a.numElements();
  for (int64_t i = 0; i < n; ++i) {
    double x = a.scalarAsDouble(i), y = b.scalarAsDouble(i);
    if (std::isnan(x) || std::isnan(y)) {
      if (std::isnan(x) != std::isnan(y)) d.mismatch = "NaN at element " + std::to_string(i) + " in only one run";
      continue;
    }
    double diff = (std::isinf(x) && x == y) ? 0 : std::fabs(x - y);
    d.maxAbs = std::max(d.maxAbs, diff);
    sq += diff * diff;
    dot += x * y, na += x * x, nb += y * y;
  }
  d.mse = n > 0 ? sq / static_cast<double>(n) : 0;
  d.cosine = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
  return d;
}

class CheckNumerics final : public PassInstrumentation {
 public:
  explicit CheckNumerics(CheckNumericsConfig c) : c_(std::move(c)) {}

  Status beforePipeline(const IrUnit& unit) override {
    const Graph& g = unit.graph;
    inputs_.clear();
    if (!c_.inputs.empty()) {
      if (c_.inputs.size() != g.numInputs())
        return fail("", "given " + std::to_string(c_.inputs.size()) + " inputs for a graph of " +
                            std::to_string(g.numInputs()));
      inputs_.assign(c_.inputs.begin(), c_.inputs.end());
    } else {
      Random rng(c_.seed);
      for (size_t i = 0; i < g.numInputs(); ++i) {
        auto t = makeInput(*g.input(i), c_.symbolicDimValue, rng);
        if (!t) return fail("", t.status().diagnostic().message);
        inputs_.emplace_back(t.take());
      }
    }
    outputNames_.clear();
    for (const Value* v : g.outputs()) outputNames_.push_back(v ? v->name() : "_");
    auto base = reference::Interpreter().run(g, inputs_);
    if (!base) return fail("", "the input model does not run in the reference interpreter: " + base.status().str());
    baseline_ = base.take();
    return Status::ok();
  }

  Status afterPass(const PassRun& run, const IrUnit& unit, bool changed, double) override {
    if (!changed) return Status::ok();
    const std::string& pass = run.pass.name();
    if (unit.graph.numOutputs() != baseline_.size())
      return fail(pass, "the graph now has " + std::to_string(unit.graph.numOutputs()) + " outputs, not " +
                            std::to_string(baseline_.size()));
    auto now = reference::Interpreter().run(unit.graph, inputs_);
    if (!now) return fail(pass, "the model no longer runs in the reference interpreter: " + now.status().str());
    for (size_t i = 0; i < baseline_.size(); ++i) {
      const auto* a = std::get_if<Tensor>(&baseline_[i]);
      const auto* b = std::get_if<Tensor>(&(*now)[i]);
      if (!a || !b) continue;  // sequences: compared only through the tensors derived from them
      Difference d = compare(*a, *b);
      if (!d.mismatch.empty()) return fail(pass, "output '" + outputNames_[i] + "' " + d.mismatch);
      if (d.maxAbs > c_.maxAbsDiff) {
        char buf[256];
        std::snprintf(buf, sizeof buf, "output '%s' moved: max abs diff %.3g, MSE %.3g, cosine %.6f (tolerance %g)",
                      outputNames_[i].c_str(), d.maxAbs, d.mse, d.cosine, c_.maxAbsDiff);
        return fail(pass, buf);
      }
    }
    return Status::ok();
  }

 private:
  static Status fail(const std::string& pass, std::string message) {
    return Status::error("check-numerics: " + (pass.empty() ? "" : "after pass '" + pass + "': ") + message);
  }

  CheckNumericsConfig c_;
  std::vector<RuntimeValue> inputs_;
  std::vector<RuntimeValue> baseline_;
  std::vector<std::string> outputNames_;
};

}  // namespace

std::unique_ptr<PassInstrumentation> createCheckNumericsInstrumentation(CheckNumericsConfig config) {
  return std::make_unique<CheckNumerics>(std::move(config));
}

}  // namespace kiln
