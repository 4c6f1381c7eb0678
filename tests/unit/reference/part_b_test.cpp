// Hand-built IR through the reference interpreter: data movement, control flow, sequences,
// quantization, einsum, resize and RNN kernels, with expected values worked out by hand (or
// by numpy semantics noted beside them). The generated ONNX Runtime table
// (tests/reference/op_cases_b.py) covers the attribute variants at scale.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/reference/interpreter.h"
#include "backends/reference/tensor_util_b.h"
#include "ir/graph.h"
#include "ir/op_registry.h"
#include "tests/reference/case_compare.h"

namespace kiln::reference {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::fromVector<float>(DType::Float32, std::move(dims), v); }
Tensor i64(std::vector<int64_t> dims, std::vector<int64_t> v) { return Tensor::fromVector<int64_t>(DType::Int64, std::move(dims), v); }
Tensor boolean(bool b) { return Tensor::fromVector<uint8_t>(DType::Bool, {}, {static_cast<uint8_t>(b)}); }

template <typename T>
std::vector<T> values(const Tensor& t) {
  auto d = t.data<T>();
  return {d.begin(), d.end()};
}

/// One-node graph: inputs become graph inputs (nullopt: omitted optional input), then runs it.
struct OneNode {
  Graph graph;
  Node* node = nullptr;
  std::vector<RuntimeValue> args;

  OneNode(std::string op, std::vector<std::optional<RuntimeValue>> inputs, size_t numOutputs = 1) {
    std::vector<Value*> ins;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i]) {
        ins.push_back(nullptr);
        continue;
      }
      ins.push_back(graph.addInput("in" + std::to_string(i), Type()));
      args.push_back(*inputs[i]);
    }
    node = graph.createNode("", std::move(op), ins);
    for (size_t i = 0; i < numOutputs; ++i) graph.addOutput(node->addOutput("out" + std::to_string(i)));
  }
  OneNode& attr(std::string name, Attribute a) {
    node->setAttr(std::move(name), std::move(a));
    return *this;
  }
  std::vector<RuntimeValue> run() {
    Interpreter interp;
    auto r = interp.run(graph, args);
    EXPECT_TRUE(r.hasValue()) << (r.hasValue() ? "" : r.status().str());
    return r.hasValue() ? r.take() : std::vector<RuntimeValue>{};
  }
  Tensor run1() {
    auto r = run();
    return r.empty() ? Tensor() : std::get<Tensor>(r[0]);
  }
  Status runError() {
    Interpreter interp;
    auto r = interp.run(graph, args);
    return r.hasValue() ? Status::ok() : r.takeStatus();
  }
};

std::vector<float> iota(int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  return v;
}

TEST(ShapeKernels, ReshapeZeroAndMinusOneShareBytes) {
  Tensor x = f32({2, 3, 4}, iota(24));
  OneNode n("Reshape", {x, i64({3}, {0, -1, 2})});
  Tensor y = n.run1();
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{2, 6, 2}));
  EXPECT_EQ(y.rawData(), x.rawData());  // a view, not a copy
}

TEST(ShapeKernels, ReshapeAllowZeroKeepsZero) {
  OneNode n("Reshape", {f32({0, 3}, {}), i64({2}, {3, 0})});
  n.attr("allowzero", int64_t{1});
  EXPECT_EQ(n.run1().dims(), (std::vector<int64_t>{3, 0}));
  OneNode bad("Reshape", {f32({2, 3}, iota(6)), i64({2}, {-1, -1})});
  EXPECT_FALSE(bad.runError().isOk());
}

TEST(ShapeKernels, TransposeAndStrings) {
  OneNode n("Transpose", {f32({2, 3}, iota(6))});
  Tensor y = n.run1();
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  OneNode s("Transpose", {Tensor::fromStrings({2, 2}, {"a", "b", "c", "d"})});
  EXPECT_EQ(s.run1().strings(), (std::vector<std::string>{"a", "c", "b", "d"}));
}

TEST(ShapeKernels, SliceNegativeStepAndClamping) {
  // x[::-2] of 0..6 with INT64 sentinels: numpy gives [6, 4, 2, 0].
  OneNode n("Slice", {f32({7}, iota(7)), i64({1}, {-1}), i64({1}, {INT64_MIN}), i64({1}, {0}), i64({1}, {-2})});
  EXPECT_EQ(values<float>(n.run1()), (std::vector<float>{6, 4, 2, 0}));
  // x[1:100, -1:0:-1] on 3x3.
  OneNode m("Slice", {f32({3, 3}, iota(9)), i64({2}, {1, -1}), i64({2}, {100, 0}), std::nullopt, i64({2}, {1, -1})});
  EXPECT_EQ(values<float>(m.run1()), (std::vector<float>{5, 4, 8, 7}));
}

