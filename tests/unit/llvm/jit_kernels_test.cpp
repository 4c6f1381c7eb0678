// Generated kernels against the reference kernels (themselves verified against ONNX Runtime)
// on shapes the op cases do not all reach: size-0 and size-1 dims, odd sizes with unaligned
// vector tails, broadcasting patterns, symbolic batch dims served by one compiled function,
// constant reduction axes, and intra-op threads. Float32 within 1e-5, integers exact.

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "ir/op_registry.h"
#include "tests/reference/case_compare.h"

namespace kiln::llvmjit {
namespace {

Tensor randomTensor(DType dtype, const std::vector<int64_t>& dims, uint32_t seed) {
  Tensor t = Tensor::zeros(dtype, dims);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> real(-2.0f, 2.0f);
  std::uniform_int_distribution<int> integer(-50, 50);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    switch (dtype) {
      case DType::Float32: t.mutableData<float>()[i] = real(rng); break;
      case DType::Int32: t.mutableData<int32_t>()[i] = integer(rng); break;
      case DType::Int64: t.mutableData<int64_t>()[i] = integer(rng); break;
      case DType::Bool: t.mutableData<uint8_t>()[i] = integer(rng) > 0; break;
      default: ADD_FAILURE() << "unsupported dtype in test";
    }
  }
  return t;
}

std::vector<Dim> staticDims(const std::vector<int64_t>& dims) { return {dims.begin(), dims.end()}; }

struct OneOp {
  Model model;
  Node* node = nullptr;
};

/// A model of one node `op` over inputs of the given types; `constants` become Constant nodes.
std::unique_ptr<OneOp> oneOp(const std::string& op, const std::vector<Type>& inputTypes,
                             const std::vector<std::pair<size_t, Tensor>>& constants = {}, size_t outputs = 1) {
  auto m = std::make_unique<OneOp>();
  Graph& g = *m->model.graph;
  std::vector<Value*> operands;
  for (size_t i = 0; i < inputTypes.size(); ++i) operands.push_back(g.addInput("x" + std::to_string(i), inputTypes[i]));
  for (const auto& [index, t] : constants) {
    Node* c = g.createNode("", "Constant", {});
    c->setAttr("value", t);
    operands.insert(operands.begin() + static_cast<long>(index),
                    c->addOutput("c" + std::to_string(index), Type::tensor(t.dtype(), Shape(staticDims(t.dims())))));
  }
  m->node = g.createNode("", op, operands);
  m->node->setName(op + "_0");
  m->node->setSchema(OpRegistry::builtin().lookup("", op));
  for (size_t i = 0; i < outputs; ++i) g.addOutput(m->node->addOutput("y" + std::to_string(i)));
  return m;
}

/// Runs the model on the JIT (with `threads`) and the reference interpreter; compares; returns
/// the number of generated kernels.
size_t expectSame(const Model& model, const std::vector<Tensor>& inputs, int threads = 1) {
  auto jit = JitRuntime::compile(model, {.threads = threads});
  EXPECT_TRUE(jit) << (jit ? "" : jit.status().str());
  if (!jit) return 0;
  auto got = (*jit)->run(inputs);
  auto want = reference::runModel(model, inputs);
  EXPECT_TRUE(got) << (got ? "" : got.status().str());
  EXPECT_TRUE(want) << (want ? "" : want.status().str());
  if (!got || !want) return 0;
  for (size_t i = 0; i < want->size(); ++i)
    EXPECT_EQ(testing::compareTensors((*got)[i], (*want)[i], 1e-5), "") << "output " << i;
  return (*jit)->stats().generatedKernels;
}

TEST(JitElementwise, BroadcastingShapes) {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{17}, {17}}, {{3, 33}, {33}}, {{2, 3, 5, 7}, {3, 1, 1}}, {{4, 1, 6}, {1, 5, 1}}, {{1}, {9, 1}},
      {{0, 4}, {4}}, {{5, 0}, {1}}, {{}, {2, 3}}, {{1, 1}, {1, 1}}, {{2, 1, 67}, {2, 3, 67}},
  };
  for (const char* op : {"Add", "Mul", "Sub", "Div", "Max", "Pow"}) {
    for (const auto& [a, b] : cases) {
      auto m = oneOp(op, {Type::tensor(DType::Float32, Shape(staticDims(a))), Type::tensor(DType::Float32, Shape(staticDims(b)))});
      Tensor x = randomTensor(DType::Float32, a, 1), y = randomTensor(DType::Float32, b, 2);
      if (std::string(op) == "Pow")  // positive bases: no NaN from fractional powers
        for (float& v : x.mutableData<float>()) v = std::fabs(v) + 0.5f;
      SCOPED_TRACE(std::string(op) + " " + testing::dimsText(a) + " with " + testing::dimsText(b));
      EXPECT_EQ(expectSame(m->model, {x, y}), 1u);
    }
  }
}

