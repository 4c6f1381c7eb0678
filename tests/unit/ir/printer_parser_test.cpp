// The textual IR: printed form checked against hand-written text, parsed structure checked
// against hand-built IR, and the round-trip property print(parse(print(g))) == print(g) on
// hand-built and randomly generated models.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "ir/float16.h"
#include "ir/model.h"
#include "ir/op_registry.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

namespace kiln {
namespace {

constexpr PrintOptions kFull{.elideConstantsAbove = 0};

std::string hex16(uint64_t h) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

/// Every tensor of a model in print order: input defaults, then node attributes, recursively.
void collectTensors(const Graph& g, std::vector<const Tensor*>& out) {
  for (const auto& [v, t] : g.inputDefaults()) out.push_back(&t);
  for (const Node* n : g.nodes())
    for (const auto& [name, a] : n->attributes()) {
      if (!a.refAttrName().empty()) continue;
      if (a.kind() == AttrKind::Tensor) out.push_back(&a.t());
      if (a.kind() == AttrKind::Tensors)
        for (const Tensor& t : a.tensors()) out.push_back(&t);
      if (a.kind() == AttrKind::Graph) collectTensors(a.g(), out);
      if (a.kind() == AttrKind::Graphs)
        for (const auto& sub : a.graphs()) collectTensors(*sub, out);
    }
}

std::vector<const Tensor*> allTensors(const Model& m) {
  std::vector<const Tensor*> out;
  collectTensors(*m.graph, out);
  for (const Function& f : m.functions)
    if (f.body) collectTensors(*f.body, out);
  return out;
}

/// The round-trip property, elided and in full; in full, every tensor keeps its exact bytes.
void expectRoundTrip(const Model& m) {
  for (const PrintOptions& opts : {PrintOptions{}, kFull}) {
    std::string text = printModel(m, opts);
    auto parsed = parseModel(text, "rt.kir");
    ASSERT_TRUE(parsed) << parsed.status().str() << "\n" << text;
    EXPECT_EQ(printModel(*parsed, opts), text);
    if (opts.elideConstantsAbove != 0) continue;
    auto before = allTensors(m), after = allTensors(*parsed);
    ASSERT_EQ(before.size(), after.size());
    for (size_t i = 0; i < before.size(); ++i) {
      if (before[i]->isElided()) continue;
      EXPECT_FALSE(after[i]->isElided());
      EXPECT_TRUE(before[i]->contentEquals(*after[i])) << "tensor " << i << " of\n" << text;
      if (before[i]->dtype() != DType::String && before[i]->byteSize() > 0) {
        EXPECT_EQ(std::memcmp(before[i]->rawData(), after[i]->rawData(), before[i]->byteSize()), 0);
      }
    }
  }
}

/// A tensor of `dtype` whose bytes are `values` (for dtypes fromVector does not take: complex).
template <typename T>
Tensor fromValues(DType dtype, std::vector<int64_t> dims, const std::vector<T>& values) {
  std::vector<std::byte> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  auto t = Tensor::fromBuffer(dtype, std::move(dims), std::make_shared<OwnedBuffer>(std::move(bytes)));
  EXPECT_TRUE(t) << t.status().str();
  return t.take();
}

Model parseOk(std::string_view text) {
  auto m = parseModel(text, "t.kir");
  EXPECT_TRUE(m) << m.status().str();
  return m ? m.take() : Model();
}

/// Verifies structure only: the built-in schemas (still being written) are not consulted.
std::vector<Diagnostic> verifyStructure(Graph& g) {
  g.walk([](Node* n) { n->setSchema(nullptr); });
  return verifyGraph(g, {.registry = nullptr});
}

std::string parseError(std::string_view text) {
  auto m = parseModel(text, "t.kir");
  EXPECT_FALSE(m) << "parsed unexpectedly:\n" << text;
  return m ? std::string() : m.status().str();
}

// ---- printing -------------------------------------------------------------------------

TEST(Printer, PrintsTheDocumentedForm) {
  Model m;
  m.producerName = "pytorch";
  m.producerVersion = "1.13.1";
  m.opsets = {{"", 17}, {"com.microsoft", 1}};
  m.sourceOpset = 13;
  m.metadata = {{"mean", "0.485,0.456,0.406"}};
  Graph& g = *m.graph;
  Dim batch = Dim::symbol("batch");
  Value* in = g.addInput("input", Type::tensor(DType::Float32, {batch, 3, 224, 224}));
  Tensor big = Tensor::zeros(DType::Float32, {64, 3, 7, 7});
  Node* w = g.createNode("", "Constant", {});
  w->setAttr("value", big);
  Value* wv = w->addOutput("w", Type::tensor(DType::Float32, {64, 3, 7, 7}));
  Node* b = g.createNode("", "Constant", {});
  b->setAttr("value", Tensor::fromVector<float>(DType::Float32, {2}, {1.5f, -2.0f}));
  Value* bv = b->addOutput("b", Type::tensor(DType::Float32, {2}));
  Node* conv = g.createNode("", "Conv", {in, wv, bv});
  conv->setAttr("strides", std::vector<int64_t>{2, 2});
  conv->setAttr("pads", std::vector<int64_t>{3, 3, 3, 3});
  Type convType = Type::tensor(DType::Float32, {batch, 64, 112, 112});
  Value* c = conv->addOutput("0", convType);
  conv->setName("/conv1/Conv");
  conv->location() = {"model.onnx", "/conv1/Conv", {}};
  Node* drop = g.createNode("", "Dropout", {c, nullptr, nullptr});
  Value* a = drop->addOutput("a", convType);
  drop->addOutput("");
  Node* fc = g.createNode("com.microsoft", "FusedConv", {a});
  fc->setAttr("alpha", 0.5f);
  fc->setName("fc");
  fc->location().name = "fc_loc";
  g.addOutput(a);
  g.addOutput(fc->addOutput("onnx::Add_7"));

  std::string expected =
      "module {ir_version = 8, producer = \"pytorch\", producer_version = \"1.13.1\", "
      "opsets = {\"\" = 17, \"com.microsoft\" = 1}, source_opset = 13, "
      "metadata = {\"mean\" = \"0.485,0.456,0.406\"}}\n"
      "graph @main(%input: f32[batch,3,224,224]) -> (%a: f32[batch,64,112,112], %\"onnx::Add_7\": ?) {\n"
      "  %w = Constant() {value = dense<f32[64,3,7,7], 36.75 KiB, #" + hex16(big.hash()) +
      ">} : f32[64,3,7,7]\n"
      "  %b = Constant() {value = dense<f32[2], [1.5, -2]>} : f32[2]\n"
      "  %0 = Conv(%input, %w, %b) {pads = [3, 3, 3, 3], strides = [2, 2]} : f32[batch,64,112,112] "
      "loc(\"model.onnx\":\"/conv1/Conv\")\n"
      "  %a, _ = Dropout(%0, _, _) : f32[batch,64,112,112]\n"
      "  %\"onnx::Add_7\" = com.microsoft.FusedConv(%a) {alpha = 0.5} loc(\"fc_loc\") name(\"fc\")\n"
      "  return %a, %\"onnx::Add_7\"\n"
      "}\n";
  EXPECT_EQ(printModel(m), expected);
  expectRoundTrip(m);

  EXPECT_EQ(printNode(*conv, {.printLocations = false}),
            "%0 = Conv(%input, %w, %b) {pads = [3, 3, 3, 3], strides = [2, 2]} : f32[batch,64,112,112] "
            "name(\"/conv1/Conv\")");
}

TEST(Printer, FloatsUseShortestExactDigits) {
  EXPECT_EQ(formatFloat(0.1f, false), "0.1");
  EXPECT_EQ(formatFloat(1.0f, false), "1");
  EXPECT_EQ(formatFloat(1.0f, true), "1.0");
  EXPECT_EQ(formatFloat(-0.0f, true), "-0.0");
  EXPECT_EQ(formatFloat(1e10f, true), "1e+10");
  EXPECT_EQ(formatFloat(3.4028235e38f, false), "3.4028235e+38");
  EXPECT_EQ(formatFloat(std::numeric_limits<float>::infinity(), true), "inf");
  EXPECT_EQ(formatFloat(-std::numeric_limits<float>::infinity(), true), "-inf");
  EXPECT_EQ(formatFloat(std::numeric_limits<float>::quiet_NaN(), true), "nan");
  EXPECT_EQ(formatFloat(-std::numeric_limits<float>::quiet_NaN(), true), "-nan");
  uint32_t payload = 0x7fc00001;
  float odd;
  std::memcpy(&odd, &payload, 4);
  EXPECT_EQ(formatFloat(odd, true), "nan(0x7fc00001)");
  EXPECT_EQ(formatDouble(0.1, false), "0.1");
  EXPECT_EQ(printValueName("x.1"), "%x.1");
  EXPECT_EQ(printValueName("onnx::Conv_12"), "%\"onnx::Conv_12\"");
  EXPECT_EQ(printValueName(""), "%\"\"");
}

TEST(Printer, ElidesLargeConstantsAndParsesTheSummaryBack) {
  Model m;
  Node* n = m.graph->createNode("", "Constant", {});
  std::vector<float> values(17);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.25f;
  Tensor t = Tensor::fromVector<float>(DType::Float32, {17}, values);
  n->setAttr("value", t);
  m.graph->addOutput(n->addOutput("c", Type::tensor(DType::Float32, {17})));

  std::string text = printModel(m);
  EXPECT_NE(text.find("dense<f32[17], 68 B, #" + hex16(t.hash()) + ">"), std::string::npos) << text;
  Model parsed = parseOk(text);
  const Tensor& back = parsed.graph->nodes().front()->attr("value")->t();
  EXPECT_TRUE(back.isElided());
  EXPECT_EQ(back.hash(), t.hash());
  EXPECT_EQ(back.dims(), std::vector<int64_t>{17});
  EXPECT_EQ(printModel(parsed), text);
  // Elision off: every value, and the exact bytes come back.
  std::string full = printModel(m, kFull);
  EXPECT_NE(full.find("[0, 0.25, 0.5, 0.75, 1, 1.25"), std::string::npos) << full;
  expectRoundTrip(m);
  // An elided tensor stays a summary even when elision is off (its bytes are unknown).
  EXPECT_EQ(printModel(parsed, kFull), text);
  // At the threshold nothing is elided.
  EXPECT_EQ(printModel(m, {.elideConstantsAbove = 17}), full);
}

// ---- round trips ----------------------------------------------------------------------

TEST(RoundTrip, EveryAttributeKind) {
  Model m;
  Graph& g = *m.graph;
  Value* x = g.addInput("x", Type::tensor(DType::Float32, {2}));
  Node* n = g.createNode("kiln", "Everything", {x});
  auto body = std::make_unique<Graph>("body");
  Node* inner = body->createNode("", "Neg", {x});  // captures %x
  body->addOutput(inner->addOutput("neg", Type::tensor(DType::Float32, {2})));
  std::vector<Attribute::GraphPtr> bodies;
  bodies.push_back(std::make_unique<Graph>("empty"));
  bodies.push_back(body->clone());
  bodies[1]->setName("second");
  bodies[1]->nodes().front()->output(0)->setName("neg2");
  n->setAttr("f", 0.1f);
  n->setAttr("f_int", 2.0f);
  n->setAttr("f_nan", std::numeric_limits<float>::quiet_NaN());
  n->setAttr("f_ninf", -std::numeric_limits<float>::infinity());
  n->setAttr("f_neg0", -0.0f);
  n->setAttr("i", int64_t{-42});
  n->setAttr("i_min", std::numeric_limits<int64_t>::min());
  n->setAttr("s", "quote \" backslash \\ newline \n tab \t bytes \x01\x7f é");
  n->setAttr("s_empty", "");
  n->setAttr("t", Tensor::fromVector<int64_t>(DType::Int64, {}, {7}));
  n->setAttr("g", Attribute(std::move(body)));
  n->setAttr("ty", Type::sequence(Type::tensor(DType::Float16, {Dim::symbol("n"), 3})));
  n->setAttr("fs", std::vector<float>{1.0f, -2.5f, 1e-7f});
  n->setAttr("is", std::vector<int64_t>{1, -2, 3});
  n->setAttr("ss", std::vector<std::string>{"a", "", "c d"});
  n->setAttr("ts", std::vector<Tensor>{Tensor::fromVector<float>(DType::Float32, {1}, {1.0f}),
                                       Tensor::fromStrings({2}, {"x", "y"})});
  n->setAttr("gs", Attribute(std::move(bodies)));
  n->setAttr("tys", std::vector<Type>{Type(), Type::optional(Type::tensor(DType::Int64, Shape()))});
  n->setAttr("empty_fs", std::vector<float>{});
  n->setAttr("empty_is", std::vector<int64_t>{});
  n->setAttr("empty_ss", std::vector<std::string>{});
  n->setAttr("empty_ts", std::vector<Tensor>{});
  n->setAttr("empty_gs", std::vector<Attribute::GraphPtr>{});
  n->setAttr("empty_tys", std::vector<Type>{});
  Attribute ref(0.0f);
  ref.setRefAttrName("alpha");
  n->setAttr("ref", ref);
  n->setAttr("weird name", int64_t{1});
  g.addOutput(n->addOutput("y"));
  expectRoundTrip(m);

  std::string text = printModel(m);
  for (const char* piece :
       {"f = 0.1,", "f_int = 2.0,", "f_nan = nan,", "f_neg0 = -0.0,", "f_ninf = -inf,", "i = -42,",
        "i_min = -9223372036854775808,", "empty_fs = floats[]", "empty_gs = graphs[]",
        "t = dense<i64[], 7>", "ty = type<seq<f16[n,3]>>", "tys = [type<?>, type<opt<i64[*]>>]",
        "ref = ref<\"alpha\", float>", "\"weird name\" = 1", "s_empty = \"\"",
        "ts = [dense<f32[1], [1]>, dense<string[2], [\"x\", \"y\"]>]"})
    EXPECT_NE(text.find(piece), std::string::npos) << piece << "\n" << text;

  // Kinds and values as built.
  Model parsed = parseOk(text);
  const Node* p = parsed.graph->nodes().front();
  EXPECT_EQ(p->attr("f")->kind(), AttrKind::Float);
  EXPECT_EQ(p->attr("f")->f(), 0.1f);
  EXPECT_EQ(p->attr("f_int")->kind(), AttrKind::Float);
  EXPECT_TRUE(std::isnan(p->attr("f_nan")->f()));
  EXPECT_TRUE(std::signbit(p->attr("f_neg0")->f()));
  EXPECT_EQ(p->attr("i_min")->i(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(p->attr("s")->s(), n->attr("s")->s());
  EXPECT_EQ(p->attr("fs")->floats(), (std::vector<float>{1.0f, -2.5f, 1e-7f}));
  EXPECT_EQ(p->attr("empty_ts")->kind(), AttrKind::Tensors);
  EXPECT_EQ(p->attr("gs")->graphs().size(), 2u);
  EXPECT_EQ(p->attr("ty")->type(), n->attr("ty")->type());
  EXPECT_EQ(p->attr("ref")->refAttrName(), "alpha");
  EXPECT_EQ(p->attr("ref")->kind(), AttrKind::Float);
  EXPECT_TRUE(verifyStructure(*parsed.graph).empty());
}

TEST(RoundTrip, EveryDTypeKeepsItsBytes) {
  Model m;
  Graph& g = *m.graph;
  int k = 0;
  auto constant = [&](Tensor t) {
    Node* n = g.createNode("", "Constant", {});
    n->setAttr("value", std::move(t));
    g.addOutput(n->addOutput("c" + std::to_string(k++)));
  };
  auto bits16 = [](std::vector<uint16_t> v) { return v; };
  float nanPayload;
  uint32_t payloadBits = 0xffa00001;  // a negative signalling NaN
  std::memcpy(&nanPayload, &payloadBits, 4);
  constant(Tensor::fromVector<float>(DType::Float32, {7}, {0.1f, -0.0f, 1e-45f, 3.4028235e38f,
                                                           std::numeric_limits<float>::infinity(),
                                                           std::numeric_limits<float>::quiet_NaN(), nanPayload}));
  constant(Tensor::fromVector<double>(DType::Float64, {4}, {0.1, -1e-310, 1e308, std::nan("")}));
  // f16: 1, smallest subnormal, max, -inf, a NaN with payload, -0.
  constant(Tensor::fromVector<uint16_t>(DType::Float16, {6}, bits16({0x3c00, 0x0001, 0x7bff, 0xfc00, 0x7d01, 0x8000})));
  constant(Tensor::fromVector<uint16_t>(DType::BFloat16, {5}, bits16({0x3f80, 0x0001, 0x7f7f, 0xff81, 0x3dcd})));
  constant(Tensor::fromVector<int8_t>(DType::Int8, {3}, {-128, 0, 127}));
  constant(Tensor::fromVector<int16_t>(DType::Int16, {2}, {-32768, 32767}));
  constant(Tensor::fromVector<int32_t>(DType::Int32, {2}, {std::numeric_limits<int32_t>::min(), 1}));
  constant(Tensor::fromVector<int64_t>(DType::Int64, {2}, {std::numeric_limits<int64_t>::min(),
                                                           std::numeric_limits<int64_t>::max()}));
  constant(Tensor::fromVector<uint8_t>(DType::UInt8, {2}, {0, 255}));
  constant(Tensor::fromVector<uint16_t>(DType::UInt16, {1}, {65535}));
  constant(Tensor::fromVector<uint32_t>(DType::UInt32, {1}, {4294967295u}));
  constant(Tensor::fromVector<uint64_t>(DType::UInt64, {1}, {std::numeric_limits<uint64_t>::max()}));
  constant(Tensor::fromVector<uint8_t>(DType::Bool, {2, 1}, {1, 0}));
  constant(fromValues<float>(DType::Complex64, {2}, {1.0f, 2.0f, -0.5f, 0.0f}));
  constant(fromValues<double>(DType::Complex128, {1}, {1.5, -0.25}));
  constant(Tensor::fromStrings({3}, {"", "a\"b", "\n\x02"}));
  constant(Tensor::zeros(DType::Float32, {0, 3}));
  expectRoundTrip(m);

  std::string text = printModel(m);
  for (const char* piece :
       {"dense<f32[7], [0.1, -0, 1e-45, 3.4028235e+38, inf, nan, nan(0xffa00001)]>",
        "dense<f16[6], [1, 6e-08, 65504, -inf, nan(0x7d01), -0]>",
        "dense<bf16[5], [1, 9e-41, ", "nan(0xff81), 0.1]>", "dense<c64[2], [(1, 2), (-0.5, 0)]>",
        "dense<i8[3], [-128, 0, 127]>", "dense<u64[1], [18446744073709551615]>",
        "dense<bool[2,1], [true, false]>", "dense<c128[1], [(1.5, -0.25)]>",
        "dense<string[3], [\"\", \"a\\\"b\", \"\\n\\x02\"]>", "dense<f32[0,3], []>",
        "dense<f64[4], [0.1, -1e-310, 1e+308, nan]>"})
    EXPECT_NE(text.find(piece), std::string::npos) << piece << "\n" << text;

  // Values parsed from text written by hand land on the right bits.
  Model parsed = parseOk(
      "graph @g() -> (%h, %b) {\n"
      "  %h = Constant() {value = dense<f16[3], [0.1, 65504, 1e-7]>}\n"
      "  %b = Constant() {value = dense<bf16[1], 3.14159>}\n"
      "  return %h, %b\n"
      "}\n");
  auto h = parsed.graph->nodes().front()->attr("value")->t().data<uint16_t>();
  EXPECT_EQ(h[0], floatToHalf(0.1f));
  EXPECT_EQ(h[1], 0x7bff);
  EXPECT_EQ(h[2], floatToHalf(1e-7f));
  EXPECT_EQ(parsed.graph->nodes().back()->attr("value")->t().data<uint16_t>()[0], floatToBfloat16(3.14159f));
}

TEST(RoundTrip, SubgraphsCaptureOuterValues) {
  std::string text =
      "graph @main(%x: f32[2], %cond: bool[]) -> (%y: f32[2]) {\n"
      "  %a = Neg(%x) : f32[2]\n"
      "  %y = If(%cond) {else_branch = graph @else() -> (%e: f32[2]) {\n"
      "    %e = Relu(%a) : f32[2]\n"
      "    return %e\n"
      "  }, then_branch = graph @then() -> (%a: f32[2]) {\n"
      "    return %a\n"
      "  }} : f32[2]\n"
      "  %z = Loop(_, _, %a) {body = graph @body(%i: i64[], %c: bool[], %v: f32[2]) -> (%c: bool[], %w: f32[2]) {\n"
      "    %w = Add(%v, %x) {nested = graph @deeper() -> (%d: ?) {\n"
      "      %d = Mul(%a, %i)\n"
      "      return %d\n"
      "    }} : f32[2]\n"
      "    return %c, %w\n"
      "  }}\n"
      "  return %y\n"
      "}\n";
  Model m = parseOk(text);
  EXPECT_EQ(printGraph(*m.graph), text);
  EXPECT_TRUE(verifyStructure(*m.graph).empty());

  std::vector<Node*> nodes(m.graph->nodes().begin(), m.graph->nodes().end());
  ASSERT_EQ(nodes.size(), 3u);
  Value* a = nodes[0]->output(0);
  Graph* elseBranch = &nodes[1]->attr("else_branch")->g();
  Graph* thenBranch = &nodes[1]->attr("then_branch")->g();
  EXPECT_EQ(elseBranch->parentNode(), nodes[1]);
  EXPECT_EQ(elseBranch->nodes().front()->input(0), a);  // the captured outer value itself
  EXPECT_EQ(thenBranch->output(0), a);
  Graph* body = &nodes[2]->attr("body")->g();
  Node* add = body->nodes().front();
  EXPECT_EQ(add->input(1), m.graph->input(0));
  Node* mul = add->attr("nested")->g().nodes().front();
  EXPECT_EQ(mul->input(0), a);
  EXPECT_EQ(mul->input(1), body->input(0));
  // Uses of %a: Loop operand, Relu in else, then-branch output, Mul two levels down.
  EXPECT_EQ(a->uses().size(), 4u);
  EXPECT_EQ(body->output(0), body->input(1));
  EXPECT_EQ(nodes[2]->numInputs(), 3u);
  EXPECT_EQ(nodes[2]->input(0), nullptr);

  // The same graph cloned prints the same.
  EXPECT_EQ(printGraph(*m.graph->clone()), text);
}

TEST(RoundTrip, ModelHeaderFunctionsDocsDefaultsAndLocations) {
  std::string text =
      "module {ir_version = 7, producer = \"kiln\", producer_version = \"0.1\", domain = \"org.test\", "
      "model_version = 3, opsets = {\"\" = 13, \"custom\" = 1}, source_opset = 13, "
      "metadata = {\"b\" = \"2\", \"a\" = \"1\"}, doc = \"a model\\nwith two lines\"}\n"
      "graph @\"torch-jit-export\"(\n"
      "    %x: f32[batch,4],\n"
      "    %w: f32[2] = dense<f32[2], [1, 2]>\n"
      ") -> (%y: f32[batch,4]) doc(\"the main graph\") {\n"
      "  %y = custom.Scale(%x, %w) : f32[batch,4] loc(\"m.onnx\":\"scale\" fused[\"Mul_1\", \"Add_2\"]) "
      "doc(\"fused\")\n"
      "  %u = Identity(%y) loc(\"m.onnx\":\"\") name(\"n\")\n"
      "  %v = Identity(%u) loc(fused[\"a\"])\n"
      "  return %y\n"
      "}\n"
      "\n"
      "function {name = \"Scale\", domain = \"custom\", attributes = [\"alpha\"], opsets = {\"\" = 13}, "
      "doc = \"scales\"}\n"
      "graph @Scale(%a: ?, %b: ?) -> (%c: ?) {\n"
      "  %c = Mul(%a, %b) {alpha = ref<\"alpha\", float>}\n"
      "  return %c\n"
      "}\n"
      "\n"
      "function {name = \"Empty\", domain = \"\"}\n";
  Model m = parseOk(text);
  EXPECT_EQ(printModel(m), text);
  EXPECT_EQ(m.irVersion, 7);
  EXPECT_EQ(m.producerName, "kiln");
  EXPECT_EQ(m.domain, "org.test");
  EXPECT_EQ(m.modelVersion, 3);
  EXPECT_EQ(m.opsetVersion("custom"), 1);
  EXPECT_EQ(m.metadata[0].first, "b");
  EXPECT_EQ(m.docString, "a model\nwith two lines");
  EXPECT_EQ(m.sourcePath, "t.kir");
  EXPECT_EQ(m.graph->name(), "torch-jit-export");
  EXPECT_EQ(m.graph->docString(), "the main graph");
  ASSERT_EQ(m.graph->inputDefaults().size(), 1u);
  EXPECT_EQ(m.graph->inputDefaults()[0].first, m.graph->input(1));
  std::vector<Node*> nodes(m.graph->nodes().begin(), m.graph->nodes().end());
  EXPECT_EQ(nodes[0]->domain(), "custom");
  EXPECT_EQ(nodes[0]->opType(), "Scale");
  EXPECT_EQ(nodes[0]->name(), "scale");
  EXPECT_EQ(nodes[0]->location(), (Location{"m.onnx", "scale", {"Mul_1", "Add_2"}}));
  EXPECT_EQ(nodes[0]->docString(), "fused");
  EXPECT_EQ(nodes[1]->name(), "n");
  EXPECT_EQ(nodes[1]->location().file, "m.onnx");
  EXPECT_EQ(nodes[2]->name(), "");
  ASSERT_EQ(m.functions.size(), 2u);
  EXPECT_EQ(m.functions[0].attributes, std::vector<std::string>{"alpha"});
  EXPECT_EQ(m.functions[0].opsets, (std::vector<OpsetImport>{{"", 13}}));
  EXPECT_EQ(m.functions[0].body->name(), "Scale");
  EXPECT_EQ(m.functions[1].body, nullptr);
  expectRoundTrip(m);
}

TEST(Parser, QualifiedOpsQuotedNamesAndSchemas) {
  std::string text =
      "graph @g(%\"onnx::Conv_12\": f32[1], %\"/layer1/Relu_output_0\": f32[1]) -> (%\"a\\\"b\": ?) {\n"
      "  %0 = kiln.Attention(%\"onnx::Conv_12\")\n"
      "  %1 = com.microsoft.FusedConv(%0)\n"
      "  %2 = \"my-domain\".\"Odd Op\"(%1)\n"
      "  %3 = \"\".\"name\"(%2)\n"
      "  %4 = Constant() {value = dense<f32[], 1>}\n"
      "  %\"a\\\"b\" = Sum(%3, %4, %\"/layer1/Relu_output_0\")\n"
      "  return %\"a\\\"b\"\n"
      "}\n";
  Model m = parseOk(text);
  EXPECT_EQ(printModel(m).substr(printModel(m).find('\n') + 1), text);
  std::vector<Node*> n(m.graph->nodes().begin(), m.graph->nodes().end());
  EXPECT_EQ(m.graph->input(0)->name(), "onnx::Conv_12");
  EXPECT_EQ(n[0]->domain(), "kiln");
  EXPECT_EQ(n[0]->opType(), "Attention");
  EXPECT_EQ(n[1]->domain(), "com.microsoft");
  EXPECT_EQ(n[1]->opType(), "FusedConv");
  EXPECT_EQ(n[1]->schema(), nullptr);
  EXPECT_EQ(n[2]->domain(), "my-domain");
  EXPECT_EQ(n[2]->opType(), "Odd Op");
  EXPECT_EQ(n[3]->opType(), "name");
  EXPECT_EQ(n[4]->schema(), OpRegistry::builtin().lookup("", "Constant"));
  EXPECT_NE(n[4]->schema(), nullptr);
  EXPECT_EQ(m.graph->output(0)->name(), "a\"b");
}

TEST(Parser, SymbolicDimsParseToTheSameInternedDims) {
  Model m = parseOk(
      "graph @g(%x: f32[2*batch+1,batch*heads,sequence-1,\"a b\",?,-batch+3], %s: seq<opt<?[*]>>,"
      " %u: ?[3], %v: ?) -> () {\n"
      "  // comments are allowed anywhere\n"
      "  return\n"
      "}\n");
  Dim batch = Dim::symbol("batch");
  const Shape& s = m.graph->input(0)->shape();
  ASSERT_EQ(s.rank(), 6u);
  EXPECT_EQ(s[0], batch * Dim(2) + Dim(1));
  EXPECT_EQ(s[0].expr(), (batch + batch + Dim(1)).expr());
  EXPECT_EQ(s[1], Dim::symbol("heads") * batch);
  EXPECT_EQ(s[2], Dim::symbol("sequence") - Dim(1));
  EXPECT_EQ(s[3], Dim::symbol("a b"));
  EXPECT_TRUE(s[4].isUnknown());
  EXPECT_EQ(s[5], Dim(3) - batch);
  EXPECT_EQ(m.graph->input(1)->type(), Type::sequence(Type::optional(Type::tensor(DType::Undefined))));
  EXPECT_EQ(m.graph->input(2)->type(), Type::tensor(DType::Undefined, {3}));
  EXPECT_TRUE(m.graph->input(3)->type().isUnknown());
  EXPECT_EQ(printGraph(*m.graph),
            "graph @g(%x: f32[2*batch+1,batch*heads,sequence-1,\"a b\",?,-batch+3], %s: seq<opt<?[*]>>, "
            "%u: ?[3], %v: ?) -> () {\n  return\n}\n");
}

TEST(Parser, SymbolicDimsInAnyOrderGiveTheCanonicalDim) {
  Model m = parseOk("graph @g(%x: f32[1+batch*2,heads*batch+0,batch+batch+1]) -> () {\n  return\n}\n");
  const Shape& s = m.graph->input(0)->shape();
  Dim expected = Dim::symbol("batch") * Dim(2) + Dim(1);
  EXPECT_EQ(s[0].expr(), expected.expr());
  EXPECT_EQ(s[2].expr(), expected.expr());
  EXPECT_EQ(s[1].str(), "batch*heads");
}

/// Every prefix of a valid text, and the text with bytes changed, parse or fail cleanly.
TEST(Parser, TruncatedOrCorruptedTextFailsCleanly) {
  std::string text =
      "module {ir_version = 8, opsets = {\"\" = 17}}\n"
      "graph @main(%x: f32[2], %cond: bool[], %w: f32[2] = dense<f32[2], [1, nan(0x7fc00001)]>) -> (%y: f32[2]) {\n"
      "  %a = Neg(%x) {t = dense<f32[20], 80 B, #0123456789abcdef>, l = [1.5, -inf]} : f32[2] loc(\"f\":\"n\")\n"
      "  %y = If(%cond) {else_branch = graph @else() -> (%e: f32[2*b-1]) {\n"
      "    %e = Relu(%a) : f32[2*b-1]\n"
      "    return %e\n"
      "  }, then_branch = graph @then() -> (%a: f32[2]) {\n"
      "    return %a\n"
      "  }} : f32[2]\n"
      "  return %y\n"
      "}\n"
      "function {name = \"F\", domain = \"d\"}\n"
      "graph @F(%p: ?) -> (%p: ?) {\n  return %p\n}\n";
  ASSERT_TRUE(parseModel(text, "t.kir")) << parseModel(text, "t.kir").status().str();
  for (size_t n = 0; n < text.size(); ++n) {
    auto m = parseModel(std::string_view(text).substr(0, n), "t.kir");
    if (!m) {
      EXPECT_EQ(m.status().str().rfind("t.kir:", 0), 0u) << m.status().str();
    }
  }
  std::mt19937 rng(7);
  const char replacements[] = "%@\"{}()[]<>,:=*+-?._#0a \n\\";
  for (int round = 0; round < 2000; ++round) {
    std::string bad = text;
    for (int k = 0; k < 3; ++k)
      bad[rng() % bad.size()] = replacements[rng() % (sizeof(replacements) - 1)];
    auto m = parseModel(bad, "t.kir");
    if (!m) continue;
    std::string printed = printModel(*m);
    auto again = parseModel(printed, "t.kir");
    ASSERT_TRUE(again) << again.status().str() << "\n" << bad;
    EXPECT_EQ(printModel(*again), printed) << bad;
  }
}

TEST(Parser, ReportsErrorsWithLineAndColumn) {
  auto expectError = [](std::string_view text, std::string_view expected) {
    std::string e = parseError(text);
    EXPECT_EQ(e, expected) << text;
  };
  const char* head = "graph @g(%x: f32[2]) -> (%y: f32[2]) {\n";
  expectError(std::string(head) + "  %y = Neg(%z) : f32[2]\n  return %y\n}\n",
              "t.kir:2:12: use of undefined value %z");
  expectError(std::string(head) + "  %y = Neg(%x)\n  %y = Neg(%x)\n  return %y\n}\n",
              "t.kir:3:3: redefinition of value %y");
  expectError(std::string(head) + "  %\"\" = Neg(%x)\n  %y = Neg(%x)\n  return %y\n}\n",
              "t.kir:2:3: a value name may not be empty");
  expectError(std::string(head) + "  %y = Neg(%x) : f32[2], f32[2]\n  return %y\n}\n",
              "t.kir:2:16: 2 types given for 1 results (omitted results '_' take no type)");
  expectError(std::string(head) + "  %y = Neg(%x) {s = \"abc}\n  return %y\n}\n",
              "t.kir:2:21: unterminated string");
  expectError(std::string(head) + "  %y = Neg(%x) : f32[3]\n  return %y\n}\n",
              "t.kir:1:26: output %y is declared f32[2] but defined as f32[3]");
  expectError(std::string(head) + "  %y = Neg(%x) : f32[2]\n  return %x\n}\n",
              "t.kir:3:10: returned %x but the graph header declares %y");
  expectError(std::string(head) + "  %y = Neg(%x) : f32[2]\n  return\n}\n",
              "t.kir:3:3: return has 0 values but graph @g declares 1 outputs");
  expectError(std::string(head) + "  %y = Constant() {value = dense<f32[2], [1, 2, 3]>}\n  return %y\n}\n",
              "t.kir:2:34: dense<f32[2]> needs 2 values, found 3");
  expectError(std::string(head) + "  %y = Constant() {value = dense<f32[1000], 3.90 KiB, #12>}\n  return %y\n}\n",
              "t.kir:2:45: summary says 3.90 KiB but f32 with these dims is 3.91 KiB");
  expectError(std::string(head) + "  %y = Constant() {value = dense<i8[1], [300]>}\n  return %y\n}\n",
              "t.kir:2:42: 300 is not a valid i8");
  expectError(std::string(head) + "  %y = Neg(%x) {a = 1, a = 2}\n  return %y\n}\n",
              "t.kir:2:24: attribute 'a' is given twice");
  expectError(std::string(head) + "  %y = Neg(%x) {a = [1, \"s\"]}\n  return %y\n}\n",
              "t.kir:2:21: list mixes elements of different kinds");
  expectError(std::string(head) + "  %y = Neg(%x) {a = []}\n  return %y\n}\n",
              "t.kir:2:21: an empty list needs its kind: ints[], floats[], strings[], ...");
  expectError(std::string(head) + "  %y = Neg(%x) : f33[2]\n  return %y\n}\n",
              "t.kir:2:18: expected a type, found 'f33'");
  expectError(std::string(head) + "  %y = Neg(%x) $\n  return %y\n}\n", "t.kir:2:16: unexpected character '$'");
  expectError(std::string(head) + "  %y = Neg(%x)\n", "t.kir:3:1: expected a node or 'return', found end of input");
  expectError("module {ir_version = 8, colour = 1}\n", "t.kir:1:25: unknown module field 'colour'");
  expectError("module {ir_version = 8}\n", "t.kir:2:1: expected 'graph', found end of input");
  // A subgraph sees values defined before its node, not the node's own results.
  expectError(std::string(head) +
                  "  %y = If(%x) {then_branch = graph @t() -> (%r) {\n    %r = Neg(%y)\n    return %r\n  }}\n"
                  "  return %y\n}\n",
              "t.kir:3:14: use of undefined value %y");
  // A value of a sibling subgraph is out of scope.
  expectError(std::string(head) +
                  "  %y = If(%x) {a = graph @t() -> (%r) {\n    %r = Neg(%x)\n    return %r\n  }, "
                  "b = graph @e() -> (%s) {\n    %s = Neg(%r)\n    return %s\n  }}\n  return %y\n}\n",
              "t.kir:6:14: use of undefined value %r");
  // A subgraph may not redefine a name of an enclosing graph.
  expectError(std::string(head) +
                  "  %y = If(%x) {a = graph @t() -> (%x) {\n    %x = Neg(%x)\n    return %x\n  }}\n  return %y\n}\n",
              "t.kir:3:5: redefinition of value %x");

  auto g = parseGraph("graph @g() -> () {\n  return\n}\ngraph @h() -> () {\n  return\n}\n", "one.kir");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.status().str(), "one.kir:4:1: expected end of input, found 'graph'");
  auto ok = parseGraph("graph @g() -> () {\n  return\n}\n", "one.kir");
  ASSERT_TRUE(ok) << ok.status().str();
  EXPECT_EQ((*ok)->name(), "g");
}

TEST(VerifyRoundTrip, AcceptsAModelAndRejectsAnUnparsableOne) {
  Model m = parseOk("graph @g(%x: f32[2]) -> (%y: f32[2]) {\n  %y = Neg(%x) : f32[2]\n  return %y\n}\n");
  EXPECT_TRUE(verifyRoundTrip(m).isOk());
  // A pass bug: two values with one name; the printed IR cannot be read back.
  Node* n = m.graph->createNode("", "Neg", {m.graph->output(0)});
  n->addOutput("y");
  Status s = verifyRoundTrip(m);
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.str().find("does not parse back"), std::string::npos) << s.str();
  EXPECT_NE(s.str().find("redefinition of value %y"), std::string::npos) << s.str();
}

// ---- randomized round trip ------------------------------------------------------------

/// Builds random models covering the whole surface: odd names, every dtype with random bit
/// patterns (NaN payloads, subnormals), every attribute kind, symbolic dims, nested subgraphs
/// capturing outer values, omitted operands and results, locations, docs and functions.
class RandomModel {
 public:
  explicit RandomModel(uint32_t seed) : rng_(seed) {}