TEST(ShapeKernels, PadModes) {
  Tensor x = f32({4}, {1, 2, 3, 4});
  auto pad = [&](const char* mode) {
    OneNode n("Pad", {x, i64({2}, {2, 3})});
    n.attr("mode", mode);
    return values<float>(n.run1());
  };
  // numpy.pad([1,2,3,4], (2,3), mode=...).
  EXPECT_EQ(pad("constant"), (std::vector<float>{0, 0, 1, 2, 3, 4, 0, 0, 0}));
  EXPECT_EQ(pad("reflect"), (std::vector<float>{3, 2, 1, 2, 3, 4, 3, 2, 1}));
  EXPECT_EQ(pad("edge"), (std::vector<float>{1, 1, 1, 2, 3, 4, 4, 4, 4}));
  EXPECT_EQ(pad("wrap"), (std::vector<float>{3, 4, 1, 2, 3, 4, 1, 2, 3}));
  // Pads wider than the axis repeat, as numpy.pad([1,2,3], (4,5), mode) does.
  auto wide = [&](const char* mode) {
    OneNode n("Pad", {f32({3}, {1, 2, 3}), i64({2}, {4, 5})});
    n.attr("mode", mode);
    return values<float>(n.run1());
  };
  EXPECT_EQ(wide("wrap"), (std::vector<float>{3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2}));
  EXPECT_EQ(wide("reflect"), (std::vector<float>{1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2}));
  // Constant value and axes inputs; negative pads crop.
  OneNode n("Pad", {f32({2, 3}, iota(6)), i64({2}, {-1, 1}), f32({}, {9}), i64({1}, {-1})});
  EXPECT_EQ(values<float>(n.run1()), (std::vector<float>{1, 2, 9, 4, 5, 9}));
}

TEST(ShapeKernels, SplitNumOutputsAndTile) {
  OneNode n("Split", {f32({5}, iota(5))}, 3);
  n.attr("num_outputs", int64_t{3});
  auto r = n.run();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(values<float>(std::get<Tensor>(r[0])), (std::vector<float>{0, 1}));
  EXPECT_EQ(values<float>(std::get<Tensor>(r[2])), (std::vector<float>{4}));
  OneNode t("Tile", {f32({2}, {1, 2}), i64({1}, {3})});
  EXPECT_EQ(values<float>(t.run1()), (std::vector<float>{1, 2, 1, 2, 1, 2}));
  OneNode e("Expand", {f32({2, 1}, {1, 2}), i64({2}, {1, 3})});
  EXPECT_EQ(values<float>(e.run1()), (std::vector<float>{1, 1, 1, 2, 2, 2}));
}

TEST(ShapeKernels, DepthToSpaceModes) {
  // ONNX's documented example: x = arange(48).reshape(1, 8, 2, 3), blocksize 2.
  Tensor x = f32({1, 8, 2, 3}, iota(48));
  OneNode dcr("DepthToSpace", {x});
  dcr.attr("blocksize", int64_t{2});
  Tensor y = dcr.run1();
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{1, 2, 4, 6}));
  auto yv = values<float>(y);
  EXPECT_EQ(std::vector<float>(yv.begin(), yv.begin() + 6), (std::vector<float>{0, 12, 1, 13, 2, 14}));
  OneNode crd("DepthToSpace", {x});
  crd.attr("blocksize", int64_t{2}).attr("mode", "CRD");
  Tensor z = crd.run1();
  auto zv = values<float>(z);
  EXPECT_EQ(std::vector<float>(zv.begin(), zv.begin() + 6), (std::vector<float>{0, 6, 1, 7, 2, 8}));
  OneNode back("SpaceToDepth", {y});
  back.attr("blocksize", int64_t{2});
  EXPECT_EQ(values<float>(back.run1()), iota(48));  // inverse of DCR
}

