// Generated shape-chain and indexing kernels (Shape, Gather, ScatterND, Expand, Cast, Pad,
// ConstantOfShape, integer Div, and Reshape/Unsqueeze/Slice with runtime shape operands)
// against the reference kernels: odd sizes, size-0 and size-1 dims, negative axes and indices,
// int32/int64 indices, shape operands that change between runs with the same input shapes (the
// memory plan must be re-recorded), and out-of-range indices / zero divisors as errors.

#include <gtest/gtest.h>

#include <cmath>
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
  std::uniform_real_distribution<double> real(-2.0, 2.0);
  std::uniform_int_distribution<int> integer(-50, 50);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    switch (dtype) {
      case DType::Float32: t.mutableData<float>()[i] = static_cast<float>(real(rng)); break;
      case DType::Float64: t.mutableData<double>()[i] = real(rng); break;
      case DType::Int32: t.mutableData<int32_t>()[i] = integer(rng); break;
      case DType::Int64: t.mutableData<int64_t>()[i] = integer(rng); break;
      case DType::Bool: t.mutableData<uint8_t>()[i] = integer(rng) > 0; break;
      default: ADD_FAILURE() << "unsupported dtype in test";
    }
  }
  return t;
}

Tensor ints(DType dtype, std::vector<int64_t> dims, const std::vector<int64_t>& values) {
  if (dtype == DType::Int32) return Tensor::fromVector<int32_t>(dtype, std::move(dims), {values.begin(), values.end()});
  return Tensor::fromVector<int64_t>(dtype, std::move(dims), values);
}

Tensor i64s(const std::vector<int64_t>& values) { return ints(DType::Int64, {static_cast<int64_t>(values.size())}, values); }

Type tensorType(DType dtype, const std::vector<int64_t>& dims) {
  return Type::tensor(dtype, Shape(std::vector<Dim>(dims.begin(), dims.end())));
}

struct OneOp {
  Model model;
  Node* node = nullptr;
};

/// A model of one node `op` over graph inputs of the given types.
std::unique_ptr<OneOp> oneOp(const std::string& op, const std::vector<Type>& inputTypes,
                             const std::vector<std::pair<std::string, Attribute>>& attrs = {}) {
  auto m = std::make_unique<OneOp>();
  Graph& g = *m->model.graph;
  std::vector<Value*> operands;
  for (size_t i = 0; i < inputTypes.size(); ++i) operands.push_back(g.addInput("x" + std::to_string(i), inputTypes[i]));
  m->node = g.createNode("", op, operands);
  m->node->setName(op + "_0");
  m->node->setSchema(OpRegistry::builtin().lookup("", op));
  for (const auto& [name, a] : attrs) m->node->setAttr(name, a);
  g.addOutput(m->node->addOutput("y"));
  return m;
}

/// Runs `inputs` on one compiled JIT model (several runs: the plan is reused or re-recorded)
/// and on the reference interpreter; the outputs must match exactly (these ops move or convert
/// values, they do no arithmetic). Returns the generated kernel count.
size_t expectSame(const Model& model, const std::vector<std::vector<Tensor>>& runs, int threads = 1) {
  auto jit = JitRuntime::compile(model, {.threads = threads});
  EXPECT_TRUE(jit) << (jit ? "" : jit.status().str());
  if (!jit) return 0;
  for (size_t r = 0; r < runs.size(); ++r) {
    auto got = (*jit)->run(runs[r]);
    auto want = reference::runModel(model, runs[r]);
    EXPECT_TRUE(got) << (got ? "" : got.status().str());
    EXPECT_TRUE(want) << (want ? "" : want.status().str());
    if (!got || !want) return 0;
    EXPECT_EQ(testing::compareTensors((*got)[0], (*want)[0]), "") << "run " << r;
  }
  for (const auto& f : (*jit)->stats().fallbacks) ADD_FAILURE() << "fallback " << f.op << ": " << f.reason;
  return (*jit)->stats().generatedKernels;
}

