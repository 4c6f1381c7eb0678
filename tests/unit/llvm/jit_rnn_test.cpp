// LSTM, GRU, RNN and Einsum on generated kernels against the reference kernels (themselves
// verified against ONNX Runtime by the op cases): every direction, both layouts, each optional
// input present and absent, sequence_lens shorter than the sequence, batch 1 and 3, hidden
// sizes off the vector width, the activations attribute, clip, and two threads.

#include <gtest/gtest.h>

#include <random>

#include "backends/llvm/launches.h"
#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "ir/op_registry.h"
#include "tests/reference/case_compare.h"

namespace kiln::llvmjit {
namespace {

Tensor randomFloats(const std::vector<int64_t>& dims, uint32_t seed, float scale = 1.0f) {
  Tensor t = Tensor::zeros(DType::Float32, dims);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> real(-scale, scale);
  for (float& v : t.mutableData<float>()) v = real(rng);
  return t;
}

/// A model of independent nodes (one JIT compile serves many cases: the GEMM driver is
/// compiled once per module). Null entries of `inputs` are omitted operands; `outputs` names
/// the results ("" omits one).
struct NodesModel {
  Model model;
  std::vector<Tensor> feeds;

  std::vector<std::string> outputLabels;  ///< per graph output: which case it belongs to

  Node* add(const std::string& op, const std::vector<const Tensor*>& inputs, const std::vector<std::string>& outputs,
            const std::string& label = "") {
    Graph& g = *model.graph;
    const std::string prefix = op + std::to_string(nodes_++) + "_";
    std::vector<Value*> operands;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i]) {
        operands.push_back(nullptr);
        continue;
      }
      const std::vector<int64_t>& d = inputs[i]->dims();
      operands.push_back(g.addInput(prefix + "in" + std::to_string(i), Type::tensor(inputs[i]->dtype(), Shape({d.begin(), d.end()}))));
      feeds.push_back(*inputs[i]);
    }
    while (!operands.empty() && !operands.back()) operands.pop_back();
    Node* node = g.createNode("", op, operands);
    node->setName(prefix + "node");
    node->setSchema(OpRegistry::builtin().lookup("", op));
    for (const std::string& name : outputs) {
      Value* v = node->addOutput(name.empty() ? name : prefix + name);
      if (!v) continue;
      g.addOutput(v);
      outputLabels.push_back(label + " " + name);
    }
    return node;
  }
  size_t nodes() const { return nodes_; }

 private:
  size_t nodes_ = 0;
};

/// Runs on the JIT and the reference; compares every output; returns the generated kernels.
size_t expectSame(const NodesModel& m, int threads) {
  auto jit = JitRuntime::compile(m.model, {.threads = threads});
  EXPECT_TRUE(jit) << (jit ? "" : jit.status().str());
  if (!jit) return 0;
  auto want = reference::runModel(m.model, m.feeds);
  EXPECT_TRUE(want) << (want ? "" : want.status().str());
  if (!want) return 0;
  for (int run = 0; run < 2; ++run) {  // the second run reuses the recorded plan and its arena
    auto got = (*jit)->run(m.feeds);
    EXPECT_TRUE(got) << (got ? "" : got.status().str());
    if (!got) return 0;
    for (size_t i = 0; i < want->size(); ++i)
      EXPECT_EQ(testing::compareTensors((*got)[i], (*want)[i], 1e-5), "") << m.outputLabels[i] << " run " << run;
  }
  for (const auto& f : (*jit)->stats().fallbacks) ADD_FAILURE() << "fallback: " << f.node << ": " << f.reason;
  return (*jit)->stats().generatedKernels;
}

struct RecurrentCase {
  std::string op, direction;
  int64_t layout, batch, hidden;
  bool bias, lens, initialH, initialC, peepholes;
  int64_t linearBeforeReset = 0;
};

std::string describe(const RecurrentCase& c) {
  return c.op + " " + c.direction + " layout=" + std::to_string(c.layout) + " batch=" + std::to_string(c.batch) +
         " hidden=" + std::to_string(c.hidden) + (c.bias ? " B" : "") + (c.lens ? " lens" : "") +
         (c.initialH ? " h0" : "") + (c.initialC ? " c0" : "") + (c.peepholes ? " P" : "") +
         " lbr=" + std::to_string(c.linearBeforeReset);
}