TEST(JitElementwise, IntegerOpsAreExact) {
  for (DType dtype : {DType::Int32, DType::Int64}) {
    for (const char* op : {"Add", "Sub", "Mul", "Max", "Min"}) {
      auto m = oneOp(op, {Type::tensor(dtype, Shape({7, 13})), Type::tensor(dtype, Shape({13}))});
      EXPECT_EQ(expectSame(m->model, {randomTensor(dtype, {7, 13}, 3), randomTensor(dtype, {13}, 4)}), 1u) << op;
    }
    auto cmp = oneOp("Less", {Type::tensor(dtype, Shape({31})), Type::tensor(dtype, Shape({31}))});
    EXPECT_EQ(expectSame(cmp->model, {randomTensor(dtype, {31}, 5), randomTensor(dtype, {31}, 6)}), 1u);
  }
  auto where = oneOp("Where", {Type::tensor(DType::Bool, Shape({5, 1})), Type::tensor(DType::Float32, Shape({5, 9})),
                               Type::tensor(DType::Float32, Shape({9}))});
  EXPECT_EQ(expectSame(where->model, {randomTensor(DType::Bool, {5, 1}, 7), randomTensor(DType::Float32, {5, 9}, 8),
                                      randomTensor(DType::Float32, {9}, 9)}),
            1u);
}

TEST(JitElementwise, UnaryActivations) {
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "Exp", "Abs", "Neg", "Erf", "Gelu", "Softplus", "HardSwish",
                         "LeakyRelu", "Elu", "Floor", "Round", "Sqrt", "Log"}) {
    auto m = oneOp(op, {Type::tensor(DType::Float32, Shape({3, 37}))});
    Tensor x = randomTensor(DType::Float32, {3, 37}, 10);
    if (std::string(op) == "Sqrt" || std::string(op) == "Log")
      for (float& v : x.mutableData<float>()) v = std::fabs(v) + 0.01f;
    EXPECT_EQ(expectSame(m->model, {x}), 1u) << op;
  }
}

TEST(JitElementwise, OneFunctionServesEveryBatch) {
  auto m = oneOp("Add", {Type::tensor(DType::Float32, Shape({Dim::symbol("batch"), 19})),
                         Type::tensor(DType::Float32, Shape({19}))});
  auto jit = JitRuntime::compile(m->model);
  ASSERT_TRUE(jit);
  for (int64_t batch : {1, 4, 0, 33, 4}) {
    std::vector<Tensor> in = {randomTensor(DType::Float32, {batch, 19}, 11), randomTensor(DType::Float32, {19}, 12)};
    auto got = (*jit)->run(in);
    auto want = reference::runModel(m->model, in);
    ASSERT_TRUE(got && want);
    EXPECT_EQ(testing::compareTensors((*got)[0], (*want)[0]), "") << "batch " << batch;
  }
  EXPECT_EQ((*jit)->stats().generatedKernels, 1u);
  EXPECT_TRUE((*jit)->stats().fallbacks.empty());
}

TEST(JitElementwise, ThreadsGiveTheSameResult) {
  auto m = oneOp("Mul", {Type::tensor(DType::Float32, Shape({64, 1031})), Type::tensor(DType::Float32, Shape({64, 1}))});
  EXPECT_EQ(expectSame(m->model, {randomTensor(DType::Float32, {64, 1031}, 13), randomTensor(DType::Float32, {64, 1}, 14)}, 3), 1u);
}

