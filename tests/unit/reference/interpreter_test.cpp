// The interpreter's own contract (Constant sharing, value lifetimes, dtype checks, errors that
// name the node) and the shared tensor helpers, on hand-built IR. Kernel numerics are checked
// against ONNX Runtime in op_cases_test.cpp.

#include <gtest/gtest.h>

#include <random>

#include "backends/reference/interpreter.h"
#include "backends/reference/tensor_util.h"
#include "ir/graph.h"

namespace kiln::reference {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::fromVector<float>(DType::Float32, std::move(dims), v); }
Tensor i32(std::vector<int64_t> dims, std::vector<int32_t> v) { return Tensor::fromVector<int32_t>(DType::Int32, std::move(dims), v); }

template <typename T>
std::vector<T> values(const RuntimeValue& v) {
  auto d = std::get<Tensor>(v).data<T>();
  return {d.begin(), d.end()};
}

TEST(Interpreter, RunsAChainAndSharesConstants) {
  Graph g;
  Value* x = g.addInput("x", Type::tensor(DType::Float32, Shape({Dim(3)})));
  Tensor weights = f32({3}, {1, -5, 2});
  Node* c = g.createNode("", "Constant", {});
  c->setAttr("value", weights);
  Value* w = c->addOutput("w");
  Node* add = g.createNode("", "Add", {x, w});
  Value* s = add->addOutput("s", Type::tensor(DType::Float32));
  Node* relu = g.createNode("", "Relu", {s});
  g.addOutput(relu->addOutput("y"));
  g.addOutput(w);  // a constant returned as is

  Interpreter interp;
  std::vector<RuntimeValue> in = {f32({3}, {1, 2, 3})};
  auto out = interp.run(g, in);
  ASSERT_TRUE(out) << out.status().str();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{2, 0, 5}));
  // The Constant's output is the attribute's buffer itself, not a copy.
  EXPECT_EQ(std::get<Tensor>((*out)[1]).buffer(), c->attr("value")->t().buffer());
}

TEST(Interpreter, ErrorsNameTheNode) {
  Graph g;
  Value* a = g.addInput("a", Type());
  Value* b = g.addInput("b", Type());
  Node* mm = g.createNode("", "MatMul", {a, b});
  mm->setName("MatMul_12");
  g.addOutput(mm->addOutput("y"));
  Interpreter interp;
  std::vector<RuntimeValue> in = {f32({2, 3}, std::vector<float>(6)), f32({4, 2}, std::vector<float>(8))};
  auto out = interp.run(g, in);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.status().str(), "node 'MatMul_12' (MatMul): inner dims differ (3 vs 4)");
}

TEST(Interpreter, DTypeDispatchErrorsGetTheNodeToo) {
  Graph g;
  Value* a = g.addInput("a", Type());
  Node* e = g.createNode("", "Exp", {a});
  e->setName("exp0");
  g.addOutput(e->addOutput("y"));
  std::vector<RuntimeValue> in = {i32({2}, {1, 2})};
  auto out = Interpreter().run(g, in);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.status().str(), "node 'exp0' (Exp): unsupported element type 'i32'");
}

TEST(Interpreter, UnknownOpIsAnError) {
  Graph g;
  Value* a = g.addInput("a", Type());
  Node* n = g.createNode("com.example", "Frobnicate", {a});
  n->setName("f");
  g.addOutput(n->addOutput("y"));
  std::vector<RuntimeValue> in = {f32({1}, {1})};
  auto out = Interpreter().run(g, in);
  ASSERT_FALSE(out);
  EXPECT_NE(out.status().str().find("no reference kernel for op 'com.example.Frobnicate'"), std::string::npos)
      << out.status().str();
}

TEST(Interpreter, ChecksOutputDTypeAgainstTheIR) {
  Graph g;
  Value* a = g.addInput("a", Type());
  Node* n = g.createNode("", "Abs", {a});
  g.addOutput(n->addOutput("y", Type::tensor(DType::Float64)));
  std::vector<RuntimeValue> in = {f32({1}, {-1})};
  auto out = Interpreter().run(g, in);
  ASSERT_FALSE(out);
  EXPECT_NE(out.status().str().find("output 'y' is f32 but the IR says f64"), std::string::npos) << out.status().str();
}

TEST(Interpreter, UsesGraphInputDefaults) {
  Graph g;
  Value* a = g.addInput("a", Type());
  Value* b = g.addInput("b", Type());
  g.inputDefaults().push_back({b, f32({1}, {10})});
  Node* n = g.createNode("", "Add", {a, b});
  g.addOutput(n->addOutput("y"));
  std::vector<RuntimeValue> in = {f32({2}, {1, 2})};
  auto out = Interpreter().run(g, in);
  ASSERT_TRUE(out) << out.status().str();
  EXPECT_EQ(values<float>((*out)[0]), (std::vector<float>{11, 12}));
  std::vector<RuntimeValue> none;
  EXPECT_FALSE(Interpreter().run(g, none));  // `a` has no default
}

TEST(Interpreter, RunNodeAndRunModel) {
  Model m;
  Value* a = m.graph->addInput("a", Type());
  Node* n = m.graph->createNode("", "Mul", {a, a});
  m.graph->addOutput(n->addOutput("y"));
  RuntimeValue x = i32({3}, {-2, 3, 4});
  const RuntimeValue* args[] = {&x, &x};
  auto r = Interpreter().runNode(*n, args);
  ASSERT_TRUE(r) << r.status().str();
  EXPECT_EQ(values<int32_t>((*r)[0]), (std::vector<int32_t>{4, 9, 16}));
  auto outs = runModel(m, {i32({1}, {7})});
  ASSERT_TRUE(outs) << outs.status().str();
  EXPECT_EQ((*outs)[0].data<int32_t>()[0], 49);
}