  Model build() {
    Model m;
    m.irVersion = pick(3, 10);
    if (coin()) m.producerName = text();
    if (coin()) m.producerVersion = text();
    if (coin()) m.modelVersion = pick(0, 5);
    if (coin()) m.docString = text();
    m.sourceOpset = pick(0, 21);
    for (int i = pick(0, 2); i > 0; --i) m.opsets.push_back({text(), pick(1, 21)});
    for (int i = pick(0, 2); i > 0; --i) m.metadata.emplace_back(text(), text());
    std::vector<Value*> scope;
    fillGraph(*m.graph, scope, 0);
    for (int i = pick(0, 2); i > 0; --i) {
      Function f;
      f.name = text();
      f.domain = text();
      if (coin()) f.attributes = {text(), text()};
      if (coin()) f.opsets = {{"", 13}};
      if (coin()) f.docString = text();
      if (coin()) {
        f.body = std::make_unique<Graph>(text());
        std::vector<Value*> fscope;
        fillGraph(*f.body, fscope, 1);
      }
      m.functions.push_back(std::move(f));
    }
    return m;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin() { return pick(0, 1) == 1; }

  std::string text() {
    static const std::vector<std::string> kPieces = {"a", "x1", "_", "onnx::Conv", "/layer/0", " ", "\"",
                                                     "\\", "\n", "\x01", "é", "0", ".", "loc", "name", ""};
    std::string s;
    for (int i = pick(0, 3); i > 0; --i) s += kPieces[static_cast<size_t>(pick(0, static_cast<int>(kPieces.size()) - 1))];
    return s;
  }
  std::string freshName() { return text() + "#" + std::to_string(counter_++); }

  Dim dim() {
    static const char* kSymbols[] = {"batch", "seq", "a b", "heads", "s.0"};
    switch (pick(0, 4)) {
      case 0: return Dim(pick(0, 64));
      case 1: return Dim();
      case 2: return Dim::symbol(kSymbols[pick(0, 4)]);
      case 3: return Dim::symbol(kSymbols[pick(0, 4)]) * Dim(pick(-3, 3)) + Dim(pick(-2, 2));
      default: return Dim::symbol(kSymbols[pick(0, 4)]) * Dim::symbol(kSymbols[pick(0, 4)]) - Dim(1);
    }
  }

  static constexpr DType kDTypes[] = {DType::Float32, DType::UInt8,  DType::Int8,      DType::UInt16,
                                      DType::Int16,   DType::Int32,  DType::Int64,     DType::String,
                                      DType::Bool,    DType::Float16, DType::Float64,  DType::UInt32,
                                      DType::UInt64,  DType::Complex64, DType::Complex128, DType::BFloat16};
  DType dtype() { return kDTypes[pick(0, 15)]; }

  Type type(int depth = 0) {
    switch (pick(0, depth > 1 ? 1 : 3)) {
      case 0: return Type();
      case 1: {
        if (coin()) return Type::tensor(dtype(), Shape());
        std::vector<Dim> dims;
        for (int r = pick(0, 3); r > 0; --r) dims.push_back(dim());
        return Type::tensor(coin() ? dtype() : DType::Undefined, Shape(dims));
      }
      case 2: return Type::sequence(type(depth + 1));
      default: return Type::optional(type(depth + 1));
    }
  }

  Tensor tensor() {
    DType dt = dtype();
    std::vector<int64_t> dims;
    for (int r = pick(0, 2); r > 0; --r) dims.push_back(pick(0, 3));
    if (pick(0, 5) == 0) dims = {5, 4};  // above the elision threshold
    Tensor t = Tensor::zeros(dt, dims);
    if (dt == DType::String) {
      std::vector<std::string> strings;
      for (int64_t i = 0; i < t.numElements(); ++i) strings.push_back(text());
      return Tensor::fromStrings(dims, strings);
    }
    std::span<uint8_t> raw(reinterpret_cast<uint8_t*>(t.mutableRawData()), t.byteSize());
    for (auto& b : raw) b = static_cast<uint8_t>(pick(0, 255));
    if (dt == DType::Bool)
      for (auto& b : raw) b &= 1;
    return t;
  }

  float randomFloat() {
    uint32_t bits = std::uniform_int_distribution<uint32_t>()(rng_);
    float f;
    std::memcpy(&f, &bits, 4);
    return coin() ? f : static_cast<float>(pick(-100, 100)) / 8.0f;
  }

  std::unique_ptr<Graph> subgraph(std::vector<Value*>& scope, int depth) {
    auto g = std::make_unique<Graph>(text());
    size_t outer = scope.size();
    fillGraph(*g, scope, depth + 1);
    scope.resize(outer);  // the subgraph's values are not visible after it
    return g;
  }

  Attribute attribute(std::vector<Value*>& scope, int depth) {
    int kind = pick(0, depth >= 2 ? 3 : 11);  // deep down: no further subgraphs
    auto listOf = [&](auto make) {
      using T = decltype(make());
      std::vector<T> v;
      for (int i = pick(0, 3); i > 0; --i) v.push_back(make());
      return v;
    };
    switch (static_cast<AttrKind>(kind)) {
      case AttrKind::Float: return randomFloat();
      case AttrKind::Int: return static_cast<int64_t>(std::uniform_int_distribution<int64_t>()(rng_));
      case AttrKind::String: return text();
      case AttrKind::Tensor: return tensor();
      case AttrKind::Graph: return subgraph(scope, depth);
      case AttrKind::Type: return type();
      case AttrKind::Floats: return listOf([&] { return randomFloat(); });
      case AttrKind::Ints: return listOf([&] { return static_cast<int64_t>(pick(-5, 5)); });
      case AttrKind::Strings: return listOf([&] { return text(); });
      case AttrKind::Tensors: return listOf([&] { return tensor(); });
      case AttrKind::Graphs: {
        std::vector<Attribute::GraphPtr> v;
        for (int i = pick(0, 2); i > 0; --i) v.push_back(subgraph(scope, depth));
        return Attribute(std::move(v));
      }
      case AttrKind::Types: return listOf([&] { return type(); });
    }
    return int64_t{0};
  }

  void fillGraph(Graph& g, std::vector<Value*>& scope, int depth) {
    for (int i = pick(0, 3); i > 0; --i) {
      Value* v = g.addInput(freshName(), type());
      if (pick(0, 3) == 0) g.inputDefaults().emplace_back(v, tensor());
      scope.push_back(v);
    }
    if (coin()) g.setDocString(text());
    static const std::vector<std::pair<std::string, std::string>> kOps = {
        {"", "Conv"}, {"", "Constant"}, {"kiln", "Attention"}, {"com.microsoft", "FusedConv"},
        {"", "loc"},  {"", "_"},        {"", "return"},        {"my-domain", "Odd Op"},
        {"x.", "Y"},  {"", "name"},     {"ai.onnx.ml", "LabelEncoder"}};
    for (int i = pick(0, depth > 1 ? 2 : 5); i > 0; --i) {
      const auto& op = kOps[static_cast<size_t>(pick(0, static_cast<int>(kOps.size()) - 1))];
      std::vector<Value*> inputs;
      for (int k = pick(0, 3); k > 0; --k)
        inputs.push_back(scope.empty() || pick(0, 4) == 0 ? nullptr : scope[static_cast<size_t>(pick(0, static_cast<int>(scope.size()) - 1))]);
      Node* n = g.createNode(op.first, op.second, inputs);
      for (int k = pick(0, 3); k > 0; --k) n->setAttr(text() + std::to_string(k), attribute(scope, depth));
      for (int k = pick(0, 3); k > 0; --k)
        if (Value* v = n->addOutput(pick(0, 4) == 0 ? "" : freshName(), type())) scope.push_back(v);
      if (coin()) n->location() = {coin() ? text() : "", text(), coin() ? std::vector<std::string>{text()} : std::vector<std::string>{}};
      n->setName(coin() ? n->location().name : text());
      if (pick(0, 3) == 0) n->setDocString(text());
    }
    for (int i = pick(0, 3); i > 0; --i)
      g.addOutput(scope.empty() || pick(0, 5) == 0 ? nullptr : scope[static_cast<size_t>(pick(0, static_cast<int>(scope.size()) - 1))]);
  }

  std::mt19937 rng_;
  int counter_ = 0;
};

TEST(RoundTrip, RandomModels) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Model m = RandomModel(seed).build();
    expectRoundTrip(m);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace kiln