TEST(JitReduction, ContiguousAxes) {
  struct Case {
    std::vector<int64_t> dims, axes;
    int64_t keep;
  };
  const std::vector<Case> cases = {{{4, 37}, {1}, 1}, {{4, 37}, {0}, 0}, {{2, 3, 5, 7}, {2, 3}, 1}, {{2, 3, 5, 7}, {1, 2}, 0},
                                   {{6, 1, 9}, {-1}, 1},  {{5, 8}, {0, 1}, 0}, {{3, 0, 4}, {2}, 1}};
  for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceSumSquare"}) {
    for (const Case& c : cases) {
      Tensor axes = Tensor::fromVector<int64_t>(DType::Int64, {static_cast<int64_t>(c.axes.size())}, c.axes);
      auto m = oneOp(op, {Type::tensor(DType::Float32, Shape(staticDims(c.dims)))}, {{1, axes}});
      m->node->setAttr("keepdims", c.keep);
      SCOPED_TRACE(std::string(op) + " " + testing::dimsText(c.dims) + " axes " + testing::dimsText(c.axes));
      EXPECT_EQ(expectSame(m->model, {randomTensor(DType::Float32, c.dims, 15)}), 1u);
    }
  }
  auto gap = oneOp("GlobalAveragePool", {Type::tensor(DType::Float32, Shape({2, 5, 7, 3}))});
  EXPECT_EQ(expectSame(gap->model, {randomTensor(DType::Float32, {2, 5, 7, 3}, 16)}), 1u);
}

TEST(JitSoftmax, EveryAxis) {
  for (const char* op : {"Softmax", "LogSoftmax"})
    for (int64_t axis : {-1, 0, 1, 2}) {
      auto m = oneOp(op, {Type::tensor(DType::Float32, Shape({3, 17, 5}))});
      m->node->setAttr("axis", axis);
      EXPECT_EQ(expectSame(m->model, {randomTensor(DType::Float32, {3, 17, 5}, 17)}), 1u) << op << " axis " << axis;
    }
}

TEST(JitNormalization, LayerAndBatchNorm) {
  for (int64_t axis : {-1, 1}) {
    auto m = oneOp("LayerNormalization", {Type::tensor(DType::Float32, Shape({4, 6, 33})),
                                          Type::tensor(DType::Float32, Shape(axis == -1 ? std::vector<Dim>{33} : std::vector<Dim>{6, 33})),
                                          Type::tensor(DType::Float32, Shape(axis == -1 ? std::vector<Dim>{33} : std::vector<Dim>{6, 33}))});
    m->node->setAttr("axis", axis);
    std::vector<int64_t> p = axis == -1 ? std::vector<int64_t>{33} : std::vector<int64_t>{6, 33};
    EXPECT_EQ(expectSame(m->model, {randomTensor(DType::Float32, {4, 6, 33}, 18), randomTensor(DType::Float32, p, 19),
                                    randomTensor(DType::Float32, p, 20)}),
              1u);
  }
  std::vector<Type> types = {Type::tensor(DType::Float32, Shape({2, 5, 3, 7}))};
  for (int i = 0; i < 4; ++i) types.push_back(Type::tensor(DType::Float32, Shape({5})));
  auto bn = oneOp("BatchNormalization", types);
  Tensor var = randomTensor(DType::Float32, {5}, 25);
  for (float& v : var.mutableData<float>()) v = std::fabs(v) + 0.1f;
  EXPECT_EQ(expectSame(bn->model, {randomTensor(DType::Float32, {2, 5, 3, 7}, 21), randomTensor(DType::Float32, {5}, 22),
                                   randomTensor(DType::Float32, {5}, 23), randomTensor(DType::Float32, {5}, 24), var}),
            1u);
}