/// The JIT and the reference interpreter both refuse `inputs` with a message holding `text`.
void expectError(const Model& model, const std::vector<Tensor>& inputs, const std::string& text) {
  auto jit = JitRuntime::compile(model);
  ASSERT_TRUE(jit);
  EXPECT_TRUE((*jit)->stats().fallbacks.empty());
  auto got = (*jit)->run(inputs);
  ASSERT_FALSE(got);
  EXPECT_NE(got.status().str().find(text), std::string::npos) << got.status().str();
  auto want = reference::runModel(model, inputs);
  ASSERT_FALSE(want);
  EXPECT_NE(want.status().str().find(text), std::string::npos) << want.status().str();
}

TEST(JitShapeOps, ShapeWritesTheRuntimeDims) {
  for (auto [start, end] : std::vector<std::pair<int64_t, int64_t>>{{0, 4}, {1, 3}, {-2, 4}, {-9, -1}, {3, 1}}) {
    auto m = oneOp("Shape", {Type::tensor(DType::Float32, Shape({Dim::symbol("n"), 5, 1, Dim::symbol("m")}))},
                   {{"start", Attribute(start)}, {"end", Attribute(end)}});
    SCOPED_TRACE("start " + std::to_string(start) + " end " + std::to_string(end));
    EXPECT_EQ(expectSame(m->model, {{randomTensor(DType::Float32, {3, 5, 1, 7}, 1)},
                                    {randomTensor(DType::Float32, {0, 5, 1, 2}, 2)},
                                    {randomTensor(DType::Float32, {3, 5, 1, 7}, 3)}}),
              1u);
  }
}

TEST(JitShapeOps, GatherAnyAxisAndIndexType) {
  const std::vector<int64_t> dims = {5, 7, 3};
  for (DType data : {DType::Float32, DType::Int64}) {
    for (DType index : {DType::Int32, DType::Int64}) {
      for (int64_t axis : {0, 1, 2, -1, -3}) {
        const int64_t d = dims[static_cast<size_t>(axis < 0 ? axis + 3 : axis)];
        for (const auto& idxDims : std::vector<std::vector<int64_t>>{{4}, {2, 3}, {}, {0}, {1}}) {
          Tensor idx = randomTensor(index, idxDims, 4);
          for (int64_t i = 0; i < idx.numElements(); ++i) {  // in [-d, d): negative ones count from the end
            const int64_t v = (idx.scalarAsInt(i) % (2 * d) + 2 * d) % (2 * d) - d;
            if (index == DType::Int32) idx.mutableData<int32_t>()[i] = static_cast<int32_t>(v);
            else idx.mutableData<int64_t>()[i] = v;
          }
          auto m = oneOp("Gather", {tensorType(data, dims), tensorType(index, idxDims)}, {{"axis", Attribute(axis)}});
          SCOPED_TRACE("axis " + std::to_string(axis) + " indices " + testing::dimsText(idxDims));
          EXPECT_EQ(expectSame(m->model, {{randomTensor(data, dims, 5), idx}}), 1u);
        }
      }
    }
  }
  // Many rows across 3 threads.
  auto big = oneOp("Gather", {tensorType(DType::Float32, {300, 257}), tensorType(DType::Int64, {301})});
  Tensor idx = Tensor::zeros(DType::Int64, {301});
  for (int64_t i = 0; i < 301; ++i) idx.mutableData<int64_t>()[i] = (i * 37) % 300 - 150;
  EXPECT_EQ(expectSame(big->model, {{randomTensor(DType::Float32, {300, 257}, 6), idx}}, 3), 1u);
}

