// The verifier: each broken invariant yields the expected diagnostic, several at once are all
// reported, and well-formed IR (subgraph captures included) yields none. Schemas come from a
// registry built here, so the tests do not depend on the built-in op families (but Constant).

#include <gtest/gtest.h>

#include "ir/model.h"
#include "ir/op_registry.h"
#include "ir/parser.h"
#include "ir/verifier.h"

namespace kiln {
namespace {

/// Test ops: `test.Op` takes 1-2 inputs and gives 1-2 outputs, needs float `alpha`, may have
/// string `mode`; `test.Concat` is variadic.
const OpRegistry& testRegistry() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    r.add({.domain = "test", .name = "Op", .minInputs = 1, .maxInputs = 2, .minOutputs = 1, .maxOutputs = 2,
           .attributes = {{"alpha", AttrKind::Float, true, std::nullopt},
                          {"mode", AttrKind::String, false, Attribute("fast")}}});
    r.add({.domain = "test", .name = "Concat", .minInputs = 1, .maxInputs = OpSchema::kVariadic});
    return r;
  }();
  return registry;
}

VerifyOptions testOptions() { return {.registry = &testRegistry(), .file = "m.onnx"}; }

std::vector<std::string> verify(const Graph& g, VerifyOptions opts = testOptions()) {
  std::vector<std::string> out;
  for (const Diagnostic& d : verifyGraph(g, opts)) out.push_back(d.str());
  return out;
}

Type f32() { return Type::tensor(DType::Float32, {2}); }

/// A node of `test.Op` with `alpha` set, named `name`, producing `%out`.
Node* testOp(Graph& g, const std::string& name, std::vector<Value*> inputs, const std::string& out) {
  Node* n = g.createNode("test", "Op", std::move(inputs));
  n->setName(name);
  n->setAttr("alpha", 1.0f);
  n->addOutput(out, f32());
  return n;
}

TEST(Verifier, WellFormedGraphWithCapturesHasNoDiagnostics) {
  Graph g;
  Value* x = g.addInput("x", f32());
  Value* a = testOp(g, "A", {x}, "a")->output(0);
  Node* cat = g.createNode("test", "Concat", {a, x, a, nullptr});
  cat->setName("C");
  cat->addOutput("c", f32());
  auto body = std::make_unique<Graph>("then");
  Node* inner = testOp(*body, "Inner", {a, x}, "t");  // captures outer values defined earlier
  body->addOutput(inner->output(0));
  body->addOutput(x);  // a subgraph may return an outer value
  Node* ifNode = g.createNode("", "If", {cat->output(0)});
  ifNode->setName("If_1");
  ifNode->setAttr("then_branch", Attribute(std::move(body)));
  g.addOutput(ifNode->addOutput("r", f32()));
  g.addOutput(a);
  EXPECT_EQ(verify(g), std::vector<std::string>{});
}

TEST(Verifier, UseOfAValueProducedLaterIsACycle) {
  Graph g;
  Value* x = g.addInput("x", f32());
  Node* a = testOp(g, "A", {x}, "a");
  Node* b = testOp(g, "B", {a->output(0)}, "b");
  g.addOutput(b->output(0));
  g.moveBefore(b, a);
  EXPECT_EQ(verify(g), std::vector<std::string>{
                           "m.onnx: node 'B' (test.Op): cycle: operand 0 uses %a, which is produced later by "
                           "node 'A' (test.Op)"});
  g.moveBefore(a, b);  // back in order, so the graph can be destroyed
  EXPECT_EQ(verify(g), std::vector<std::string>{});
  // A node reading its own output.
  Graph h;
  Node* self = testOp(h, "S", {}, "s");
  self->addInput(self->output(0));
  EXPECT_EQ(verify(h), std::vector<std::string>{
                           "m.onnx: node 'S' (test.Op): cycle: operand 0 uses %s, an output of the same node"});
}