TEST(JitDataMovement, TransposeConcatReshape) {
  for (const std::vector<int64_t>& perm : std::vector<std::vector<int64_t>>{{1, 0, 2}, {2, 0, 1}, {0, 2, 1}, {2, 1, 0}}) {
    auto m = oneOp("Transpose", {Type::tensor(DType::Float32, Shape({3, 5, 7}))});
    m->node->setAttr("perm", perm);
    EXPECT_EQ(expectSame(m->model, {randomTensor(DType::Float32, {3, 5, 7}, 29)}), 1u) << testing::dimsText(perm);
  }
  for (int64_t axis : {0, 1, -1}) {
    auto m = oneOp("Concat", {Type::tensor(DType::Int64, Shape({2, 3, 4})), Type::tensor(DType::Int64, Shape({2, 3, 4})),
                              Type::tensor(DType::Int64, Shape({2, 3, 4}))});
    m->node->setAttr("axis", axis);
    EXPECT_EQ(expectSame(m->model, {randomTensor(DType::Int64, {2, 3, 4}, 30), randomTensor(DType::Int64, {2, 3, 4}, 31),
                                    randomTensor(DType::Int64, {2, 3, 4}, 32)}),
              1u);
  }
  Tensor shape = Tensor::fromVector<int64_t>(DType::Int64, {3}, {0, -1, 2});
  auto reshape = oneOp("Reshape", {Type::tensor(DType::Float32, Shape({3, 4, 6}))}, {{1, shape}});
  EXPECT_EQ(expectSame(reshape->model, {randomTensor(DType::Float32, {3, 4, 6}, 33)}), 1u);
  auto flatten = oneOp("Flatten", {Type::tensor(DType::Float32, Shape({2, 3, 5}))});
  EXPECT_EQ(expectSame(flatten->model, {randomTensor(DType::Float32, {2, 3, 5}, 34)}), 1u);
  Tensor axes = Tensor::fromVector<int64_t>(DType::Int64, {2}, {0, -1});
  auto unsqueeze = oneOp("Unsqueeze", {Type::tensor(DType::Float32, Shape({4, 5}))}, {{1, axes}});
  EXPECT_EQ(expectSame(unsqueeze->model, {randomTensor(DType::Float32, {4, 5}, 35)}), 1u);
}

TEST(JitDataMovement, SliceClampsAndSteps) {
  struct Case {
    std::vector<int64_t> starts, ends, axes, steps;
  };
  const std::vector<Case> cases = {{{1}, {4}, {1}, {1}},          {{0, 2}, {100, -1}, {0, 2}, {2, 1}},
                                   {{-1}, {-100}, {2}, {-2}},      {{5}, {1}, {0}, {-1}},
                                   {{3}, {3}, {1}, {1}},           {{-3, 0}, {INT64_MAX, 5}, {-1, 1}, {1, 3}}};
  for (const Case& c : cases) {
    const auto n = static_cast<int64_t>(c.starts.size());
    auto m = oneOp("Slice", {Type::tensor(DType::Float32, Shape({6, 5, 7}))},
                   {{1, Tensor::fromVector<int64_t>(DType::Int64, {n}, c.starts)},
                    {2, Tensor::fromVector<int64_t>(DType::Int64, {n}, c.ends)},
                    {3, Tensor::fromVector<int64_t>(DType::Int64, {n}, c.axes)},
                    {4, Tensor::fromVector<int64_t>(DType::Int64, {n}, c.steps)}});
    EXPECT_EQ(expectSame(m->model, {randomTensor(DType::Float32, {6, 5, 7}, 36)}), 1u)
        << "starts " << testing::dimsText(c.starts) << " steps " << testing::dimsText(c.steps);
  }
}

TEST(JitRuntime, FallbacksAreListed) {
  // A matrix-vector MatMul (rank-1 operand) has no generated code.
  auto m = oneOp("MatMul", {Type::tensor(DType::Float32, Shape({3, 4})), Type::tensor(DType::Float32, Shape({4}))});
  auto jit = JitRuntime::compile(m->model);
  ASSERT_TRUE(jit);
  ASSERT_EQ((*jit)->stats().fallbacks.size(), 1u);
  EXPECT_EQ((*jit)->stats().fallbacks[0].op, "MatMul");
  EXPECT_EQ(expectSame(m->model, {randomTensor(DType::Float32, {3, 4}, 26), randomTensor(DType::Float32, {4}, 27)}), 0u);
}