void addRecurrent(NodesModel& m, const RecurrentCase& c, std::vector<std::string> outputs,
                  const std::function<void(Node&)>& attrs = {}) {
  const int64_t seq = 5, inputSize = 6, dirs = c.direction == "bidirectional" ? 2 : 1;
  const int64_t gates = c.op == "LSTM" ? 4 : c.op == "GRU" ? 3 : 1;
  const bool lstm = c.op == "LSTM";
  Tensor x = randomFloats(c.layout ? std::vector<int64_t>{c.batch, seq, inputSize} : std::vector<int64_t>{seq, c.batch, inputSize}, 1);
  Tensor w = randomFloats({dirs, gates * c.hidden, inputSize}, 2, 0.6f);
  Tensor r = randomFloats({dirs, gates * c.hidden, c.hidden}, 3, 0.6f);
  Tensor b = randomFloats({dirs, 2 * gates * c.hidden}, 4, 0.5f);
  Tensor lens = Tensor::zeros(DType::Int32, {c.batch});
  for (int64_t i = 0; i < c.batch; ++i) lens.mutableData<int32_t>()[i] = static_cast<int32_t>(seq - (i * 2) % seq);
  const std::vector<int64_t> stateDims =
      c.layout ? std::vector<int64_t>{c.batch, dirs, c.hidden} : std::vector<int64_t>{dirs, c.batch, c.hidden};
  Tensor h0 = randomFloats(stateDims, 5), c0 = randomFloats(stateDims, 6), p = randomFloats({dirs, 3 * c.hidden}, 7);
  std::vector<const Tensor*> inputs = {&x, &w, &r, c.bias ? &b : nullptr, c.lens ? &lens : nullptr,
                                       c.initialH ? &h0 : nullptr};
  if (lstm) inputs.insert(inputs.end(), {c.initialC ? &c0 : nullptr, c.peepholes ? &p : nullptr});
  if (!lstm && outputs.size() > 2) outputs.resize(2);
  Node* node = m.add(c.op, inputs, outputs, describe(c));
  node->setAttr("hidden_size", Attribute(c.hidden));
  node->setAttr("direction", Attribute(c.direction));
  node->setAttr("layout", Attribute(c.layout));
  if (c.op == "GRU") node->setAttr("linear_before_reset", Attribute(c.linearBeforeReset));
  if (attrs) attrs(*node);
}

TEST(JitRecurrent, EveryDirectionLayoutAndOptionalInput) {
  int variant = 0;
  for (const char* op : {"LSTM", "GRU", "RNN"}) {
    NodesModel single, pool;  // run on one thread and on two
    for (const char* direction : {"forward", "reverse", "bidirectional"}) {
      for (int64_t layout : {0, 1}) {
        for (int options = 0; options < 2; ++options, ++variant) {
          const bool all = options == 0;
          RecurrentCase c{op, direction, layout, variant % 2 ? 3 : 1, variant % 3 == 0 ? 5 : 9,
                          all, all, all || variant % 4 == 1, all, all};
          c.linearBeforeReset = variant % 2;
          if (!all && variant % 5 == 0) c.lens = true;  // lengths without the other inputs
          addRecurrent(variant % 3 == 2 ? pool : single, c, {"y", "y_h", "y_c"});
        }
      }
    }
    SCOPED_TRACE(op);
    EXPECT_EQ(expectSame(single, 1), single.nodes());
    EXPECT_EQ(expectSame(pool, 2), pool.nodes());
  }
}

TEST(JitRecurrent, OmittedOutputsActivationsAndClip) {
  NodesModel m;
  for (const char* op : {"LSTM", "GRU"}) {
    RecurrentCase c{op, "bidirectional", 0, 3, 7, true, true, true, true, false};
    addRecurrent(m, c, {"y"});
    addRecurrent(m, c, {"", "y_h", "y_c"});
  }
  auto strings = [](std::vector<std::string> v) { return Attribute(std::move(v)); };
  RecurrentCase rnn{"RNN", "bidirectional", 0, 3, 7, true, false, true, false, false};
  addRecurrent(m, rnn, {"y", "y_h"}, [&](Node& n) { n.setAttr("activations", strings({"Relu", "Sigmoid"})); });
  RecurrentCase lstm{"LSTM", "forward", 1, 3, 9, true, true, true, true, true};
  addRecurrent(m, lstm, {"y", "y_h", "y_c"}, [&](Node& n) {
    n.setAttr("activations", strings({"HardSigmoid", "Relu", "Tanh"}));
    n.setAttr("clip", Attribute(0.75f));
  });
  RecurrentCase gru{"GRU", "reverse", 0, 1, 5, true, false, false, false, false};
  addRecurrent(m, gru, {"y", "y_h"}, [&](Node& n) {
    n.setAttr("activations", strings({"Sigmoid", "Relu"}));
    n.setAttr("clip", Attribute(1.5f));
  });
  RecurrentCase forget{"LSTM", "reverse", 0, 3, 5, true, true, false, false, true};
  addRecurrent(m, forget, {"y", "y_h", "y_c"}, [&](Node& n) { n.setAttr("input_forget", Attribute(int64_t{1})); });
  EXPECT_EQ(expectSame(m, 2), m.nodes());
}