TEST(Verifier, SubgraphCapturesMustBeDefinedBeforeTheParentNode) {
  Graph g;
  Value* x = g.addInput("x", f32());
  Node* ifNode = g.createNode("", "If", {x});
  ifNode->setName("If_1");
  g.addOutput(ifNode->addOutput("r", f32()));
  Node* late = testOp(g, "Late", {x}, "late");
  auto body = std::make_unique<Graph>("then");
  Node* inner = testOp(*body, "Inner", {late->output(0)}, "t");
  body->addOutput(inner->output(0));
  ifNode->setAttr("then_branch", Attribute(std::move(body)));
  // A second subgraph uses a value that lives in the first one: out of its scope.
  auto other = std::make_unique<Graph>("else");
  Node* stray = testOp(*other, "Stray", {inner->output(0)}, "e");
  other->addOutput(stray->output(0));
  ifNode->setAttr("else_branch", Attribute(std::move(other)));
  EXPECT_EQ(verify(g), (std::vector<std::string>{
                           "m.onnx: node 'Stray' (test.Op): operand 0 uses %t from graph @then, which does not "
                           "enclose this use",
                           "m.onnx: node 'Inner' (test.Op): cycle: operand 0 captures %late from graph @main, "
                           "which is defined at or after the enclosing node 'If_1' (If)"}));
  g.moveBefore(late, ifNode);  // users must go before what they use when the graph is destroyed
  ifNode->attributes().erase("else_branch");
}

TEST(Verifier, UseListsMustNameOnlyNodesOfTheModel) {
  Graph g;
  Value* x = g.addInput("x", f32());
  Node* a = testOp(g, "A", {x}, "a");
  g.addOutput(a->output(0));
  // A pass built a node in a scratch graph that it never inserted: %x's use-list names it.
  {
    Graph scratch("scratch");
    scratch.createNode("", "Neg", {x});
    EXPECT_EQ(verify(g), std::vector<std::string>{
                             "m.onnx: use-list of %x names a node that is not in the model (erased?)"});
  }
  EXPECT_EQ(verify(g), std::vector<std::string>{});
  // And the other way round: a node of the model reading a value that is not in it.
  Graph elsewhere("elsewhere");
  Value* foreign = elsewhere.addInput("foreign", f32());
  a->addInput(foreign);
  EXPECT_EQ(verify(g), std::vector<std::string>{
                           "m.onnx: node 'A' (test.Op): operand 1 uses %foreign, which is not defined in this "
                           "model (a detached value)"});
  a->truncateInputs(1);
}

TEST(Verifier, ArityAgainstTheSchema) {
  Graph g;
  Value* x = g.addInput("x", f32());
  Node* none = g.createNode("test", "Op", {});
  none->setName("None");
  none->setAttr("alpha", 1.0f);
  none->addOutput("n0", f32());
  Node* many = testOp(g, "Many", {x, x, x}, "m0");
  many->addOutput("m1");
  many->addOutput("m2");
  Node* omitted = testOp(g, "Omitted", {nullptr, x}, "o0");
  Node* noOut = g.createNode("test", "Op", {x});
  noOut->setName("NoOut");
  noOut->setAttr("alpha", 1.0f);
  noOut->addOutput("");
  Node* cat = g.createNode("test", "Concat", {});
  cat->setName("Cat");
  cat->addOutput("c", f32());
  Node* wide = g.createNode("test", "Concat", std::vector<Value*>(40, x));
  wide->setName("Wide");
  wide->addOutput("w", f32());
  (void)omitted;
  EXPECT_EQ(verify(g), (std::vector<std::string>{
                           "m.onnx: node 'None' (test.Op): has 0 inputs, expected between 1 and 2",
                           "m.onnx: node 'Many' (test.Op): has 3 inputs, expected between 1 and 2",
                           "m.onnx: node 'Many' (test.Op): has 3 outputs, expected between 1 and 2",
                           "m.onnx: node 'Omitted' (test.Op): required input 0 is omitted",
                           "m.onnx: node 'NoOut' (test.Op): required output 0 is omitted",
                           "m.onnx: node 'Cat' (test.Concat): has 0 inputs, expected at least 1"}));
}