TEST(GatherScatterKernels, GatherNegativeIndicesAndScatterND) {
  OneNode g("Gather", {f32({3, 2}, iota(6)), i64({2}, {-1, 0})});
  EXPECT_EQ(values<float>(g.run1()), (std::vector<float>{4, 5, 0, 1}));
  OneNode bad("Gather", {f32({3}, iota(3)), i64({1}, {3})});
  EXPECT_FALSE(bad.runError().isOk());
  // ScatterND add with a repeated index accumulates.
  OneNode s("ScatterND", {f32({4}, {1, 1, 1, 1}), i64({3, 1}, {1, 1, 3}), f32({3}, {10, 20, 30})});
  s.attr("reduction", "add");
  EXPECT_EQ(values<float>(s.run1()), (std::vector<float>{1, 31, 1, 31}));
  OneNode nz("NonZero", {f32({2, 2}, {0, 1, 2, 0})});
  EXPECT_EQ(values<int64_t>(nz.run1()), (std::vector<int64_t>{0, 1, 1, 0}));
}

TEST(EinsumKernel, Equations) {
  Tensor a = f32({2, 3}, iota(6)), b = f32({3, 2}, iota(6));
  OneNode mm("Einsum", {a, b});
  mm.attr("equation", "ij,jk->ik");
  EXPECT_EQ(values<float>(mm.run1()), (std::vector<float>{10, 13, 28, 40}));
  OneNode implicit("Einsum", {a, b});
  implicit.attr("equation", "ij,jk");  // implicit output: ik
  EXPECT_EQ(values<float>(implicit.run1()), (std::vector<float>{10, 13, 28, 40}));
  OneNode trace("Einsum", {f32({3, 3}, iota(9))});
  trace.attr("equation", "ii");
  EXPECT_EQ(values<float>(trace.run1()), (std::vector<float>{12}));
  OneNode diag("Einsum", {f32({3, 3}, iota(9))});
  diag.attr("equation", "ii->i");
  EXPECT_EQ(values<float>(diag.run1()), (std::vector<float>{0, 4, 8}));
  OneNode ell("Einsum", {f32({2, 1, 3}, iota(6)), f32({3}, {1, 1, 1})});
  ell.attr("equation", "...j,j->...");
  EXPECT_EQ(values<float>(ell.run1()), (std::vector<float>{3, 12}));
}

TEST(QuantizeKernels, RoundHalfToEvenAndSaturate) {
  OneNode q("QuantizeLinear", {f32({6}, {0.5f, 1.5f, 2.5f, -0.5f, 300, -3}), f32({}, {1})});
  Tensor y = q.run1();
  EXPECT_EQ(y.dtype(), DType::UInt8);
  EXPECT_EQ(values<uint8_t>(y), (std::vector<uint8_t>{0, 2, 2, 0, 255, 0}));
  // Per axis: scales [1, 2] and zero points [0, 10] along axis 1 of a 2x2 input.
  OneNode p("QuantizeLinear", {f32({2, 2}, {4, 4, -4, -4}), f32({2}, {1, 2}),
                               Tensor::fromVector<int8_t>(DType::Int8, {2}, {0, 10})});
  EXPECT_EQ(values<int8_t>(p.run1()), (std::vector<int8_t>{4, 12, -4, 8}));
  OneNode d("DequantizeLinear", {Tensor::fromVector<int32_t>(DType::Int32, {2}, {-3, 5}), f32({}, {0.5f})});
  EXPECT_EQ(values<float>(d.run1()), (std::vector<float>{-1.5f, 2.5f}));
}

TEST(ResizeKernel, NearestAndLinear) {
  Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  OneNode n("Resize", {x, std::nullopt, f32({4}, {1, 1, 2, 2})});
  n.attr("mode", "nearest").attr("coordinate_transformation_mode", "asymmetric").attr("nearest_mode", "floor");
  EXPECT_EQ(values<float>(n.run1()), (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // align_corners linear to 3x3: the centre is the mean.
  OneNode l("Resize", {x, std::nullopt, std::nullopt, i64({2}, {3, 3})});
  l.attr("mode", "linear").attr("coordinate_transformation_mode", "align_corners").attr("axes", std::vector<int64_t>{2, 3});
  EXPECT_EQ(values<float>(l.run1()), (std::vector<float>{1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4}));
}

TEST(SequenceKernels, SplitInsertConcat) {
  OneNode s("SplitToSequence", {f32({3, 2}, iota(6))});
  s.attr("keepdims", int64_t{0});
  auto r = s.run();
  ASSERT_EQ(r.size(), 1u);
  const auto& seq = std::get<std::vector<Tensor>>(r[0]);
  ASSERT_EQ(seq.size(), 3u);
  EXPECT_EQ(seq[1].dims(), (std::vector<int64_t>{2}));
  OneNode c("ConcatFromSequence", {RuntimeValue(seq)});
  c.attr("axis", int64_t{1}).attr("new_axis", int64_t{1});
  Tensor y = c.run1();
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, 2, 4, 1, 3, 5}));
  OneNode ins("SequenceInsert", {RuntimeValue(seq), f32({2}, {9, 9}), i64({}, {-1})});
  auto out = std::get<std::vector<Tensor>>(ins.run()[0]);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(values<float>(out[2]), (std::vector<float>{9, 9}));
}