TEST(JitRuntime, BadInputIsAnError) {
  auto m = oneOp("Relu", {Type::tensor(DType::Float32, Shape({3, 4}))});
  auto jit = JitRuntime::compile(m->model);
  ASSERT_TRUE(jit);
  auto r = (*jit)->run({randomTensor(DType::Float32, {3, 5}, 28)});
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().str().find("x0"), std::string::npos) << r.status().str();
}


// ---- MatMul, Gemm, Conv through the emitted GEMM ----------------------------------------

Type f32(const std::vector<int64_t>& dims) { return Type::tensor(DType::Float32, Shape(staticDims(dims))); }

TEST(JitGemm, MatMulShapesAndBatchBroadcast) {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{1, 1}, {1, 1}},         {{1, 7}, {7, 33}},        {{5, 3}, {3, 1}},       {{13, 17}, {17, 19}},
      {{150, 70}, {70, 40}},    {{2, 3, 7, 5}, {2, 3, 5, 9}}, {{4, 7, 6}, {6, 11}}, {{7, 6}, {3, 6, 10}},
      {{1, 5, 4}, {3, 4, 2}},   {{6, 0}, {0, 5}}};
  uint32_t seed = 100;
  for (const auto& [a, b] : cases) {
    auto m = oneOp("MatMul", {f32(a), f32(b)});
    EXPECT_EQ(expectSame(m->model, {randomTensor(DType::Float32, a, seed), randomTensor(DType::Float32, b, seed + 1)}), 1u)
        << testing::dimsText(a) << " x " << testing::dimsText(b);
    seed += 2;
  }
  // A tall product split over several row chunks, on 3 threads.
  auto tall = oneOp("MatMul", {f32({2, 300, 20}), f32({20, 17})});
  EXPECT_EQ(expectSame(tall->model, {randomTensor(DType::Float32, {2, 300, 20}, 90), randomTensor(DType::Float32, {20, 17}, 91)}, 3), 1u);
}

TEST(JitGemm, GemmTransposesAlphaBetaBias) {
  const std::vector<std::vector<int64_t>> biases = {{}, {9}, {1, 9}, {7, 1}, {7, 9}, {1}};
  uint32_t seed = 200;
  for (int transA = 0; transA < 2; ++transA)
    for (int transB = 0; transB < 2; ++transB)
      for (const auto& c : biases) {
        const std::vector<int64_t> a = transA ? std::vector<int64_t>{13, 7} : std::vector<int64_t>{7, 13};
        const std::vector<int64_t> b = transB ? std::vector<int64_t>{9, 13} : std::vector<int64_t>{13, 9};
        std::vector<Type> types = {f32(a), f32(b)};
        std::vector<Tensor> inputs = {randomTensor(DType::Float32, a, seed), randomTensor(DType::Float32, b, seed + 1)};
        if (!c.empty()) {
          types.push_back(f32(c));
          inputs.push_back(randomTensor(DType::Float32, c, seed + 2));
        }
        auto m = oneOp("Gemm", types);
        m->node->setAttr("transA", int64_t{transA});
        m->node->setAttr("transB", int64_t{transB});
        m->node->setAttr("alpha", 0.5f);
        m->node->setAttr("beta", c.empty() ? 1.f : -2.f);
        EXPECT_EQ(expectSame(m->model, inputs), 1u) << transA << transB << " C " << testing::dimsText(c);
        seed += 3;
      }
  // A batch-1 head (one row), as in classifiers.
  auto head = oneOp("Gemm", {f32({1, 40}), f32({10, 40}), f32({10})});
  head->node->setAttr("transB", int64_t{1});
  EXPECT_EQ(expectSame(head->model, {randomTensor(DType::Float32, {1, 40}, 250), randomTensor(DType::Float32, {10, 40}, 251),
                                     randomTensor(DType::Float32, {10}, 252)}),
            1u);
}

