// Pass behaviour that golden files cannot show well: counts, interactions between passes,
// and properties checked against the reference interpreter on random inputs.

#include <gtest/gtest.h>

#include "backends/reference/interpreter.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "passes/passes.h"
#include "passes/pipelines.h"

namespace kiln {
namespace {

Model parse(std::string_view text) {
  auto m = parseModel(text);
  EXPECT_TRUE(m.hasValue()) << m.status().str();
  return m.take();
}

Status runPipeline(Model& m, std::string_view pipeline, PassManager** out = nullptr) {
  static std::unique_ptr<PassManager> last;
  last = std::make_unique<PassManager>(PassManagerOptions{.verifyEach = true});
  KILN_RETURN_IF_ERROR(last->addPipeline(pipeline));
  if (out) *out = last.get();
  return last->run(m);
}

TEST(Dce, RemovesANodeWithASubgraphAndThenWhatOnlyItsBranchesCaptured) {
  Model m = parse(
      "graph @g(%x: f32[2], %c: bool[]) -> (%y: f32[2]) {\n"
      "  %a = Neg(%x) : f32[2]\n"
      "  %unused = If(%c) {else_branch = graph @e() -> (%e: f32[2]) {\n"
      "    %e = Relu(%a) : f32[2]\n"
      "    return %e\n"
      "  }, then_branch = graph @t() -> (%a: f32[2]) {\n"
      "    return %a\n"
      "  }} : f32[2]\n"
      "  %y = Abs(%x) : f32[2]\n"
      "  return %y\n"
      "}\n");
  PassManager* pm = nullptr;
  ASSERT_TRUE(runPipeline(m, "dce", &pm));
  EXPECT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(pm->statistics().get("dce", "removed"), 2);
}

TEST(Cse, AndCanonicalizeConvergeWhenDuplicatesAreOutputs) {
  // CSE keeps both output names with an Identity; canonicalize must leave that Identity, or
  // the fixpoint would oscillate.
  Model m = parse(
      "graph @g(%x: f32[2]) -> (%a: f32[2], %b: f32[2]) {\n"
      "  %a = Neg(%x) : f32[2]\n"
      "  %b = Neg(%x) : f32[2]\n"
      "  return %a, %b\n"
      "}\n");
  PassManager* pm = nullptr;
  ASSERT_TRUE(runPipeline(m, "fixpoint(cse,canonicalize,dce)", &pm));
  EXPECT_TRUE(pm->warnings().empty());
  EXPECT_EQ(pm->passRuns(), 6u);
  EXPECT_EQ(m.graph->output(0)->name(), "a");
  EXPECT_EQ(m.graph->output(1)->name(), "b");
}

TEST(Cse, MergesLargeDuplicateWeightsByContent) {
  std::vector<float> values(4096);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.25f;
  Model m;
  Graph& g = *m.graph;
  Value* x = g.addInput("x", Type::tensor(DType::Float32, {4096}));
  Value* prev = x;
  for (int k = 0; k < 2; ++k) {
    Node* c = g.createNode("", "Constant", {});
    c->setAttr("value", Attribute(Tensor::fromVector<float>(DType::Float32, {4096}, values)));
    Value* w = c->addOutput("w" + std::to_string(k), Type::tensor(DType::Float32, {4096}));
    Node* add = g.createNode("", "Add", {prev, w});
    prev = add->addOutput("s" + std::to_string(k), Type::tensor(DType::Float32, {4096}));
  }
  g.addOutput(prev);
  PassManager* pm = nullptr;
  ASSERT_TRUE(runPipeline(m, "cse,dce", &pm));
  EXPECT_EQ(pm->statistics().get("cse", "merged"), 1);
  EXPECT_EQ(g.nodes().size(), 3u);  // one Constant, two Adds
}

TEST(FoldConstants, FoldedValuesMatchTheInterpreterOnTheOriginalGraph) {
  // The folded constant must hold exactly what running the unfolded graph yields.
  constexpr std::string_view text =
      "graph @g() -> (%y: ?) {\n"
      "  %a = Constant() {value = dense<f32[2,3], [1, -2, 3, -4, 5, -6]>} : f32[2,3]\n"
      "  %b = Constant() {value = dense<f32[3], [0.5, 0.25, 2]>} : f32[3]\n"
      "  %m = Mul(%a, %b)\n"
      "  %r = Relu(%m)\n"
      "  %axes = Constant() {value = dense<i64[1], [1]>} : i64[1]\n"
      "  %y = ReduceSum(%r, %axes) {keepdims = 0}\n"
      "  return %y\n"
      "}\n";
  Model original = parse(text);
  auto expected = reference::runModel(original, {});
  ASSERT_TRUE(expected.hasValue()) << expected.status().str();
  Model m = parse(text);
  ASSERT_TRUE(runPipeline(m, "shape-infer,fold-constants"));
  ASSERT_EQ(m.graph->nodes().size(), 1u);
  const Tensor& t = m.graph->nodes().front()->attr("value")->t();
  EXPECT_TRUE(t.contentEquals((*expected)[0]));
  EXPECT_EQ(m.graph->output(0)->name(), "y");
  EXPECT_EQ(m.graph->output(0)->type().str(), "f32[2]");
}

TEST(FoldBatchNorm, Float64AndEpsilon) {
  Model m = parse(
      "graph @g(%x: f64[1,1,2,2]) -> (%y: f64[1,1,2,2]) {\n"
      "  %w = Constant() {value = dense<f64[1,1,1,1], [3]>} : f64[1,1,1,1]\n"
      "  %s = Constant() {value = dense<f64[1], [2]>} : f64[1]\n"
      "  %b = Constant() {value = dense<f64[1], [1]>} : f64[1]\n"
      "  %mu = Constant() {value = dense<f64[1], [0.5]>} : f64[1]\n"
      "  %var = Constant() {value = dense<f64[1], [0.75]>} : f64[1]\n"
      "  %c = Conv(%x, %w) : f64[1,1,2,2]\n"
      "  %y = BatchNormalization(%c, %s, %b, %mu, %var) {epsilon = 0.25} : f64[1,1,2,2]\n"
      "  return %y\n"
      "}\n");
  PassManager pm({.verifyEach = true, .checkNumerics = true, .checkNumericsMaxAbsDiff = 1e-12});
  ASSERT_TRUE(pm.addPipeline("fold-batchnorm,dce"));
  ASSERT_TRUE(pm.run(m)) << printModel(m);
  // a = 2 / sqrt(0.75 + 0.25) = 2: W' = 6, b' = 1 - 2 * 0.5 = 0.
  ASSERT_EQ(m.graph->nodes().size(), 3u);
  const Node* conv = m.graph->nodes().back();
  EXPECT_EQ(conv->opType(), "Conv");
  EXPECT_EQ(conv->input(1)->producer()->attr("value")->t().data<double>()[0], 6.0);
  EXPECT_EQ(conv->input(2)->producer()->attr("value")->t().data<double>()[0], 0.0);
}

TEST(EliminateStaticShapes, ThenCleanupFoldsAWholeReshapeChain) {
  Model m = parse(
      "graph @g(%x: f32[batch,4,8]) -> (%y: ?) {\n"
      "  %s = Shape(%x)\n"
      "  %i1 = Constant() {value = dense<i64[1], [1]>} : i64[1]\n"
      "  %i2 = Constant() {value = dense<i64[1], [2]>} : i64[1]\n"
      "  %d1 = Gather(%s, %i1)\n"
      "  %d2 = Gather(%s, %i2)\n"
      "  %p = Mul(%d1, %d2)\n"
      "  %m = Constant() {value = dense<i64[1], [-1]>} : i64[1]\n"
      "  %shape = Concat(%m, %p) {axis = 0}\n"
      "  %y = Reshape(%x, %shape)\n"
      "  return %y\n"
      "}\n");
  ASSERT_TRUE(runPipeline(m, "shape-infer,eliminate-static-shapes,fixpoint(fold-constants,canonicalize,cse,dce)"));
  ASSERT_EQ(m.graph->nodes().size(), 2u) << printModel(m);
  const Tensor& shape = m.graph->nodes().front()->attr("value")->t();
  EXPECT_EQ(shape.scalarAsInt(0), -1);
  EXPECT_EQ(shape.scalarAsInt(1), 32);
  EXPECT_EQ(m.graph->output(0)->type().str(), "f32[batch,32]");
}

TEST(OptimizationLevels, O2KeepsNumericsOnAConvBnReluNet) {
  Model m = parse(
      "graph @g(%x: f32[1,2,4,4]) -> (%y: ?) {\n"
      "  %w = Constant() {value = dense<f32[2,2,1,1], [1, -1, 0.5, 2]>} : f32[2,2,1,1]\n"
      "  %s = Constant() {value = dense<f32[2], [1.5, 0.5]>} : f32[2]\n"
      "  %b = Constant() {value = dense<f32[2], [0.1, -0.2]>} : f32[2]\n"
      "  %mu = Constant() {value = dense<f32[2], [0.3, -0.4]>} : f32[2]\n"
      "  %var = Constant() {value = dense<f32[2], [0.9, 1.1]>} : f32[2]\n"
      "  %c = Conv(%x, %w)\n"
      "  %n = BatchNormalization(%c, %s, %b, %mu, %var)\n"
      "  %d = Dropout(%n)\n"
      "  %r = Relu(%d)\n"
      "  %sh = Shape(%r)\n"
      "  %y = Reshape(%r, %sh)\n"
      "  return %y\n"
      "}\n");
  PassManager pm({.verifyEach = true, .checkNumerics = true});
  ASSERT_TRUE(pm.addPipeline(printPipeline(2)));
  ASSERT_TRUE(pm.run(m));
  std::vector<std::string> ops;
  for (const Node* n : m.graph->nodes()) ops.push_back(n->opType());
  // BN folds into the Conv, Dropout and the Reshape go, and fuse-patterns takes Conv+Relu.
  EXPECT_EQ(ops, (std::vector<std::string>{"Constant", "Constant", "FusedConv"})) << printModel(m);
  EXPECT_EQ(m.graph->output(0)->name(), "y");
}

}  // namespace
}  // namespace kiln