TEST(JitShapeOps, GatherIndexOutOfRangeIsAnError) {
  auto m = oneOp("Gather", {tensorType(DType::Float32, {5, 3}), tensorType(DType::Int64, {2})});
  expectError(m->model, {randomTensor(DType::Float32, {5, 3}, 7), i64s({1, 5})}, "index 5 is out of bounds");
  expectError(m->model, {randomTensor(DType::Float32, {5, 3}, 7), i64s({-6, 0})}, "index -6 is out of bounds");
  auto i32 = oneOp("Gather", {tensorType(DType::Float32, {5, 3}), tensorType(DType::Int32, {1})}, {{"axis", Attribute(int64_t{1})}});
  expectError(i32->model, {randomTensor(DType::Float32, {5, 3}, 8), ints(DType::Int32, {1}, {3})}, "out of bounds");
}

TEST(JitShapeOps, ScatterND) {
  auto deep = oneOp("ScatterND", {tensorType(DType::Float32, {4, 5, 3}), tensorType(DType::Int64, {2, 2}),
                                  tensorType(DType::Float32, {2, 3})});
  EXPECT_EQ(expectSame(deep->model, {{randomTensor(DType::Float32, {4, 5, 3}, 9), ints(DType::Int64, {2, 2}, {0, -1, 3, 2}),
                                      randomTensor(DType::Float32, {2, 3}, 10)}}),
            1u);
  auto rows = oneOp("ScatterND", {tensorType(DType::Int64, {4, 5}), tensorType(DType::Int32, {3, 1}),
                                  tensorType(DType::Int64, {3, 5})});
  EXPECT_EQ(expectSame(rows->model, {{randomTensor(DType::Int64, {4, 5}, 11), ints(DType::Int32, {3, 1}, {-1, 0, 2}),
                                      randomTensor(DType::Int64, {3, 5}, 12)}}),
            1u);
  auto empty = oneOp("ScatterND", {tensorType(DType::Float32, {3, 2}), tensorType(DType::Int64, {0, 2}),
                                   tensorType(DType::Float32, {0})});
  EXPECT_EQ(expectSame(empty->model, {{randomTensor(DType::Float32, {3, 2}, 13), Tensor::zeros(DType::Int64, {0, 2}),
                                       Tensor::zeros(DType::Float32, {0})}}),
            1u);
  expectError(deep->model, {randomTensor(DType::Float32, {4, 5, 3}, 9), ints(DType::Int64, {2, 2}, {0, 1, 4, 0}),
                            randomTensor(DType::Float32, {2, 3}, 10)},
              "index 4 is out of bounds");
}

TEST(JitShapeOps, RuntimeReshapeUnsqueezeSliceFollowTheirOperands) {
  // Same input shapes, different shape values: each run must get its own launch and plan.
  auto reshape = oneOp("Reshape", {tensorType(DType::Float32, {6, 5}), tensorType(DType::Int64, {3})});
  Tensor x = randomTensor(DType::Float32, {6, 5}, 14);
  EXPECT_EQ(expectSame(reshape->model, {{x, i64s({2, -1, 5})}, {x, i64s({2, -1, 5})}, {x, i64s({0, 5, 1})},
                                        {x, i64s({30, 1, 1})}, {x, i64s({0, 5, 1})}}),
            1u);
  auto unsqueeze = oneOp("Unsqueeze", {tensorType(DType::Int64, {3, 1}), tensorType(DType::Int64, {1})});
  Tensor v = randomTensor(DType::Int64, {3, 1}, 15);
  EXPECT_EQ(expectSame(unsqueeze->model, {{v, i64s({-1})}, {v, i64s({0})}, {v, i64s({2})}}), 1u);

  auto slice = oneOp("Slice", {tensorType(DType::Float32, {7, 9}), tensorType(DType::Int64, {2}),
                               tensorType(DType::Int64, {2}), tensorType(DType::Int64, {2}), tensorType(DType::Int64, {2})});
  Tensor s = randomTensor(DType::Float32, {7, 9}, 16);
  EXPECT_EQ(expectSame(slice->model, {{s, i64s({1, -2}), i64s({6, 0}), i64s({0, 1}), i64s({2, -3})},
                                      {s, i64s({-100, 8}), i64s({100, -100}), i64s({-1, -2}), i64s({1, -1})},
                                      {s, i64s({3, 3}), i64s({3, 9}), i64s({0, 1}), i64s({1, 1})},
                                      {s, i64s({1, -2}), i64s({6, 0}), i64s({0, 1}), i64s({2, -3})}}),
            1u);
  auto slice32 = oneOp("Slice", {tensorType(DType::Int64, {5}), tensorType(DType::Int32, {1}), tensorType(DType::Int32, {1})});
  EXPECT_EQ(expectSame(slice32->model, {{randomTensor(DType::Int64, {5}, 17), ints(DType::Int32, {1}, {-3}),
                                         ints(DType::Int32, {1}, {2147483647})}}),
            1u);
}