TEST(ControlFlowKernels, LoopCarriesAndConcatenatesScanOutputs) {
  // for i in range(4): acc = acc + i; emit acc * [1, 1]  -> acc = 6, scans [[0,0],[1,1],[3,3],[6,6]]
  Graph g;
  Value* m = g.addInput("M", Type::tensor(DType::Int64, Shape::scalar()));
  Value* acc0 = g.addInput("acc0", Type::tensor(DType::Int64, Shape::scalar()));
  Value* ones = g.addInput("ones", Type::tensor(DType::Int64, {2}));  // captured by the body
  auto body = std::make_unique<Graph>("body");
  Value* iter = body->addInput("i", Type::tensor(DType::Int64, Shape::scalar()));
  Value* cond = body->addInput("cond", Type::tensor(DType::Bool, Shape::scalar()));
  Value* acc = body->addInput("acc", Type::tensor(DType::Int64, Shape::scalar()));
  Node* add = body->createNode("", "Add", {acc, iter});
  Value* next = add->addOutput("next");
  Node* mul = body->createNode("", "Mul", {next, ones});
  Value* scan = mul->addOutput("scan");
  Node* id = body->createNode("", "Identity", {cond});
  body->addOutput(id->addOutput("cond_out"));
  body->addOutput(next);
  body->addOutput(scan);
  Node* loop = g.createNode("", "Loop", {m, nullptr, acc0});
  loop->setAttr("body", Attribute(std::move(body)));
  g.addOutput(loop->addOutput("acc_final"));
  g.addOutput(loop->addOutput("scans"));
  Interpreter interp;
  std::vector<RuntimeValue> args = {i64({}, {4}), i64({}, {0}), i64({2}, {1, 1})};
  auto r = interp.run(g, args);
  ASSERT_TRUE(r.hasValue()) << r.status().str();
  EXPECT_EQ(values<int64_t>(std::get<Tensor>((*r)[0])), (std::vector<int64_t>{6}));
  Tensor scans = std::get<Tensor>((*r)[1]);
  EXPECT_EQ(scans.dims(), (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(values<int64_t>(scans), (std::vector<int64_t>{0, 0, 1, 1, 3, 3, 6, 6}));
}

TEST(ControlFlowKernels, IfCapturesOuterValues) {
  Graph g;
  Value* c = g.addInput("c", Type::tensor(DType::Bool, Shape::scalar()));
  Value* x = g.addInput("x", Type::tensor(DType::Float32, {2}));
  auto thenG = std::make_unique<Graph>("then");
  Node* neg = thenG->createNode("", "Neg", {x});
  thenG->addOutput(neg->addOutput("y"));
  auto elseG = std::make_unique<Graph>("else");
  Node* idn = elseG->createNode("", "Identity", {x});
  elseG->addOutput(idn->addOutput("y"));
  Node* ifNode = g.createNode("", "If", {c});
  ifNode->setAttr("then_branch", Attribute(std::move(thenG)));
  ifNode->setAttr("else_branch", Attribute(std::move(elseG)));
  g.addOutput(ifNode->addOutput("out"));
  Interpreter interp;
  for (bool b : {true, false}) {
    std::vector<RuntimeValue> args = {boolean(b), f32({2}, {1, -2})};
    auto r = interp.run(g, args);
    ASSERT_TRUE(r.hasValue()) << r.status().str();
    EXPECT_EQ(values<float>(std::get<Tensor>((*r)[0])), b ? (std::vector<float>{-1, 2}) : (std::vector<float>{1, -2}));
  }
}

TEST(ControlFlowKernels, ScanReverseCumulativeSum) {
  // Running sum over the rows of x, scanned in reverse and emitted in reverse.
  Graph g;
  Value* s0 = g.addInput("s0", Type::tensor(DType::Float32, {2}));
  Value* x = g.addInput("x", Type::tensor(DType::Float32, {3, 2}));
  auto body = std::make_unique<Graph>("body");
  Value* s = body->addInput("s", Type::tensor(DType::Float32, {2}));
  Value* row = body->addInput("row", Type::tensor(DType::Float32, {2}));
  Node* add = body->createNode("", "Add", {s, row});
  Value* sum = add->addOutput("sum");
  Node* id = body->createNode("", "Identity", {sum});
  body->addOutput(sum);
  body->addOutput(id->addOutput("emit"));
  Node* scan = g.createNode("", "Scan", {s0, x});
  scan->setAttr("body", Attribute(std::move(body)));
  scan->setAttr("num_scan_inputs", int64_t{1});
  scan->setAttr("scan_input_directions", std::vector<int64_t>{1});
  scan->setAttr("scan_output_directions", std::vector<int64_t>{1});
  g.addOutput(scan->addOutput("final"));
  g.addOutput(scan->addOutput("sums"));
  Interpreter interp;
  std::vector<RuntimeValue> args = {f32({2}, {0, 0}), f32({3, 2}, {1, 2, 3, 4, 5, 6})};
  auto r = interp.run(g, args);
  ASSERT_TRUE(r.hasValue()) << r.status().str();
  EXPECT_EQ(values<float>(std::get<Tensor>((*r)[0])), (std::vector<float>{9, 12}));
  // Reverse scan visits rows 2, 1, 0 (sums [5,6], [8,10], [9,12]); reverse output order puts the
  // first iteration last.
  EXPECT_EQ(values<float>(std::get<Tensor>((*r)[1])), (std::vector<float>{9, 12, 8, 10, 5, 6}));
}

TEST(RnnKernels, SingleUnitRecurrences) {
  // hidden 1, input 1, W = 1, R = 0.5, no bias: h_t = tanh(x_t + 0.5 h_{t-1}).
  Tensor x = f32({2, 1, 1}, {1, -1});
  OneNode rnn("RNN", {x, f32({1, 1, 1}, {1}), f32({1, 1, 1}, {0.5f})}, 2);
  rnn.attr("hidden_size", int64_t{1});
  auto r = rnn.run();
  ASSERT_EQ(r.size(), 2u);
  const float h1 = std::tanh(1.0f), h2 = std::tanh(-1.0f + 0.5f * h1);
  auto y = values<float>(std::get<Tensor>(r[0]));
  EXPECT_NEAR(y[0], h1, 1e-6);
  EXPECT_NEAR(y[1], h2, 1e-6);
  EXPECT_NEAR(values<float>(std::get<Tensor>(r[1]))[0], h2, 1e-6);
  // GRU with W = R = 0: z = r = 0.5, candidate tanh(0) = 0, so h halves each step from 1.
  OneNode gru("GRU", {x, f32({1, 3, 1}, {0, 0, 0}), f32({1, 3, 1}, {0, 0, 0}), std::nullopt, std::nullopt,
                      f32({1, 1, 1}, {1})}, 2);
  gru.attr("hidden_size", int64_t{1});
  auto g = gru.run();
  EXPECT_EQ(values<float>(std::get<Tensor>(g[0])), (std::vector<float>{0.5f, 0.25f}));
}


/// Swaps the first two dims of a 3-D or 4-D float tensor (layout 0 <-> layout 1 of the RNNs).
Tensor swap01(const Tensor& t) {
  std::vector<int64_t> d = t.dims();
  const int64_t a = d[0], b = d[1], inner = t.numElements() / (a * b);
  std::vector<float> out(static_cast<size_t>(t.numElements()));
  auto in = t.data<float>();
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < inner; ++k) out[static_cast<size_t>((j * a + i) * inner + k)] = in[static_cast<size_t>((i * b + j) * inner + k)];
  std::swap(d[0], d[1]);
  return f32(d, out);
}

Tensor randomF32(std::vector<int64_t> dims, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(product(dims)));
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) - 0.5f;
  }
  return f32(std::move(dims), v);
}