TEST(Verifier, AttributesAgainstTheSchema) {
  Graph g;
  Value* x = g.addInput("x", f32());
  Node* missing = g.createNode("test", "Op", {x});
  missing->setName("Missing");
  missing->addOutput("a", f32());
  Node* wrong = testOp(g, "Wrong", {x}, "b");
  wrong->setAttr("alpha", int64_t{1});
  wrong->setAttr("mode", std::vector<std::string>{"x"});
  wrong->setAttr("beta", 2.0f);
  // Ops without a schema are opaque: anything goes.
  Node* opaque = g.createNode("com.example", "Anything", {x, nullptr});
  opaque->setAttr("whatever", std::vector<int64_t>{1});
  opaque->addOutput("c");
  g.addOutput(wrong->output(0));
  EXPECT_EQ(verify(g), (std::vector<std::string>{
                           "m.onnx: node 'Missing' (test.Op): missing required attribute 'alpha'",
                           "m.onnx: node 'Wrong' (test.Op): attribute 'alpha' is int, expected float",
                           "m.onnx: node 'Wrong' (test.Op): unknown attribute 'beta'",
                           "m.onnx: node 'Wrong' (test.Op): attribute 'mode' is strings, expected string"}));
}

TEST(Verifier, BuiltinConstantNeedsItsValue) {
  Graph g;
  Node* c = g.createNode("", "Constant", {});
  c->setName("Const_0");
  g.addOutput(c->addOutput("k"));
  auto diags = verifyGraph(g);  // default options: the built-in registry
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].str(), "node 'Const_0' (Constant): missing required attribute 'value'");
  EXPECT_EQ(diags[0].node, "Const_0");
  EXPECT_EQ(diags[0].op, "Constant");
  c->setAttr("value", Tensor::zeros(DType::Float32, {1}));
  EXPECT_TRUE(verifyGraph(g).empty());
  // Without a registry, the node's own schema is used.
  Graph h;
  Node* k = h.createNode("", "Constant", {});
  k->setName("K");
  k->setSchema(OpRegistry::builtin().lookup("", "Constant"));
  h.addOutput(k->addOutput("k2"));
  EXPECT_EQ(verifyGraph(h, {.registry = nullptr}).size(), 1u);
  k->setSchema(nullptr);
  EXPECT_TRUE(verifyGraph(h, {.registry = nullptr}).empty());
}

TEST(Verifier, ValueNamesAreUniqueAcrossTheModelScope) {
  Graph g;
  Value* x = g.addInput("x", f32());
  g.addInput("", f32());
  Node* a = testOp(g, "A", {x}, "x");  // clashes with the graph input
  auto body = std::make_unique<Graph>("then");
  body->addInput("x", f32());          // clashes too, from inside a subgraph
  Node* inner = testOp(*body, "Inner", {x}, "t");
  body->addOutput(inner->output(0));
  Node* ifNode = g.createNode("", "If", {a->output(0)});
  ifNode->setName("If_1");
  ifNode->setAttr("then_branch", Attribute(std::move(body)));
  ifNode->addOutput("t", f32());       // clashes with the subgraph's value
  g.addOutput(ifNode->output(0));
  EXPECT_EQ(verify(g), (std::vector<std::string>{
                           "m.onnx: graph @main: an input has an empty name",
                           "m.onnx: node 'A' (test.Op): value name %x is already defined as an input of graph @main",
                           "m.onnx: graph @then: input name %x is already defined as an input of graph @main",
                           "m.onnx: node 'If_1' (If): value name %t is already defined by node 'Inner' (test.Op)"}));
}