TEST(Interpreter, RefusesWhatItCannotReproduce) {
  auto runOne = [](const char* op, std::vector<RuntimeValue> in, size_t outputs = 1) {
    Graph g;
    std::vector<Value*> ins;
    for (size_t i = 0; i < in.size(); ++i) ins.push_back(g.addInput("x" + std::to_string(i), Type()));
    Node* n = g.createNode("", op, ins);
    n->setName("n");
    for (size_t i = 0; i < outputs; ++i) g.addOutput(n->addOutput("y" + std::to_string(i)));
    return Interpreter().run(g, in);
  };
  Tensor yes = Tensor::fromVector<uint8_t>(DType::Bool, {}, {1});
  auto drop = runOne("Dropout", {f32({2}, {1, 2}), f32({}, {0.5f}), yes}, 2);
  ASSERT_FALSE(drop);
  EXPECT_NE(drop.status().str().find("training-mode Dropout"), std::string::npos);
  auto div = runOne("Div", {i32({2}, {1, 2}), i32({2}, {1, 0})});
  ASSERT_FALSE(div);
  EXPECT_EQ(div.status().str(), "node 'n' (Div): integer division by zero");
  auto bcast = runOne("Add", {f32({2}, {1, 2}), f32({3}, {1, 2, 3})});
  ASSERT_FALSE(bcast);
  EXPECT_NE(bcast.status().str().find("cannot be broadcast"), std::string::npos);
}

// ---- tensor_util ---------------------------------------------------------------------------

TEST(TensorUtil, BroadcastWalkMatchesNaiveIndexing) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t rank = rng() % 5;
    std::vector<int64_t> out(rank), a(rank), b;
    for (size_t d = 0; d < rank; ++d) {
      out[d] = 1 + rng() % 4;
      a[d] = rng() % 3 == 0 ? 1 : out[d];
    }
    // b has a random suffix of the axes (right-aligned broadcasting).
    size_t bRank = rank ? rng() % (rank + 1) : 0;
    for (size_t d = rank - bRank; d < rank; ++d) b.push_back(rng() % 2 ? 1 : out[d]);
    auto shape = broadcastShapes(a, b);
    ASSERT_TRUE(shape);
    std::vector<int64_t> seenA(static_cast<size_t>(product(*shape)), -1), seenB(seenA.size(), -1);
    forEachBroadcast<2>(*shape, {a, b}, [&](int64_t o, const std::array<int64_t, 2>& off, int64_t n,
                                             const std::array<int64_t, 2>& s) {
      for (int64_t i = 0; i < n; ++i) {
        seenA[o + i] = off[0] + i * s[0];
        seenB[o + i] = off[1] + i * s[1];
      }
    });
    // Naive: unravel each output index, clamp broadcast axes to 0, ravel into the input.
    const auto strides = contiguousStrides(*shape);
    for (int64_t o = 0; o < product(*shape); ++o) {
      int64_t ia = 0, ib = 0;
      for (size_t d = 0; d < shape->size(); ++d) {
        const int64_t idx = (o / strides[d]) % (*shape)[d];
        ia = ia * a[d] + (a[d] == 1 ? 0 : idx);
        const size_t shift = shape->size() - b.size();
        if (d >= shift) ib = ib * b[d - shift] + (b[d - shift] == 1 ? 0 : idx);
      }
      ASSERT_EQ(seenA[o], ia) << "trial " << trial << " element " << o;
      ASSERT_EQ(seenB[o], ib) << "trial " << trial << " element " << o;
    }
  }
}

TEST(TensorUtil, AxesAndIntegerInputs) {
  EXPECT_EQ(*normalizeAxis(-1, 4), 3);
  EXPECT_FALSE(normalizeAxis(4, 4));
  EXPECT_FALSE(normalizeAxes(std::vector<int64_t>{1, -3}, 4));  // same axis twice
  EXPECT_EQ(*readInt64List(Tensor::fromVector<uint8_t>(DType::UInt8, {2}, {3, 250})), (std::vector<int64_t>{3, 250}));
  EXPECT_FALSE(readInt64List(f32({1}, {1})));
  EXPECT_FALSE(checkedElementCount(std::vector<int64_t>{int64_t{1} << 40, int64_t{1} << 40}));
  EXPECT_EQ(*checkedElementCount(std::vector<int64_t>{int64_t{1} << 40, 0, int64_t{1} << 40}), 0);
  EXPECT_EQ(contiguousStrides(std::vector<int64_t>{2, 3, 4}), (std::vector<int64_t>{12, 4, 1}));
}

TEST(TensorUtil, CastRoundsHalvesToEven) {
  // 2049 is halfway between the f16 neighbours 2048 and 2050: ties go to the even mantissa.
  auto h = castTensor(f32({3}, {2049, 2051, 1.0f / 3}), DType::Float16);
  ASSERT_TRUE(h);
  auto back = castTensor(*h, DType::Float32);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data<float>()[0], 2048);
  EXPECT_EQ(back->data<float>()[1], 2052);
  auto s = castTensor(f32({2}, {1.5f, -2}), DType::String);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->strings(), (std::vector<std::string>{"1.5", "-2"}));
  auto n = castTensor(Tensor::fromStrings({2}, {"7", "-3"}), DType::Int64);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->data<int64_t>()[1], -3);
  EXPECT_FALSE(castTensor(Tensor::fromStrings({1}, {"seven"}), DType::Int64));
}

}  // namespace
}  // namespace kiln::reference