// ONNX Runtime's CPU RNN kernels refuse layout=1, so the generated table cannot judge it; layout
// 0 is judged there, and layout 1 must equal it on transposed data.
TEST(RnnKernels, Layout1MatchesLayout0) {
  const int64_t seq = 3, batch = 2, in = 4, hid = 5;
  for (const char* op : {"LSTM", "GRU", "RNN"}) {
    for (const char* direction : {"forward", "bidirectional"}) {
      const int64_t g = std::string(op) == "LSTM" ? 4 : std::string(op) == "GRU" ? 3 : 1;
      const int64_t dirs = std::string(direction) == "bidirectional" ? 2 : 1;
      const size_t outs = std::string(op) == "LSTM" ? 3 : 2;
      Tensor x = randomF32({seq, batch, in}, 1), w = randomF32({dirs, g * hid, in}, 2), r = randomF32({dirs, g * hid, hid}, 3);
      Tensor b = randomF32({dirs, 2 * g * hid}, 4), h0 = randomF32({dirs, batch, hid}, 5), c0 = randomF32({dirs, batch, hid}, 6);
      Tensor lens = Tensor::fromVector<int32_t>(DType::Int32, {batch}, {3, 1});
      std::vector<std::optional<RuntimeValue>> args0 = {x, w, r, b, lens, h0};
      std::vector<std::optional<RuntimeValue>> args1 = {swap01(x), w, r, b, lens, swap01(h0)};
      if (g == 4) {
        args0.push_back(c0);
        args1.push_back(swap01(c0));
      }
      OneNode n0(op, args0, outs), n1(op, args1, outs);
      n0.attr("hidden_size", hid).attr("direction", direction);
      n1.attr("hidden_size", hid).attr("direction", direction).attr("layout", int64_t{1});
      auto y0 = n0.run(), y1 = n1.run();
      ASSERT_EQ(y0.size(), outs);
      ASSERT_EQ(y1.size(), outs);
      // Y: [seq, dirs, batch, hid] vs [batch, seq, dirs, hid].
      Tensor y = std::get<Tensor>(y0[0]);
      Tensor yl = reshapedView(std::get<Tensor>(y1[0]), {batch, seq * dirs, hid});
      EXPECT_EQ(values<float>(swap01(reshapedView(y, {seq * dirs, batch, hid}))), values<float>(yl)) << op << " " << direction;
      for (size_t k = 1; k < outs; ++k)
        EXPECT_EQ(values<float>(swap01(std::get<Tensor>(y0[k]))), values<float>(std::get<Tensor>(y1[k]))) << op << " " << k;
    }
  }
}