TEST(JitEinsum, EquationsTorchExports) {
  struct Case {
    std::string equation;
    std::vector<std::vector<int64_t>> shapes;
  };
  const std::vector<Case> cases = {
      {"bij,bjk->bik", {{3, 5, 7}, {3, 7, 9}}},
      {"bid,de,bje->bij", {{4, 5, 8}, {8, 8}, {4, 5, 8}}},
      {"bhqd,bhkd->bhqk", {{2, 3, 5, 4}, {2, 3, 6, 4}}},
      {"bqhd,bkhd->bhqk", {{2, 5, 3, 4}, {2, 6, 3, 4}}},
      {"i,j->ij", {{7}, {5}}},
      {"ij->ji", {{7, 5}}},
      {"ij->i", {{7, 5}}},
      {"ij,ij->", {{4, 9}, {4, 9}}},
      {"bij,jk", {{2, 3, 4}, {4, 5}}},
      {"...ij,...jk->...ik", {{2, 3, 4, 5}, {2, 3, 5, 6}}},
      {"bi,bi->b", {{6, 11}, {1, 11}}},
  };
  uint32_t seed = 20;
  NodesModel m;
  std::vector<Tensor> tensors;
  tensors.reserve(32);
  for (const Case& c : cases) {
    std::vector<const Tensor*> inputs;
    for (const auto& s : c.shapes) {
      tensors.push_back(randomFloats(s, seed++));
      inputs.push_back(&tensors.back());
    }
    m.add("Einsum", inputs, {"y"}, c.equation)->setAttr("equation", Attribute(c.equation));
  }
  EXPECT_EQ(expectSame(m, 1), m.nodes());
  EXPECT_EQ(expectSame(m, 2), m.nodes());
}

TEST(JitEinsum, DiagonalFallsBackWithReason) {
  Tensor x = randomFloats({4, 4}, 1);
  NodesModel m;
  m.add("Einsum", {&x}, {"y"})->setAttr("equation", Attribute(std::string("ii->i")));
  auto jit = JitRuntime::compile(m.model);
  ASSERT_TRUE(jit);
  ASSERT_EQ((*jit)->stats().fallbacks.size(), 1u);
  EXPECT_NE((*jit)->stats().fallbacks[0].reason.find("diagonal"), std::string::npos);
  auto got = (*jit)->run(m.feeds);
  ASSERT_TRUE(got);
  EXPECT_EQ(testing::compareTensors((*got)[0], (*reference::runModel(m.model, m.feeds))[0], 1e-5), "");
}

/// Encodes `original`, decodes it for `node` and checks both bind `dims` alike (what a model
/// library replays).
void expectCodecRoundTrip(const KernelLaunch& original, const Node& node, const std::vector<std::vector<int64_t>>& dims) {
  std::vector<int64_t> codes;
  original.encode(codes);
  std::span<const int64_t> rest(codes);
  auto decoded = decodeLaunch(rest, node);
  ASSERT_TRUE(decoded) << decoded.status().str();
  EXPECT_TRUE(rest.empty());
  LaunchShape a, b;
  ASSERT_TRUE(original.bind(dims, a));
  ASSERT_TRUE((*decoded)->bind(dims, b));
  EXPECT_EQ(a.outputDims, b.outputDims);
  EXPECT_EQ(a.kernelDims, b.kernelDims);
  EXPECT_EQ(a.iterations, b.iterations);
}

TEST(JitRecurrent, LaunchesReadBackFromTheirEncoding) {
  Tensor x = randomFloats({2, 3}, 1), y = randomFloats({3, 4}, 2);
  NodesModel m;
  Node* einsum = m.add("Einsum", {&x, &y}, {"z"});
  einsum->setAttr("equation", Attribute(std::string("ij,jk->ik")));
  expectCodecRoundTrip(EinsumLaunch(*einsum, {2, 2}), *einsum, {{2, 3}, {3, 4}});
  // LSTM, layout 1, bidirectional: X [batch 3, seq 5, input 6], W, R, B, lens, h0, c0, P.
  expectCodecRoundTrip(RecurrentLaunch(4, 2, true), *einsum,
                       {{3, 5, 6}, {2, 28, 6}, {2, 28, 7}, {2, 56}, {3}, {3, 2, 7}, {3, 2, 7}, {2, 21}});
  LaunchShape shape;
  EXPECT_FALSE(RecurrentLaunch(4, 2, true).bind(std::vector<std::vector<int64_t>>{{3, 5, 6}, {1, 28, 6}, {1, 28, 7}}, shape));
}

}  // namespace
}  // namespace kiln::llvmjit