TEST(JitShapeOps, ExpandBroadcasts) {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{3, 1}, {2, 1, 4}}, {{1}, {5}}, {{2, 3}, {2, 3}}, {{4, 1, 6}, {4, 7, 1}}, {{1, 1}, {0, 3}}, {{3}, {1, 1, 3}}};
  for (DType dtype : {DType::Float32, DType::Int64, DType::Bool}) {
    for (const auto& [in, shape] : cases) {
      auto m = oneOp("Expand", {tensorType(dtype, in), tensorType(DType::Int64, {static_cast<int64_t>(shape.size())})});
      SCOPED_TRACE(testing::dimsText(in) + " to " + testing::dimsText(shape));
      EXPECT_EQ(expectSame(m->model, {{randomTensor(dtype, in, 18), i64s(shape)}}), 1u);
    }
  }
  auto scalar = oneOp("Expand", {tensorType(DType::Float32, {}), tensorType(DType::Int64, {0})});
  EXPECT_EQ(expectSame(scalar->model, {{randomTensor(DType::Float32, {}, 19), i64s({})}}), 1u);
}

TEST(JitShapeOps, CastBetweenDTypes) {
  const std::vector<std::pair<DType, DType>> pairs = {
      {DType::Float32, DType::Int32}, {DType::Float32, DType::Int64}, {DType::Int64, DType::Float32},
      {DType::Bool, DType::Float32},  {DType::Float32, DType::Bool},  {DType::Int32, DType::Int64},
      {DType::Int64, DType::Int32},   {DType::Float64, DType::Float32}, {DType::Float32, DType::Float64},
      {DType::Int64, DType::Bool},    {DType::Bool, DType::Int64},    {DType::Float32, DType::Float32}};
  for (const auto& [from, to] : pairs) {
    auto m = oneOp("Cast", {tensorType(from, {3, 37})}, {{"to", Attribute(static_cast<int64_t>(to))}});
    Tensor x = randomTensor(from, {3, 37}, 20);
    if (from == DType::Float32) {  // NaN, infinities and out-of-range values: x86's answer
      x.mutableData<float>()[0] = std::nanf("");
      x.mutableData<float>()[1] = INFINITY;
      x.mutableData<float>()[2] = -1e30f;
      x.mutableData<float>()[3] = 0.0f;
    }
    SCOPED_TRACE(std::string(dtypeName(from)) + " to " + std::string(dtypeName(to)));
    EXPECT_EQ(expectSame(m->model, {{x}, {randomTensor(from, {3, 37}, 21)}}), 1u);
  }
  auto empty = oneOp("Cast", {tensorType(DType::Int64, {0, 4})}, {{"to", Attribute(static_cast<int64_t>(DType::Float32))}});
  EXPECT_EQ(expectSame(empty->model, {{Tensor::zeros(DType::Int64, {0, 4})}}), 1u);
}