TEST(Verifier, GraphOutputsAndBackPointers) {
  Graph g;
  Value* x = g.addInput("x", f32());
  Node* a = testOp(g, "A", {x}, "a");
  g.addOutput(a->output(0));
  g.addOutput(a->output(0));
  g.addOutput(x);
  g.setOutput(2, nullptr);
  // A subgraph attached without Node::setAttr does not know its parent.
  auto body = std::make_unique<Graph>("body");
  body->addOutput(x);
  a->attributes().set("body", Attribute(std::move(body)));
  EXPECT_EQ(verify(g, {.registry = nullptr, .file = "m.onnx"}),
            (std::vector<std::string>{
                "m.onnx: node 'A' (test.Op): subgraph @body does not point back to this node as its parent",
                "m.onnx: graph @main: output %a is listed more than once",
                "m.onnx: graph @main: output 2 is not set"}));
}

TEST(Verifier, ReportsEveryViolationAtOnce) {
  Model m;
  m.sourcePath = "broken.onnx";
  m.opsets = {{"", 17}, {"", 13}};
  Graph& g = *m.graph;
  Value* x = g.addInput("x", f32());
  Node* a = testOp(g, "A", {x}, "a");
  Node* b = g.createNode("test", "Op", {a->output(0), x, x});
  b->setName("B");
  b->addOutput("a", f32());
  g.moveBefore(b, a);
  g.addOutput(b->output(0));
  Function f;
  f.name = "Fn";
  f.domain = "custom";
  f.body = std::make_unique<Graph>("Fn");
  f.body->addOutput(nullptr);
  m.functions.push_back(std::move(f));
  auto diags = verifyModel(m, {.registry = &testRegistry()});
  std::vector<std::string> got;
  for (const auto& d : diags) got.push_back(d.str());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "broken.onnx: opset of domain \"\" is imported more than once",
                     "broken.onnx: node 'A' (test.Op): value name %a is already defined by node 'B' (test.Op)",
                     "broken.onnx: node 'B' (test.Op): cycle: operand 0 uses %a, which is produced later by node "
                     "'A' (test.Op)",
                     "broken.onnx: node 'B' (test.Op): has 3 inputs, expected between 1 and 2",
                     "broken.onnx: node 'B' (test.Op): missing required attribute 'alpha'",
                     "broken.onnx: function custom.Fn: graph @Fn: output 0 is not set"}));
  Status s = diagnosticsToStatus(diags);
  EXPECT_EQ(s.str(), "broken.onnx: opset of domain \"\" is imported more than once (and 5 more problems)");
  EXPECT_TRUE(diagnosticsToStatus({}).isOk());
  g.moveBefore(a, b);
}

TEST(Verifier, UnnamedNodesAreNamedByTheirOutputAndSchemasCanBeRequired) {
  Graph g;
  Value* x = g.addInput("x", f32());
  Node* n = g.createNode("", "NoSuchOp", {x});
  n->addOutput("onnx::out", f32());
  g.addOutput(n->output(0));
  EXPECT_EQ(verify(g), std::vector<std::string>{});
  VerifyOptions strict = testOptions();
  strict.requireSchemas = true;
  EXPECT_EQ(verify(g, strict), std::vector<std::string>{
                                   "m.onnx: node '%\"onnx::out\"' (NoSuchOp): no schema is registered for this op"});
}

TEST(Verifier, ParsedTextVerifies) {
  auto m = parseModel(
      "graph @main(%x: f32[2], %c: bool[]) -> (%y: ?) {\n"
      "  %a = test.Op(%x) {alpha = 1.0}\n"
      "  %y = custom.If(%c) {then_branch = graph @t() -> (%a) {\n"
      "    return %a\n"
      "  }}\n"
      "  return %y\n"
      "}\n",
      "p.kir");
  ASSERT_TRUE(m) << m.status().str();
  EXPECT_TRUE(verifyModel(*m, {.registry = &testRegistry()}).empty());
  EXPECT_TRUE(verifyRoundTrip(*m).isOk());
}

}  // namespace
}  // namespace kiln