TEST(ShapeKernels, StringsMoveLikeAnyElement) {
  Tensor s = Tensor::fromStrings({2, 3}, {"a", "b", "c", "d", "e", "f"});
  OneNode c("Concat", {s, Tensor::fromStrings({1, 3}, {"x", "y", "z"})});
  c.attr("axis", int64_t{0});
  EXPECT_EQ(c.run1().strings(), (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "x", "y", "z"}));
  OneNode g("Gather", {s, i64({2}, {-1, 0})});
  g.attr("axis", int64_t{1});
  EXPECT_EQ(g.run1().strings(), (std::vector<std::string>{"c", "a", "f", "d"}));
  OneNode sl("Slice", {s, i64({1}, {-1}), i64({1}, {INT64_MIN}), i64({1}, {1}), i64({1}, {-2})});
  EXPECT_EQ(sl.run1().strings(), (std::vector<std::string>{"c", "a", "f", "d"}));
  OneNode r("Reshape", {s, i64({1}, {-1})});
  EXPECT_EQ(r.run1().dims(), (std::vector<int64_t>{6}));
  OneNode t("Tile", {Tensor::fromStrings({1}, {"q"}), i64({1}, {3})});
  EXPECT_EQ(t.run1().strings(), (std::vector<std::string>{"q", "q", "q"}));
  OneNode sp("Split", {s, i64({2}, {1, 2})}, 2);
  sp.attr("axis", int64_t{1});
  auto parts = sp.run();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(std::get<Tensor>(parts[1]).strings(), (std::vector<std::string>{"b", "c", "e", "f"}));
}

TEST(ShapeKernels, HostileShapesAreErrors) {
  OneNode tile("Tile", {f32({2}, {1, 2}), i64({1}, {INT64_MAX / 2})});
  EXPECT_FALSE(tile.runError().isOk());
  OneNode expand("Expand", {f32({1}, {1}), i64({3}, {1 << 30, 1 << 30, 1 << 30})});
  EXPECT_FALSE(expand.runError().isOk());
  OneNode cos("ConstantOfShape", {i64({2}, {-1, 3})});
  EXPECT_FALSE(cos.runError().isOk());
  OneNode split("Split", {f32({5}, iota(5)), i64({2}, {2, 2})}, 2);
  EXPECT_FALSE(split.runError().isOk());
  OneNode einsum("Einsum", {f32({2, 3}, iota(6))});
  einsum.attr("equation", "ijk->i");
  EXPECT_FALSE(einsum.runError().isOk());
}