TEST(JitShapeOps, PadModes) {
  struct Case {
    std::vector<int64_t> dims, pads;
    const char* mode;
  };
  const std::vector<Case> cases = {
      {{3, 5}, {1, 2, 0, 3}, "constant"},      {{2, 3, 4}, {0, 1, 1, 1, 0, 2}, "constant"},
      {{4, 6}, {-1, 2, 1, -3}, "constant"},    {{3, 5}, {2, 4, 1, 4}, "reflect"},
      {{2, 1, 4}, {1, 3, 2, 0, 2, 3}, "reflect"}, {{3, 5}, {2, 7, 4, 1}, "edge"},
      {{1, 1}, {0, 2, 3, 0}, "edge"},          {{0, 3}, {1, 0, 1, 0}, "constant"}};
  for (const auto& c : cases) {
    for (bool withFill : {false, true}) {
      if (withFill && std::string(c.mode) != "constant") continue;
      std::vector<Type> types = {tensorType(DType::Float32, c.dims), tensorType(DType::Int64, {static_cast<int64_t>(c.pads.size())})};
      std::vector<Tensor> in = {randomTensor(DType::Float32, c.dims, 22), i64s(c.pads)};
      if (withFill) {
        types.push_back(tensorType(DType::Float32, {}));
        in.push_back(Tensor::fromVector<float>(DType::Float32, {}, {2.5f}));
      }
      auto m = oneOp("Pad", types, {{"mode", Attribute(std::string(c.mode))}});
      SCOPED_TRACE(std::string(c.mode) + " " + testing::dimsText(c.dims) + " pads " + testing::dimsText(c.pads));
      EXPECT_EQ(expectSame(m->model, {in}), 1u);
    }
  }
  auto ints64 = oneOp("Pad", {tensorType(DType::Int64, {3, 4}), tensorType(DType::Int64, {4})}, {{"mode", Attribute(std::string("edge"))}});
  EXPECT_EQ(expectSame(ints64->model, {{randomTensor(DType::Int64, {3, 4}, 23), i64s({1, 2, 3, 4})}}), 1u);
}

TEST(JitShapeOps, IntegerDivTruncatesAndRefusesZero) {
  for (DType dtype : {DType::Int32, DType::Int64}) {
    auto m = oneOp("Div", {tensorType(dtype, {7, 13}), tensorType(dtype, {13})});
    Tensor b = randomTensor(dtype, {13}, 24);
    for (int64_t i = 0; i < 13; ++i)
      if (b.scalarAsInt(i) == 0) dtype == DType::Int32 ? void(b.mutableData<int32_t>()[i] = -1) : void(b.mutableData<int64_t>()[i] = -1);
    EXPECT_EQ(expectSame(m->model, {{randomTensor(dtype, {7, 13}, 25), b}}), 1u);
    expectError(m->model, {randomTensor(dtype, {7, 13}, 26), Tensor::zeros(dtype, {13})}, "division by zero");
  }
}

TEST(JitShapeOps, ConstantOfShape) {
  auto zero = oneOp("ConstantOfShape", {tensorType(DType::Int64, {3})});
  EXPECT_EQ(expectSame(zero->model, {{i64s({2, 3, 4})}, {i64s({2, 0, 4})}, {i64s({1, 1, 1})}}), 1u);
  auto ones = oneOp("ConstantOfShape", {tensorType(DType::Int64, {2})},
                    {{"value", Attribute(Tensor::fromVector<int64_t>(DType::Int64, {1}, {-7}))}});
  EXPECT_EQ(expectSame(ones->model, {{i64s({5, 3})}}), 1u);
  auto half = oneOp("ConstantOfShape", {tensorType(DType::Int64, {1})},
                    {{"value", Attribute(Tensor::fromVector<float>(DType::Float32, {1}, {0.5f}))}});
  EXPECT_EQ(expectSame(half->model, {{i64s({9})}}), 1u);
}

}  // namespace
}  // namespace kiln::llvmjit
