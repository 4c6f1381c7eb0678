#include <gtest/gtest.h>

#include "ir/graph.h"
#include "ir/model.h"
#include "ir/op_registry.h"

namespace kiln {
namespace {

TEST(Dim, SymbolicArithmeticIsCanonicalAndInterned) {
  Dim b = Dim::symbol("batch"), s = Dim::symbol("sequence");
  EXPECT_EQ((b + b).str(), "2*batch");
  EXPECT_EQ((b * s).str(), "batch*sequence");
  EXPECT_EQ((s + Dim(1)).str(), "sequence+1");
  EXPECT_EQ((b * s).expr(), (s * b).expr());  // interned: same pointer
  EXPECT_EQ(exactDiv(b * Dim(12), Dim(4)).str(), "3*batch");
  EXPECT_EQ(exactDiv(b * s, s), b);
  EXPECT_TRUE(exactDiv(b + Dim(1), Dim(2)).isUnknown());
  EXPECT_EQ((b - b), Dim(0));
  EXPECT_EQ(Dim::symbol("a b").str(), "\"a b\"");
  EXPECT_FALSE(Dim().provablyEqual(Dim()));
}

TEST(Graph, UseListsFollowRewrites) {
  Graph g;
  Value* x = g.addInput("x", Type::tensor(DType::Float32, {Dim::symbol("batch"), 4}));
  Node* relu = g.createNode("", "Relu", {x});
  Value* r = relu->addOutput("r");
  Node* neg = g.createNode("", "Neg", {r});
  Value* n = neg->addOutput("n");
  g.addOutput(n);
  ASSERT_EQ(x->uses().size(), 1u);
  EXPECT_TRUE(n->isGraphOutput());

  // Bypass Relu: Neg reads x directly; Relu loses its only use and can be erased.
  r->replaceAllUsesWith(x);
  EXPECT_EQ(neg->input(0), x);
  EXPECT_FALSE(r->hasUses());
  g.eraseNode(relu);
  EXPECT_EQ(g.nodes().size(), 1u);
  EXPECT_EQ(x->uses().size(), 1u);

  // Erasing while iterating is safe.
  for (Node* node : g.nodes()) {
    node->output(0)->replaceAllUsesWith(x);
    g.eraseNode(node);
  }
  EXPECT_TRUE(g.nodes().empty());
  EXPECT_EQ(g.output(0), x);
}

TEST(Graph, CloneRemapsCapturedValuesInSubgraphs) {
  Graph g;
  Value* x = g.addInput("x", Type::tensor(DType::Float32, {2}));
  Node* cond = g.createNode("", "Cast", {x});
  Value* c = cond->addOutput("c");
  auto body = std::make_unique<Graph>("then");
  Node* inner = body->createNode("", "Neg", {c});  // captures c from the outer graph
  body->addOutput(inner->addOutput("y"));
  Node* ifNode = g.createNode("", "If", {c});
  ifNode->setAttr("then_branch", Attribute(std::move(body)));
  g.addOutput(ifNode->addOutput("out"));
  EXPECT_EQ(c->uses().size(), 2u);

  auto copy = g.clone();
  Node* copiedIf = copy->nodes().back();
  Graph* copiedBody = copiedIf->subgraphs().at(0);
  EXPECT_EQ(copiedBody->parentNode(), copiedIf);
  Value* captured = copiedBody->nodes().front()->input(0);
  EXPECT_NE(captured, c);
  EXPECT_EQ(captured, copy->nodes().front()->output(0));
}

TEST(Registry, BuiltinHasConstant) {
  const OpSchema* s = OpRegistry::builtin().lookup("", "Constant");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->maxInputs, 0);
}

}  // namespace
}  // namespace kiln