// ---- generated cases (tests/reference/op_cases_b.py) ---------------------------------------------
// case.json as written by op_cases.py, plus the `tensor` and `graph` attribute kinds these ops
// need (ConstantOfShape's value, If/Loop/Scan bodies). Subgraph nodes resolve names through
// the enclosing graphs, as ONNX's outer-scope capture does.

namespace fs = std::filesystem;
using nlohmann::json;

Tensor loadBin(const fs::path& dir, const json& spec) {
  auto dtype = parseDType(spec.at("dtype").get<std::string>());
  EXPECT_TRUE(dtype.has_value()) << spec.dump();
  Tensor t = Tensor::zeros(*dtype, spec.at("dims").get<std::vector<int64_t>>());
  std::ifstream f(dir / spec.at("file").get<std::string>(), std::ios::binary);
  f.read(reinterpret_cast<char*>(t.mutableRawData()), static_cast<std::streamsize>(t.byteSize()));
  EXPECT_TRUE(f || t.byteSize() == 0) << "short file " << spec.at("file");
  return t;
}

using Scopes = std::vector<const std::map<std::string, Value*>*>;
void buildNodes(Graph& graph, const json& nodes, std::map<std::string, Value*>& values, const Scopes& outer,
                const std::map<std::string, DType>& outputTypes);

/// The type a case's value info describes: tensor (dims -1 unknown, null unranked) or sequence.
Type infoType(const json& info) {
  DType dtype = *parseDType(info.at("dtype").get<std::string>());
  if (info.value("sequence", false)) return Type::sequence(Type::tensor(dtype));
  if (info.at("dims").is_null()) return Type::tensor(dtype);
  std::vector<Dim> dims;
  for (int64_t d : info.at("dims").get<std::vector<int64_t>>()) dims.push_back(d < 0 ? Dim() : Dim(d));
  return Type::tensor(dtype, Shape(dims));
}

Attribute caseAttr(const json& a, const std::map<std::string, Value*>& values, const Scopes& outer) {
  const std::string type = a.at("type");
  const json& v = a.at("value");
  if (type == "int") return Attribute(v.get<int64_t>());
  if (type == "float") return Attribute(static_cast<float>(v.get<double>()));
  if (type == "string") return Attribute(v.get<std::string>());
  if (type == "ints") return Attribute(v.get<std::vector<int64_t>>());
  if (type == "strings") return Attribute(v.get<std::vector<std::string>>());
  if (type == "floats") {
    std::vector<float> f;
    for (double d : v) f.push_back(static_cast<float>(d));
    return Attribute(f);
  }
  if (type == "tensor") {
    DType dtype = *parseDType(v.at("dtype").get<std::string>());
    Tensor t = Tensor::zeros(dtype, v.at("dims").get<std::vector<int64_t>>());
    const size_t es = dtypeSize(dtype);
    size_t i = 0;
    for (const json& e : v.at("values")) {
      if (isInteger(dtype)) {
        const int64_t x = e.is_boolean() ? e.get<bool>() : e.get<int64_t>();
        std::memcpy(t.mutableRawData() + i * es, &x, es);  // little-endian low bytes
      } else {
        storeDouble(t.mutableRawData() + i * es, dtype, e.is_boolean() ? double(e.get<bool>()) : e.get<double>());
      }
      ++i;
    }
    return Attribute(std::move(t));
  }
  if (type == "graph") {
    auto g = std::make_unique<Graph>(v.at("name").get<std::string>());
    std::map<std::string, Value*> local;
    for (const json& in : v.at("inputs")) local[in.at("name")] = g->addInput(in.at("name"), infoType(in));
    Scopes inner = outer;
    inner.push_back(&values);
    buildNodes(*g, v.at("nodes"), local, inner, {});
    for (const std::string name : v.at("outputs")) {
      Value* out = local.count(name) ? local.at(name) : nullptr;
      for (auto it = inner.rbegin(); !out && it != inner.rend(); ++it)
        if ((*it)->count(name)) out = (*it)->at(name);
      EXPECT_NE(out, nullptr) << "subgraph output " << name;
      g->addOutput(out);
    }
    // Declared output types, as the importer takes them from the GraphProto (a zero-trip Loop
    // shapes its empty scan outputs from them).
    if (v.contains("output_info"))
      for (size_t i = 0; i < g->numOutputs(); ++i)
        if (g->output(i)->type().isUnknown()) g->output(i)->setType(infoType(v.at("output_info")[i]));
    return Attribute(std::move(g));
  }
  ADD_FAILURE() << "unknown attribute type " << type;
  return Attribute();
}

