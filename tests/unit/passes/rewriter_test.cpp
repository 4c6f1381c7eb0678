#include <gtest/gtest.h>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/rewriter.h"

namespace kiln {
namespace {

Model parse(std::string_view text) {
  auto m = parseModel(text);
  EXPECT_TRUE(m.hasValue()) << m.status().str();
  return m.take();
}

Node* nodeNamed(const Graph& g, std::string_view output) {
  for (Node* n : g.nodes())
    if (n->output(0) && n->output(0)->name() == output) return n;
  return nullptr;
}

TEST(Rewriter, ReplacingAGraphOutputKeepsItsNameByRenaming) {
  Model m = parse(
      "graph @g(%x: f32[2]) -> (%y: f32[2]) {\n"
      "  %a = Neg(%x) : f32[2]\n"
      "  %y = Identity(%a) : f32[2]\n"
      "  return %y\n"
      "}\n");
  Graph& g = *m.graph;
  Rewriter rw;
  Node* id = nodeNamed(g, "y");
  Value* a = nodeNamed(g, "a")->output(0);
  EXPECT_FALSE(rw.needsIdentityToReplace(id->output(0), a));
  rw.replaceAllUsesWith(id->output(0), a);
  rw.eraseNode(id);
  EXPECT_EQ(g.output(0), a);
  EXPECT_EQ(a->name(), "y");
  EXPECT_TRUE(verifyGraph(g).empty());
  EXPECT_EQ(rw.changes(), 3u);  // replace, rename, erase
}

TEST(Rewriter, ReplacingAGraphOutputByAnInputInsertsAnIdentity) {
  Model m = parse(
      "graph @g(%x: f32[2]) -> (%y: f32[2], %z: f32[2]) {\n"
      "  %y = Neg(%x) : f32[2]\n"
      "  %z = Abs(%y) : f32[2]\n"
      "  return %y, %z\n"
      "}\n");
  Graph& g = *m.graph;
  Rewriter rw;
  Value* y = g.output(0);
  Value* x = g.input(0);
  EXPECT_TRUE(rw.needsIdentityToReplace(y, x));
  rw.replaceAllUsesWith(y, x);
  EXPECT_FALSE(y->hasUses());
  rw.eraseNode(y->producer());
  EXPECT_EQ(g.output(0)->name(), "y");
  EXPECT_EQ(g.output(0)->producer()->opType(), "Identity");
  EXPECT_EQ(g.output(0)->producer()->input(0), x);
  EXPECT_EQ(nodeNamed(g, "z")->input(0), x);
  EXPECT_TRUE(verifyGraph(g).empty());
}

TEST(Rewriter, AValueAlreadyReturnedCannotTakeASecondOutputName) {
  Model m = parse(
      "graph @g(%x: f32[2]) -> (%a: f32[2], %b: f32[2]) {\n"
      "  %a = Neg(%x) : f32[2]\n"
      "  %b = Neg(%x) : f32[2]\n"
      "  return %a, %b\n"
      "}\n");
  Graph& g = *m.graph;
  Rewriter rw;
  Value* b = g.output(1);
  EXPECT_TRUE(rw.needsIdentityToReplace(b, g.output(0)));
  rw.replaceAllUsesWith(b, g.output(0));
  rw.eraseNode(b->producer());
  EXPECT_EQ(g.output(0)->name(), "a");
  EXPECT_EQ(g.output(1)->name(), "b");
  EXPECT_TRUE(verifyGraph(g).empty());
}

TEST(Rewriter, FreshNamesAreUniqueAcrossSubgraphs) {
  Model m = parse(
      "graph @g(%x: f32[2], %c: bool[]) -> (%y: f32[2]) {\n"
      "  %y = If(%c) {else_branch = graph @e() -> (%v: f32[2]) {\n"
      "    %v = Neg(%x) : f32[2]\n"
      "    return %v\n"
      "  }, then_branch = graph @t() -> (%v_1: f32[2]) {\n"
      "    %v_1 = Abs(%x) : f32[2]\n"
      "    return %v_1\n"
      "  }} : f32[2]\n"
      "  return %y\n"
      "}\n");
  Rewriter rw;
  EXPECT_EQ(rw.freshName(*m.graph, "v"), "v_2");
  EXPECT_EQ(rw.freshName(*m.graph, "v"), "v_3");
  EXPECT_EQ(rw.freshName(*m.graph, "new"), "new");
  Value* c = rw.createConstant(*m.graph, m.graph->nodes().front(),
                               Tensor::fromVector<float>(DType::Float32, {2}, {1, 2}), "x");
  EXPECT_EQ(c->name(), "x_1");
  EXPECT_EQ(c->type().str(), "f32[2]");
  EXPECT_NE(c->producer()->schema(), nullptr);
}

TEST(Rewriter, CountsOnlyRealChanges) {
  Model m = parse(
      "graph @g(%x: f32[2]) -> (%y: f32[2]) {\n"
      "  %y = Neg(%x) : f32[2]\n"
      "  return %y\n"
      "}\n");
  Rewriter rw;
  Node* n = m.graph->nodes().front();
  rw.setInput(n, 0, m.graph->input(0));  // same value
  rw.setType(n->output(0), n->output(0)->type());
  rw.setAttr(n, "alpha", Attribute(1.0f));
  rw.setAttr(n, "alpha", Attribute(1.0f));  // same value again
  EXPECT_EQ(rw.changes(), 1u);
  rw.removeAttr(n, "missing");
  EXPECT_EQ(rw.changes(), 1u);
  // setInput past the end appends omitted operands.
  rw.setInput(n, 2, m.graph->input(0));
  EXPECT_EQ(n->numInputs(), 3u);
  EXPECT_EQ(n->input(1), nullptr);
  EXPECT_EQ(rw.changes(), 2u);
}

TEST(RewriterDeathTest, ErasingANodeWithUsesIsAKilnBug) {
  Model m = parse(
      "graph @g(%x: f32[2]) -> (%y: f32[2]) {\n"
      "  %a = Neg(%x) : f32[2]\n"
      "  %y = Abs(%a) : f32[2]\n"
      "  return %y\n"
      "}\n");
  Rewriter rw;
  Node* a = m.graph->nodes().front();
  EXPECT_DEATH(rw.eraseNode(a), "still has 1 use\\(s\\) of output 'a'");
}

}  // namespace
}  // namespace kiln