TEST(JitGemm, ConvStridesPadsDilations) {
  struct Case {
    std::vector<int64_t> x, w, strides, pads, dilations;
    bool bias;
    int threads = 1;
  };
  const std::vector<Case> cases = {
      {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, false},
      {{2, 3, 9, 11}, {5, 3, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, true},
      {{1, 4, 10, 7}, {17, 4, 3, 2}, {2, 3}, {0, 1, 2, 0}, {1, 1}, true},
      {{1, 2, 12, 12}, {3, 2, 3, 3}, {1, 2}, {2, 2, 2, 2}, {2, 3}, false},
      {{3, 8, 5, 5}, {16, 8, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, true},
      {{1, 3, 7, 7}, {1, 3, 7, 7}, {1, 1}, {0, 0, 0, 0}, {1, 1}, true},
      // Output channels in several chunks: one image over 2 threads, two images on one.
      {{1, 3, 8, 7}, {150, 3, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, true, 2},
      {{2, 5, 6, 5}, {140, 5, 3, 1}, {2, 1}, {1, 0, 0, 0}, {1, 1}, true, 1}};
  uint32_t seed = 300;
  for (const Case& c : cases) {
    std::vector<Type> types = {f32(c.x), f32(c.w)};
    std::vector<Tensor> inputs = {randomTensor(DType::Float32, c.x, seed), randomTensor(DType::Float32, c.w, seed + 1)};
    if (c.bias) {
      types.push_back(f32({c.w[0]}));
      inputs.push_back(randomTensor(DType::Float32, {c.w[0]}, seed + 2));
    }
    auto m = oneOp("Conv", types);
    m->node->setAttr("strides", c.strides);
    m->node->setAttr("pads", c.pads);
    m->node->setAttr("dilations", c.dilations);
    EXPECT_EQ(expectSame(m->model, inputs, c.x[0] > 1 && c.w[0] <= 64 ? 2 : c.threads), 1u) << "x " << testing::dimsText(c.x) << " w " << testing::dimsText(c.w);
    seed += 3;
  }
  // Depthwise goes to the direct kernel (jit_grouped_conv_test.cpp).
  auto dw = oneOp("Conv", {f32({1, 4, 6, 6}), f32({4, 1, 3, 3})});
  dw->node->setAttr("group", int64_t{4});
  EXPECT_EQ(expectSame(dw->model, {randomTensor(DType::Float32, {1, 4, 6, 6}, 400), randomTensor(DType::Float32, {4, 1, 3, 3}, 401)}), 1u);
}

// ---- Constant weights packed once, per-thread workspaces --------------------------------

/// Runs `model` (whose weights are Constant nodes) `runs` times on `threads`: every run must
/// match the reference interpreter and be bitwise equal to the first; the constant operands
/// are packed at compile time only and the kernel workspaces allocated by the first run only.
void expectPackedOnce(const Model& model, const std::vector<Tensor>& inputs, int threads, size_t wantPacked) {
  auto jit = JitRuntime::compile(model, {.threads = threads});
  ASSERT_TRUE(jit) << jit.status().str();
  EXPECT_EQ((*jit)->stats().prepackedConstants, wantPacked);
  auto want = reference::runModel(model, inputs);
  ASSERT_TRUE(want) << want.status().str();
  std::vector<Tensor> first;
  size_t allocations = 0;
  for (int run = 0; run < 4; ++run) {
    auto got = (*jit)->run(inputs);
    ASSERT_TRUE(got) << got.status().str();
    EXPECT_EQ(testing::compareTensors((*got)[0], (*want)[0], 1e-5), "") << "run " << run << ", " << threads << " threads";
    if (run == 0) {
      first = *got;
      allocations = (*jit)->stats().workspaceAllocations;
      EXPECT_GE(allocations, 1u);
    } else {
      EXPECT_EQ(std::memcmp((*got)[0].rawData(), first[0].rawData(), first[0].byteSize()), 0) << "run " << run;
    }
  }
  EXPECT_EQ((*jit)->stats().prepackedConstants, wantPacked) << "packed again while running";
  EXPECT_EQ((*jit)->stats().workspaceAllocations, allocations) << "workspace allocated in the steady state";
  EXPECT_EQ((*jit)->stats().generatedKernels, 1u);
}

TEST(JitPrepack, ConvWeightsPackedOnce) {
  struct Case {
    std::vector<int64_t> x, w, strides, pads;
  };
  const std::vector<Case> cases = {
      {{1, 3, 40, 37}, {10, 3, 3, 3}, {1, 1}, {1, 1, 1, 1}},   // pixel-column chunks, odd widths
      {{2, 8, 20, 21}, {70, 8, 1, 1}, {1, 1}, {0, 0, 0, 0}},   // 1x1: the image is B (direct)
      {{1, 6, 9, 9}, {70, 6, 1, 1}, {1, 1}, {0, 0, 0, 0}},     // direct, channel chunks, a tail below mr
      {{1, 5, 7, 7}, {70, 5, 3, 3}, {2, 2}, {1, 1, 1, 1}},     // channel chunks; the last one below mr
      {{2, 4, 6, 6}, {4, 4, 3, 3}, {1, 1}, {0, 0, 0, 0}},      // fewer channels than mr (row kernel)
      {{1, 3, 24, 24}, {9, 3, 1, 1}, {2, 2}, {0, 0, 0, 0}}};   // 1x1 with stride: im2col
  uint32_t seed = 500;
  for (const Case& c : cases) {
    auto m = oneOp("Conv", {f32(c.x)}, {{1, randomTensor(DType::Float32, c.w, seed + 1)},
                                        {2, randomTensor(DType::Float32, {c.w[0]}, seed + 2)}});
    m->node->setAttr("strides", c.strides);
    m->node->setAttr("pads", c.pads);
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE("x " + testing::dimsText(c.x) + " w " + testing::dimsText(c.w) + " threads " + std::to_string(threads));
      expectPackedOnce(m->model, {randomTensor(DType::Float32, c.x, seed)}, threads, 1);
    }
    seed += 3;
  }
}

TEST(JitPrepack, MatMulAndGemmWeightsPackedOnce) {
  for (const auto& b : std::vector<std::vector<int64_t>>{{40, 33}, {1, 40, 33}}) {
    auto m = oneOp("MatMul", {f32({3, 150, 40})}, {{1, randomTensor(DType::Float32, b, 601)}});
    for (int threads : {1, 2})
      expectPackedOnce(m->model, {randomTensor(DType::Float32, {3, 150, 40}, 600)}, threads, 1);
  }
  // A batch of constant matrices is not pre-packed (each batch packs per call), still correct.
  auto batched = oneOp("MatMul", {f32({2, 7, 5})}, {{1, randomTensor(DType::Float32, {2, 5, 9}, 611)}});
  expectPackedOnce(batched->model, {randomTensor(DType::Float32, {2, 7, 5}, 610)}, 2, 0);
  for (int transB = 0; transB < 2; ++transB) {
    const std::vector<int64_t> b = transB ? std::vector<int64_t>{19, 30} : std::vector<int64_t>{30, 19};
    auto m = oneOp("Gemm", {f32({130, 30})}, {{1, randomTensor(DType::Float32, b, 621)},
                                              {2, randomTensor(DType::Float32, {19}, 622)}});
    m->node->setAttr("transB", int64_t{transB});
    m->node->setAttr("alpha", 0.5f);
    for (int threads : {1, 2}) expectPackedOnce(m->model, {randomTensor(DType::Float32, {130, 30}, 620)}, threads, 1);
    // One row (the row kernel reading pre-packed panels).
    auto head = oneOp("Gemm", {f32({1, 30})}, {{1, randomTensor(DType::Float32, b, 631)}});
    head->node->setAttr("transB", int64_t{transB});
    expectPackedOnce(head->model, {randomTensor(DType::Float32, {1, 30}, 630)}, 1, 1);
  }
}

}  // namespace
}  // namespace kiln::llvmjit