void buildNodes(Graph& graph, const json& nodes, std::map<std::string, Value*>& values, const Scopes& outer,
                const std::map<std::string, DType>& outputTypes) {
  auto lookup = [&](const std::string& name) -> Value* {
    if (values.count(name)) return values.at(name);
    for (auto it = outer.rbegin(); it != outer.rend(); ++it)
      if ((*it)->count(name)) return (*it)->at(name);
    ADD_FAILURE() << "unknown value " << name;
    return nullptr;
  };
  for (const json& n : nodes) {
    std::vector<Value*> operands;
    for (const std::string name : n.at("inputs")) operands.push_back(name.empty() ? nullptr : lookup(name));
    Node* node = graph.createNode(n.at("domain"), n.at("op"), operands);
    node->setName(n.at("name"));
    node->setSchema(OpRegistry::builtin().lookup(node->domain(), node->opType()));
    for (const auto& [name, a] : n.at("attrs").items()) node->setAttr(name, caseAttr(a, values, outer));
    for (const std::string name : n.at("outputs")) {
      auto it = outputTypes.find(name);
      Value* v = node->addOutput(name, it != outputTypes.end() ? Type::tensor(it->second) : Type());
      if (v) values[name] = v;
    }
  }
}

/// Builds the case graph, runs it, and returns "" or why it failed.
std::string runCase(const fs::path& dir) {
  json spec;
  std::ifstream(dir / "case.json") >> spec;
  Graph graph(spec.at("name").get<std::string>());
  std::map<std::string, Value*> values;
  std::vector<RuntimeValue> inputs;
  for (const json& in : spec.at("inputs")) {
    Tensor t = loadBin(dir, in);
    std::vector<Dim> dims(t.dims().begin(), t.dims().end());
    values[in.at("name")] = graph.addInput(in.at("name"), Type::tensor(t.dtype(), Shape(dims)));
    inputs.emplace_back(std::move(t));
  }
  std::map<std::string, DType> outputTypes;
  for (const json& out : spec.at("outputs")) outputTypes[out.at("name")] = *parseDType(out.at("dtype").get<std::string>());
  buildNodes(graph, spec.at("nodes"), values, {}, outputTypes);
  for (const json& out : spec.at("outputs")) graph.addOutput(values.at(out.at("name")));

  Interpreter interpreter;
  auto results = interpreter.run(graph, inputs);
  if (!results) return results.status().str();
  const double tol = spec.at("tol").is_null() ? 0.0 : spec.at("tol").get<double>();
  std::string failures;
  for (size_t i = 0; i < spec.at("outputs").size(); ++i) {
    const json& out = spec.at("outputs")[i];
    const Tensor* actual = std::get_if<Tensor>(&(*results)[i]);
    if (!actual) return "output " + out.at("name").get<std::string>() + " is not a tensor";
    std::string why = testing::compareTensors(*actual, loadBin(dir, out), tol);
    if (!why.empty()) failures += (failures.empty() ? "" : "; ") + out.at("name").get<std::string>() + ": " + why;
  }
  return failures;
}

TEST(OpCasesB, ReferenceMatchesOnnxRuntime) {
  // CTest passes one variable per test (a list would split), so under CTest part B's cases sit
  // in the folder `b` beside part A's `KILN_OP_CASES_DIR`.
  std::string rootDir;
  if (const char* b = std::getenv("KILN_OP_CASES_B_DIR"); b && *b) rootDir = b;
  else if (const char* a = std::getenv("KILN_OP_CASES_DIR"); a && *a) rootDir = (fs::path(a).parent_path() / "b").string();
  if (rootDir.empty()) GTEST_SKIP() << "KILN_OP_CASES_B_DIR is not set (generate with tests/reference/op_cases_b.py)";
  const char* root = rootDir.c_str();
  json index;
  std::ifstream indexFile(fs::path(root) / "index.json");
  ASSERT_TRUE(indexFile) << "no index.json in " << root;
  indexFile >> index;
  const char* filter = std::getenv("KILN_OP_CASES_FILTER");
  int ran = 0, failed = 0;
  for (const std::string name : index.at("cases")) {
    if (filter && name.find(filter) == std::string::npos) continue;
    ++ran;
    std::string why = runCase(fs::path(root) / name);
    if (!why.empty()) {
      ++failed;
      ADD_FAILURE() << "case " << name << ": " << why;
    }
  }
  std::printf("op cases (part B): %d run, %d failed\n", ran, failed);
  EXPECT_GT(ran, 0);
}

}  // namespace
}  // namespace kiln::reference
