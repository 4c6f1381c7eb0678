// The ONNX emitter, judged by independent readers: the onnx protobuf classes parse the bytes
// back, libonnx's checker validates them, and ONNX Runtime runs them against numpy.

// The test target links the onnx libraries but does not inherit their compile definitions.
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "backends/onnx/emitter.h"
#include "backends/onnx/opset_adapt.h"
#include "frontend/onnx/importer.h"
#include "ir/atomic_file.h"
#include "ir/graph.h"
#include "ir/model.h"

namespace fs = std::filesystem;

// Until backends/onnx/opset_adapt.cpp exists, a stand-in that only records the opset: the
// models below use ops whose form is the same at every opset they are emitted at. (An
// incremental build keeps a stale copy of this stub when that file appears; a clean build
// or touching this file picks the real adapter.)
#if !__has_include("backends/onnx/opset_adapt.cpp")
namespace kiln::onnx_backend {
bool gAdaptStubUsed = false;
__attribute__((weak)) Status adaptToOpset(Model& model, int64_t target) {
  gAdaptStubUsed = true;
  model.setOpsetVersion("", target);
  return Status::ok();
}
}  // namespace kiln::onnx_backend
#endif

namespace kiln::onnx_backend {
namespace {

Type f32(std::vector<Dim> dims) { return Type::tensor(DType::Float32, Shape(std::move(dims))); }

Node* addNode(Graph& g, const std::string& op, std::vector<Value*> ins, const std::string& out,
              Type type = Type()) {
  Node* n = g.createNode("", op, std::move(ins));
  n->setName(op + "_" + out);
  n->addOutput(out, std::move(type));
  return n;
}

Node* addConstant(Graph& g, const std::string& out, Tensor t) {
  std::vector<Dim> dims(t.dims().begin(), t.dims().end());
  Type type = Type::tensor(t.dtype(), Shape(dims));
  Node* n = g.createNode("", "Constant", {});
  n->setName("Constant_" + out);
  n->setAttr("value", Attribute(std::move(t)));
  n->addOutput(out, std::move(type));
  return n;
}

/// x: f32[batch,3], cond: bool[]  ->  y = If(cond, then: Neg(r), else: r * k),
/// r = Relu(x + c), and z = Concat(x, x) of type f32[2*batch,3].
Model makeModel() {
  Model m;
  m.irVersion = 7;
  m.producerName = "unit-test";
  m.producerVersion = "1.2.3";
  m.domain = "ai.kiln.test";
  m.modelVersion = 42;
  m.docString = "emitter test model";
  m.opsets = {{"", 13}};
  m.sourceOpset = 13;
  m.metadata = {{"zeta", "1"}, {"alpha", "2"}, {"mid", "3"}};
  Graph& g = *m.graph;
  g.setName("test_graph");
  g.setDocString("graph doc");
  Dim batch = Dim::symbol("batch");
  Value* x = g.addInput("x", f32({batch, 3}));
  Value* cond = g.addInput("cond", Type::tensor(DType::Bool, Shape::scalar()));

  Value* c = addConstant(g, "c", Tensor::fromVector<float>(DType::Float32, {3}, {1.f, -2.f, 0.5f}))->output();
  Node* add = addNode(g, "Add", {x, c}, "sum", f32({batch, 3}));
  add->setDocString("adds the bias");
  Value* r = addNode(g, "Relu", {add->output()}, "r", f32({batch, 3}))->output();

  auto thenG = std::make_unique<Graph>("then_branch");
  thenG->addOutput(addNode(*thenG, "Neg", {r}, "neg", f32({batch, 3}))->output());
  auto elseG = std::make_unique<Graph>("else_branch");
  Value* k = addConstant(*elseG, "k", Tensor::fromVector<float>(DType::Float32, {}, {3.f}))->output();
  elseG->addOutput(addNode(*elseG, "Mul", {r, k}, "scaled", f32({batch, 3}))->output());
  Node* ifNode = g.createNode("", "If", {cond});
  ifNode->setName("If_0");
  ifNode->setAttr("then_branch", Attribute(std::move(thenG)));
  ifNode->setAttr("else_branch", Attribute(std::move(elseG)));
  Value* y = ifNode->addOutput("y", f32({batch, 3}));

  Node* concat = addNode(g, "Concat", {x, x}, "z", f32({batch + batch, 3}));
  concat->setAttr("axis", Attribute(int64_t{0}));
  g.addOutput(y);
  g.addOutput(concat->output());
  return m;
}

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto proto;
  EXPECT_TRUE(proto.ParseFromString(bytes));
  return proto;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const onnx::ValueInfoProto* findInfo(const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& infos,
                                     const std::string& name) {
  for (const auto& vi : infos)
    if (vi.name() == name) return &vi;
  return nullptr;
}

const onnx::NodeProto* findNode(const onnx::GraphProto& g, const std::string& op) {
  for (const auto& n : g.node())
    if (n.op_type() == op) return &n;
  return nullptr;
}

std::vector<std::string> dimsOf(const onnx::ValueInfoProto& vi) {
  std::vector<std::string> out;
  for (const auto& d : vi.type().tensor_type().shape().dim())
    out.push_back(d.has_dim_value() ? std::to_string(d.dim_value())
                  : d.has_dim_param() ? d.dim_param()
                                      : "?");
  return out;
}

/// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kiln-emit-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  fs::path path_;
};

TEST(OnnxEmitter, WritesEveryPartOfTheModel) {
  Model m = makeModel();
  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_TRUE(bytes) << bytes.status().str();
  onnx::ModelProto p = parse(*bytes);

  EXPECT_EQ(p.ir_version(), 8);  // 7 is too old for opset 17
  EXPECT_EQ(p.producer_name(), "unit-test");
  EXPECT_EQ(p.producer_version(), "1.2.3");
  EXPECT_EQ(p.domain(), "ai.kiln.test");
  EXPECT_EQ(p.model_version(), 42);
  EXPECT_EQ(p.doc_string(), "emitter test model");
  ASSERT_EQ(p.opset_import_size(), 1);
  EXPECT_EQ(p.opset_import(0).domain(), "");
  EXPECT_EQ(p.opset_import(0).version(), 17);
  ASSERT_EQ(p.metadata_props_size(), 3);
  EXPECT_EQ(p.metadata_props(0).key(), "zeta");
  EXPECT_EQ(p.metadata_props(1).key(), "alpha");
  EXPECT_EQ(p.metadata_props(2).value(), "3");

  const onnx::GraphProto& g = p.graph();
  EXPECT_EQ(g.name(), "test_graph");
  EXPECT_EQ(g.doc_string(), "graph doc");
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0).name(), "x");
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(dimsOf(g.input(0)), (std::vector<std::string>{"batch", "3"}));
  EXPECT_EQ(g.input(1).type().tensor_type().elem_type(), onnx::TensorProto::BOOL);
  EXPECT_TRUE(g.input(1).type().tensor_type().has_shape());  // a scalar: rank 0 is known
  EXPECT_EQ(g.input(1).type().tensor_type().shape().dim_size(), 0);
  ASSERT_EQ(g.output_size(), 2);
  EXPECT_EQ(g.output(0).name(), "y");
  EXPECT_EQ(g.output(1).name(), "z");
  EXPECT_EQ(dimsOf(g.output(1)), (std::vector<std::string>{"2*batch", "3"}));

  // The top-level Constant became an initializer under the value's name.
  ASSERT_EQ(g.initializer_size(), 1);
  const onnx::TensorProto& c = g.initializer(0);
  EXPECT_EQ(c.name(), "c");
  EXPECT_EQ(c.data_type(), onnx::TensorProto::FLOAT);
  ASSERT_EQ(c.dims_size(), 1);
  EXPECT_EQ(c.dims(0), 3);
  ASSERT_EQ(c.raw_data().size(), 12u);
  float values[3];
  std::memcpy(values, c.raw_data().data(), sizeof values);
  EXPECT_EQ(values[1], -2.f);
  EXPECT_EQ(findNode(g, "Constant"), nullptr);

  const onnx::NodeProto* add = findNode(g, "Add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->name(), "Add_sum");
  EXPECT_EQ(add->doc_string(), "adds the bias");
  EXPECT_EQ(add->input(0), "x");
  EXPECT_EQ(add->input(1), "c");
  EXPECT_EQ(add->output(0), "sum");

  // value_info: the intermediates, not the graph's inputs, outputs or initializers.
  EXPECT_NE(findInfo(g.value_info(), "sum"), nullptr);
  EXPECT_NE(findInfo(g.value_info(), "r"), nullptr);
  EXPECT_EQ(dimsOf(*findInfo(g.value_info(), "r")), (std::vector<std::string>{"batch", "3"}));
  EXPECT_EQ(findInfo(g.value_info(), "y"), nullptr);
  EXPECT_EQ(findInfo(g.value_info(), "c"), nullptr);

  // The If keeps its subgraphs; their Constants stay nodes; captured values keep their names.
  const onnx::NodeProto* ifNode = findNode(g, "If");
  ASSERT_NE(ifNode, nullptr);
  ASSERT_EQ(ifNode->attribute_size(), 2);
  EXPECT_EQ(ifNode->attribute(0).name(), "else_branch");
  EXPECT_EQ(ifNode->attribute(0).type(), onnx::AttributeProto::GRAPH);
  const onnx::GraphProto& elseG = ifNode->attribute(0).g();
  EXPECT_EQ(elseG.name(), "else_branch");
  ASSERT_NE(findNode(elseG, "Constant"), nullptr);
  EXPECT_EQ(findNode(elseG, "Mul")->input(0), "r");
  EXPECT_EQ(elseG.output(0).name(), "scaled");
  EXPECT_NE(findInfo(elseG.value_info(), "k"), nullptr);
}

TEST(OnnxEmitter, RoundTripsThroughTheImporter) {
  Model m = makeModel();
  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_TRUE(bytes) << bytes.status().str();
  auto back = onnx_frontend::importModelBytes(*bytes, "roundtrip.onnx", "");
  ASSERT_TRUE(back) << back.status().str();
  EXPECT_EQ(back->metadata, m.metadata);
  EXPECT_EQ(back->producerName, "unit-test");
  EXPECT_EQ(back->modelVersion, 42);
  EXPECT_EQ(back->sourceOpset, 17);
  // Every value keeps its name and type, symbolic dims included (a lone symbol exactly;
  // `2*batch` comes back as whatever the importer makes of that dim_param).
  std::map<std::string, Type> types;
  auto record = [&](const Graph& g) {
    for (const Value* v : g.inputs()) types[v->name()] = v->type();
  };
  record(*back->graph);
  back->graph->walk([&](Node* n) {
    for (size_t i = 0; i < n->numOutputs(); ++i)
      if (n->output(i)) types[n->output(i)->name()] = n->output(i)->type();
    for (const Graph* sub : n->subgraphs()) record(*sub);
  });
  Dim batch = Dim::symbol("batch");
  for (const char* name : {"x", "sum", "r", "y", "neg", "scaled"}) {
    ASSERT_TRUE(types.count(name)) << name;
    EXPECT_EQ(types[name], f32({batch, 3})) << name << ": " << types[name].str();
  }
  EXPECT_EQ(types["c"], f32({3}));
  EXPECT_EQ(types["z"].shape().rank(), 2u);
}

TEST(OnnxEmitter, KeepsCompatibleIrVersionsAndFixesOthers) {
  struct Case {
    int64_t modelIr, opset, expected;
  } cases[] = {{7, 13, 7}, {3, 13, 7}, {10, 17, 8}, {8, 18, 8}, {3, 19, 9},
               {8, 20, 9}, {3, 21, 10}, {10, 21, 10}, {9, 19, 9}, {3, 7, 4}};
  for (const Case& c : cases) {
    Model m = makeModel();
    m.irVersion = c.modelIr;
    auto bytes = emitModelBytes(m, {.targetOpset = c.opset});
    ASSERT_TRUE(bytes) << bytes.status().str();
    onnx::ModelProto p = parse(*bytes);
    EXPECT_EQ(p.ir_version(), c.expected) << "model ir " << c.modelIr << ", opset " << c.opset;
    EXPECT_EQ(p.opset_import(0).version(), c.opset);
  }
}

TEST(OnnxEmitter, DefaultTargetIsTheSourceOpset) {
  Model m = makeModel();
  m.sourceOpset = 15;
  auto bytes = emitModelBytes(m);
  ASSERT_TRUE(bytes) << bytes.status().str();
  EXPECT_EQ(parse(*bytes).opset_import(0).version(), 15);

  auto bad = emitModelBytes(m, {.targetOpset = 22});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.status().str().find("opset 22"), std::string::npos) << bad.status().str();
}

TEST(OnnxEmitter, WritesAllAttributeKindsAndOmittedOperands) {
  Model m;
  m.opsets = {{"", 17}, {"custom.domain", 2}};
  Graph& g = *m.graph;
  Value* x = g.addInput("x", f32({2}));
  Node* n = g.createNode("custom.domain", "Everything", {x, nullptr, x});
  n->setName("everything");
  n->addOutput("a", f32({2}));
  n->addOutput("");  // omitted optional output
  n->addOutput("b", Type::sequence(f32({Dim(), 2})));
  n->setAttr("f", Attribute(1.5f));
  n->setAttr("i", Attribute(int64_t{-7}));
  n->setAttr("s", Attribute("text"));
  n->setAttr("t", Attribute(Tensor::fromVector<int64_t>(DType::Int64, {2}, {4, 5})));
  n->setAttr("tp", Attribute(Type::tensor(DType::Int8, Shape({Dim::symbol("n")}))));
  n->setAttr("fs", Attribute(std::vector<float>{1.f, 2.f}));
  n->setAttr("is", Attribute(std::vector<int64_t>{3, 4, 5}));
  n->setAttr("ss", Attribute(std::vector<std::string>{"p", "q"}));
  n->setAttr("ts", Attribute(std::vector<Tensor>{Tensor::fromStrings({2}, {"u", "v"}),
                                                 Tensor::zeros(DType::Float16, {0})}));
  auto body = std::make_unique<Graph>("body");
  Value* bodyIn = body->addInput("i", f32({}));
  body->addOutput(bodyIn);
  n->setAttr("g", Attribute(std::move(body)));
  std::vector<Attribute::GraphPtr> graphs;
  graphs.push_back(std::make_unique<Graph>("g0"));
  graphs.back()->addOutput(x);  // a captured value as subgraph output: needs an Identity
  n->setAttr("gs", Attribute(std::move(graphs)));
  n->setAttr("tps", Attribute(std::vector<Type>{Type::optional(f32({1})), Type::sequence(Type())}));
  g.addOutput(n->output(0));
  g.addOutput(n->output(2));

  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_TRUE(bytes) << bytes.status().str();
  onnx::ModelProto p = parse(*bytes);
  ASSERT_EQ(p.opset_import_size(), 2);
  EXPECT_EQ(p.opset_import(1).domain(), "custom.domain");
  EXPECT_EQ(p.opset_import(1).version(), 2);
  const onnx::NodeProto& node = p.graph().node(0);
  EXPECT_EQ(node.domain(), "custom.domain");
  EXPECT_EQ(node.name(), "everything");
  ASSERT_EQ(node.input_size(), 3);
  EXPECT_EQ(node.input(1), "");
  ASSERT_EQ(node.output_size(), 3);
  EXPECT_EQ(node.output(1), "");

  std::map<std::string, const onnx::AttributeProto*> attrs;
  for (const auto& a : node.attribute()) attrs[a.name()] = &a;
  ASSERT_EQ(attrs.size(), 12u);
  using A = onnx::AttributeProto;
  EXPECT_EQ(attrs["f"]->type(), A::FLOAT);
  EXPECT_EQ(attrs["f"]->f(), 1.5f);
  EXPECT_EQ(attrs["i"]->i(), -7);
  EXPECT_EQ(attrs["s"]->s(), "text");
  EXPECT_EQ(attrs["t"]->type(), A::TENSOR);
  EXPECT_EQ(attrs["t"]->t().data_type(), onnx::TensorProto::INT64);
  EXPECT_EQ(attrs["t"]->t().raw_data().size(), 16u);
  EXPECT_EQ(attrs["tp"]->type(), A::TYPE_PROTO);
  EXPECT_EQ(attrs["tp"]->tp().tensor_type().shape().dim(0).dim_param(), "n");
  EXPECT_EQ(attrs["fs"]->floats_size(), 2);
  EXPECT_EQ(attrs["is"]->ints(2), 5);
  EXPECT_EQ(attrs["ss"]->strings(1), "q");
  ASSERT_EQ(attrs["ts"]->tensors_size(), 2);
  EXPECT_EQ(attrs["ts"]->tensors(0).string_data(1), "v");
  EXPECT_EQ(attrs["ts"]->tensors(1).data_type(), onnx::TensorProto::FLOAT16);
  EXPECT_FALSE(attrs["ts"]->tensors(1).has_raw_data());  // empty: no data field at all
  EXPECT_EQ(attrs["g"]->type(), A::GRAPH);
  EXPECT_EQ(attrs["g"]->g().output(0).name(), "i");
  EXPECT_EQ(attrs["gs"]->type(), A::GRAPHS);
  const onnx::GraphProto& g0 = attrs["gs"]->graphs(0);
  ASSERT_EQ(g0.node_size(), 1);
  EXPECT_EQ(g0.node(0).op_type(), "Identity");
  EXPECT_EQ(g0.node(0).input(0), "x");
  EXPECT_EQ(g0.output(0).name(), g0.node(0).output(0));
  EXPECT_NE(g0.output(0).name(), "x");
  EXPECT_EQ(attrs["tps"]->type(), A::TYPE_PROTOS);
  EXPECT_TRUE(attrs["tps"]->type_protos(0).optional_type().elem_type().has_tensor_type());
  EXPECT_TRUE(attrs["tps"]->type_protos(1).has_sequence_type());

  const onnx::ValueInfoProto& seqOut = p.graph().output(1);
  EXPECT_EQ(seqOut.name(), "b");
  const auto& elem = seqOut.type().sequence_type().elem_type().tensor_type();
  EXPECT_EQ(elem.shape().dim(0).has_dim_value() || elem.shape().dim(0).has_dim_param(), false);
  EXPECT_EQ(elem.shape().dim(1).dim_value(), 2);
}

TEST(OnnxEmitter, WritesFunctionsWithReferencedAttributes) {
  Model m;
  m.irVersion = 7;  // functions need IR 8
  m.opsets = {{"", 17}, {"local", 1}};
  Function f;
  f.name = "ScaledRelu";
  f.domain = "local";
  f.docString = "relu then scale";
  f.attributes = {"alpha"};
  f.opsets = {{"", 13}};
  f.body = std::make_unique<Graph>("ScaledRelu");
  Value* in = f.body->addInput("X", Type());
  Value* r = addNode(*f.body, "Relu", {in}, "R")->output();
  Node* alpha = f.body->createNode("", "Constant", {});
  Attribute ref(1.0f);
  ref.setRefAttrName("alpha");
  alpha->setAttr("value_float", ref);
  Value* a = alpha->addOutput("A");
  f.body->addOutput(addNode(*f.body, "Mul", {r, a}, "Y")->output());
  m.functions.push_back(std::move(f));

  Graph& g = *m.graph;
  Value* x = g.addInput("x", f32({4}));
  Node* call = g.createNode("local", "ScaledRelu", {x});
  call->setAttr("alpha", Attribute(2.0f));
  g.addOutput(call->addOutput("y", f32({4})));

  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_TRUE(bytes) << bytes.status().str();
  onnx::ModelProto p = parse(*bytes);
  EXPECT_EQ(p.ir_version(), 8);
  ASSERT_EQ(p.functions_size(), 1);
  const onnx::FunctionProto& fp = p.functions(0);
  EXPECT_EQ(fp.name(), "ScaledRelu");
  EXPECT_EQ(fp.domain(), "local");
  EXPECT_EQ(fp.doc_string(), "relu then scale");
  ASSERT_EQ(fp.attribute_size(), 1);
  EXPECT_EQ(fp.attribute(0), "alpha");
  ASSERT_EQ(fp.opset_import_size(), 1);
  EXPECT_EQ(fp.opset_import(0).version(), 17);  // bodies are adapted like the main graph
  EXPECT_EQ(fp.input(0), "X");
  EXPECT_EQ(fp.output(0), "Y");
  ASSERT_EQ(fp.node_size(), 3);
  EXPECT_EQ(fp.node(1).op_type(), "Constant");  // Constants stay nodes in functions
  EXPECT_EQ(fp.node(1).attribute(0).ref_attr_name(), "alpha");
  EXPECT_EQ(fp.node(1).attribute(0).type(), onnx::AttributeProto::FLOAT);
  EXPECT_FALSE(fp.node(1).attribute(0).has_f());
}

TEST(OnnxEmitter, TensorsOfEveryKindAndInputDefaults) {
  Model m;
  m.opsets = {{"", 17}};
  Graph& g = *m.graph;
  Value* w = g.addInput("w", f32({2}));
  g.inputDefaults().emplace_back(w, Tensor::fromVector<float>(DType::Float32, {2}, {7.f, 8.f}));
  Value* s = addConstant(g, "s", Tensor::fromStrings({2}, {"hello", ""}))->output();
  Value* h = addConstant(g, "h", Tensor::fromVector<uint16_t>(DType::Float16, {1}, {0x3c00}))->output();
  Value* b = addConstant(g, "b", Tensor::fromVector<uint8_t>(DType::Bool, {3}, {1, 0, 1}))->output();
  Value* e = addConstant(g, "e", Tensor::zeros(DType::Int32, {0, 4}))->output();
  for (Value* v : {w, s, h, b, e}) g.addOutput(addNode(g, "Identity", {v}, v->name() + "_out", v->type())->output());

  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_TRUE(bytes) << bytes.status().str();
  onnx::ModelProto p = parse(*bytes);
  const onnx::GraphProto& pg = p.graph();
  ASSERT_EQ(pg.initializer_size(), 5);
  EXPECT_EQ(pg.initializer(0).name(), "w");  // the default of input w, under its name
  EXPECT_EQ(pg.input(0).name(), "w");
  EXPECT_EQ(pg.initializer(1).data_type(), onnx::TensorProto::STRING);
  EXPECT_EQ(pg.initializer(1).string_data(0), "hello");
  EXPECT_FALSE(pg.initializer(1).has_raw_data());
  EXPECT_EQ(pg.initializer(2).raw_data(), std::string("\x00\x3c", 2));
  EXPECT_EQ(pg.initializer(3).raw_data(), std::string("\x01\x00\x01", 3));
  EXPECT_EQ(pg.initializer(4).dims_size(), 2);
  EXPECT_FALSE(pg.initializer(4).has_raw_data());
}

TEST(OnnxEmitter, ElidedTensorsAreAClearError) {
  Model m = makeModel();
  Graph& g = *m.graph;
  Node* c = g.nodes().front();
  ASSERT_EQ(c->opType(), "Constant");
  c->setAttr("value", Attribute(Tensor::elided(DType::Float32, {3}, 0xa41f09)));
  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_FALSE(bytes);
  std::string msg = bytes.status().str();
  EXPECT_NE(msg.find("node 'Constant_c' (Constant)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("elided"), std::string::npos) << msg;
}

TEST(OnnxEmitter, GivesEveryValueAUniqueName) {
  // (Values always have names in practice: Graph::clone turns an unnamed node output into an
  // omitted one, so an unnamed value cannot even reach the writer through the emitter.)
  Model m;
  m.opsets = {{"", 17}};
  Graph& g = *m.graph;
  Value* x = g.addInput("x", f32({2}));
  Value* cond = g.addInput("cond", Type::tensor(DType::Bool, Shape::scalar()));
  Value* a = addNode(g, "Relu", {x}, "x")->output();  // clashes with the input
  Value* b = addNode(g, "Neg", {a}, "x")->output();   // and again
  auto thenG = std::make_unique<Graph>("then");
  thenG->addOutput(addNode(*thenG, "Abs", {b}, "x", f32({2}))->output());  // clash across scopes
  auto elseG = std::make_unique<Graph>("else");
  elseG->addOutput(b);  // a captured value as a branch output
  Node* ifNode = g.createNode("", "If", {cond});
  ifNode->setAttr("then_branch", Attribute(std::move(thenG)));
  ifNode->setAttr("else_branch", Attribute(std::move(elseG)));
  Value* y = ifNode->addOutput("y", f32({2}));
  g.addOutput(y);
  g.addOutput(y);  // the same value twice: the second slot needs its own name

  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_TRUE(bytes) << bytes.status().str();
  onnx::ModelProto p = parse(*bytes);
  const onnx::GraphProto& pg = p.graph();
  EXPECT_EQ(pg.input(0).name(), "x");
  std::set<std::string> produced{"x", "cond"};
  std::function<void(const onnx::GraphProto&)> collect = [&](const onnx::GraphProto& graph) {
    for (const auto& node : graph.node()) {
      for (const auto& o : node.output()) {
        EXPECT_TRUE(produced.insert(o).second) << "duplicate " << o;
      }
      for (const auto& attr : node.attribute())
        if (attr.has_g()) collect(attr.g());
    }
  };
  collect(pg);
  EXPECT_EQ(produced.size(), 8u);  // x, cond, 2 renamed, Abs, the Identity in else, y, y copy
  EXPECT_EQ(pg.output(0).name(), "y");
  EXPECT_NE(pg.output(1).name(), "y");
  EXPECT_EQ(pg.output(1).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
}

TEST(OnnxEmitter, CheckerFailureIsCleanAndLeavesFilesAlone) {
  TempDir dir;
  fs::path out = dir.path() / "model.onnx";
  { std::ofstream(out) << "previous contents"; }

  // Relu's output typed as i64: strict ONNX shape inference (full check) refuses it.
  Model m;
  m.opsets = {{"", 17}};
  Value* x = m.graph->addInput("x", f32({2}));
  Value* r = addNode(*m.graph, "Relu", {x}, "r", Type::tensor(DType::Int64, Shape({2})))->output();
  m.graph->addOutput(addNode(*m.graph, "Neg", {r}, "y", Type::tensor(DType::Int64, Shape({2})))->output());
  Status st = emitModelFile(m, out.string(), {.targetOpset = 17});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.diagnostic().file, out.string());
  EXPECT_NE(st.str().find("emitted model fails the ONNX checker: "), std::string::npos) << st.str();
  EXPECT_EQ(st.str().find('\n'), std::string::npos) << st.str();
  EXPECT_EQ(st.diagnostic().node, "Relu_r");
  EXPECT_EQ(st.diagnostic().op, "Relu");
  EXPECT_EQ(readFile(out), "previous contents");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.onnx"});

  // Relu with two inputs: the structural check refuses it.
  Model m2;
  m2.opsets = {{"", 17}};
  Value* x2 = m2.graph->addInput("x", f32({2}));
  m2.graph->addOutput(addNode(*m2.graph, "Relu", {x2, x2}, "y", f32({2}))->output());
  st = emitModelFile(m2, out.string(), {.targetOpset = 17});
  ASSERT_FALSE(st);
  EXPECT_NE(st.str().find("emitted model fails the ONNX checker: "), std::string::npos) << st.str();
  EXPECT_EQ(st.diagnostic().node, "Relu_y");
  EXPECT_EQ(st.diagnostic().op, "Relu");
  EXPECT_EQ(readFile(out), "previous contents");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.onnx"});

  // A model output of unknown rank: the checker would not say which; kiln does.
  Model m3;
  m3.opsets = {{"", 17}};
  Value* x3 = m3.graph->addInput("x", f32({2}));
  m3.graph->addOutput(addNode(*m3.graph, "Relu", {x3}, "y", Type::tensor(DType::Float32))->output());
  st = emitModelFile(m3, out.string(), {.targetOpset = 17});
  EXPECT_EQ(st.str(), out.string() + ": emitted model fails the ONNX checker: model output 'y' has no "
                                     "shape (f32[*]); ONNX requires the type and rank of every model "
                                     "input and output");
  EXPECT_EQ(readFile(out), "previous contents");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.onnx"});

  // With the check off, the same models are written.
  EXPECT_TRUE(emitModelFile(m3, out.string(), {.targetOpset = 17, .check = false}));
  EXPECT_TRUE(emitModelFile(m2, out.string(), {.targetOpset = 17, .check = false}));
  EXPECT_NE(readFile(out), "previous contents");
}

TEST(OnnxEmitter, UndefinedValueIsAClearError) {
  Model m;
  m.opsets = {{"", 17}};
  Graph elsewhere;
  Value* stranger = elsewhere.addInput("stranger", f32({2}));
  Value* x = m.graph->addInput("x", f32({2}));
  Node* add = m.graph->createNode("", "Add", {x, stranger});
  add->setName("Add_1");
  m.graph->addOutput(add->addOutput("y", f32({2})));
  TempDir dir;
  fs::path out = dir.path() / "model.onnx";
  Status st = emitModelFile(m, out.string(), {.targetOpset = 17});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.str(), out.string() + ": node 'Add_1' (Add): input 1 ('stranger') is not defined in this model");
  EXPECT_TRUE(dir.entries().empty());
  // The node holds a use of `stranger`; drop it before `elsewhere` goes away.
  add->setInput(1, x);
}

TEST(OnnxEmitter, WritesAFileAtomicallyAndReplacesAnOldOne) {
  TempDir dir;
  fs::path out = dir.path() / "model.onnx";
  { std::ofstream(out) << "old"; }
  Model m = makeModel();
  Status st = emitModelFile(m, out.string(), {.targetOpset = 17});
  ASSERT_TRUE(st) << st.str();
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.onnx"});
  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_TRUE(bytes);
  EXPECT_EQ(readFile(out), *bytes);

  st = emitModelFile(m, (dir.path() / "missing" / "model.onnx").string(), {.targetOpset = 17});
  ASSERT_FALSE(st);
  EXPECT_NE(st.str().find("missing/model.onnx: cannot create a temporary file"), std::string::npos) << st.str();
}

/// y = x @ W + b with a 64x64 weight, so a small threshold puts W (16 KiB) in external data.
Model makeMatMulModel(std::vector<float>* weights) {
  Model m;
  m.opsets = {{"", 21}};
  m.sourceOpset = 21;
  Graph& g = *m.graph;
  Value* x = g.addInput("x", f32({Dim::symbol("batch"), 64}));
  weights->resize(64 * 64);
  for (size_t i = 0; i < weights->size(); ++i) (*weights)[i] = static_cast<float>((i * 37) % 101) / 101.f - 0.5f;
  Value* w = addConstant(g, "W", Tensor::fromVector<float>(DType::Float32, {64, 64}, *weights))->output();
  Value* b = addConstant(g, "b", Tensor::fromVector<float>(DType::Float32, {64}, std::vector<float>(64, 0.25f)))->output();
  Value* mm = addNode(g, "MatMul", {x, w}, "mm", f32({Dim::symbol("batch"), 64}))->output();
  g.addOutput(addNode(g, "Add", {mm, b}, "y", f32({Dim::symbol("batch"), 64}))->output());
  return m;
}

void expectExternalLayout(const fs::path& modelPath, const std::vector<float>& weights) {
  onnx::ModelProto p = parse(readFile(modelPath));
  std::string data = readFile(modelPath.string() + ".data");
  const onnx::TensorProto* w = nullptr;
  for (const auto& t : p.graph().initializer())
    if (t.name() == "W") w = &t;
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->data_location(), onnx::TensorProto::EXTERNAL);
  EXPECT_FALSE(w->has_raw_data());
  std::map<std::string, std::string> entries;
  for (const auto& e : w->external_data()) entries[e.key()] = e.value();
  EXPECT_EQ(entries["location"], modelPath.filename().string() + ".data");
  uint64_t offset = std::stoull(entries["offset"]), length = std::stoull(entries["length"]);
  EXPECT_EQ(offset % 4096, 0u);
  ASSERT_EQ(length, weights.size() * 4);
  ASSERT_LE(offset + length, data.size());
  EXPECT_EQ(std::memcmp(data.data() + offset, weights.data(), length), 0);
  // The 256-byte bias stays inline.
  for (const auto& t : p.graph().initializer())
    if (t.name() == "b") {
      EXPECT_EQ(t.raw_data().size(), 256u);
    }
}

TEST(OnnxEmitter, LargeTensorsGoToOneAlignedExternalDataFile) {
  TempDir dir;
  fs::path out = dir.path() / "mm.onnx";
  std::vector<float> weights;
  Model m = makeMatMulModel(&weights);
  // Opset 17 so that the path-based checker runs over the external data too.
  Status st = emitModelFile(m, out.string(), {.targetOpset = 17, .externalDataThreshold = 1024});
  ASSERT_TRUE(st) << st.str();
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"mm.onnx", "mm.onnx.data"}));
  expectExternalLayout(out, weights);

  // Bytes cannot carry external data.
  EXPECT_FALSE(emitModelBytes(m, {.targetOpset = 17, .externalDataThreshold = 1024}));
}

TEST(OnnxEmitter, LargeInitializersAreWrittenFromTheTensorsWithTheSameBytes) {
  // A file holds large initializers' bytes spliced in from kiln's tensors rather than copied
  // into the proto; the result must be exactly what protobuf writes for the full proto.
  TempDir dir;
  fs::path out = dir.path() / "big.onnx";
  std::vector<float> weights;
  Model m = makeMatMulModel(&weights);
  Graph& g = *m.graph;
  std::vector<float> big(200 * 64);  // 51200 bytes per tensor: over 64 KiB together, not each
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i % 251) * 0.01f;
  std::vector<float> bigger(300 * 64);  // 76800 bytes: deferred
  for (size_t i = 0; i < bigger.size(); ++i) bigger[i] = static_cast<float>(i % 127) - 3.f;
  Node* c1 = addConstant(g, "big", Tensor::fromVector<float>(DType::Float32, {64, 200}, big));
  Node* c2 = addConstant(g, "bigger", Tensor::fromVector<float>(DType::Float32, {64, 300}, bigger));
  c2->setDocString("a doc string is written after raw_data");
  Value* x = g.input(0);
  Value* y1 = addNode(g, "MatMul", {x, c1->output()}, "y1", f32({Dim::symbol("batch"), 200}))->output();
  Value* y2 = addNode(g, "MatMul", {x, c2->output()}, "y2", f32({Dim::symbol("batch"), 300}))->output();
  g.addOutput(y1);
  g.addOutput(y2);

  Status st = emitModelFile(m, out.string(), {.targetOpset = 17});
  ASSERT_TRUE(st) << st.str();
  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_TRUE(bytes);
  EXPECT_EQ(readFile(out), *bytes);
  onnx::ModelProto p = parse(readFile(out));
  bool found = false;
  for (const auto& t : p.graph().initializer())
    if (t.name() == "bigger") {
      found = true;
      ASSERT_EQ(t.raw_data().size(), bigger.size() * 4);
      EXPECT_EQ(std::memcmp(t.raw_data().data(), bigger.data(), t.raw_data().size()), 0);
      EXPECT_EQ(t.doc_string(), "a doc string is written after raw_data");
    }
  EXPECT_TRUE(found);
}

TEST(OnnxEmitter, CheckerFailureWithExternalDataLeavesNoFiles) {
  TempDir dir;
  fs::path out = dir.path() / "mm.onnx";
  std::vector<float> weights;
  Model m = makeMatMulModel(&weights);
  m.graph->output(0)->setType(Type::tensor(DType::Int32, Shape({Dim::symbol("batch"), 64})));
  Status st = emitModelFile(m, out.string(), {.targetOpset = 17, .externalDataThreshold = 1024});
  ASSERT_FALSE(st);
  EXPECT_NE(st.str().find("emitted model fails the ONNX checker"), std::string::npos) << st.str();
  EXPECT_TRUE(dir.entries().empty());
}

/// Zero bytes that cost no memory: untouched anonymous pages all map the kernel's zero page.
class ZeroPages final : public Buffer {
 public:
  explicit ZeroPages(size_t size) : size_(size) {
    data_ = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  }
  ~ZeroPages() override { ::munmap(data_, size_); }
  const std::byte* data() const override { return static_cast<const std::byte*>(data_); }
  size_t size() const override { return size_; }

 private:
  void* data_;
  size_t size_;
};

// Writes 2.4 GB to disk, so it runs only on request: KILN_LARGE_TESTS=1.
TEST(OnnxEmitterLarge, ModelOver2GiBUsesExternalData) {
  if (!std::getenv("KILN_LARGE_TESTS")) GTEST_SKIP() << "set KILN_LARGE_TESTS=1 (writes 2.4 GB)";
  const int64_t n = 600'000'000;  // f32: 2.4 GB, over protobuf's 2 GiB
  auto w = Tensor::fromBuffer(DType::Float32, {n}, std::make_shared<ZeroPages>(n * 4));
  ASSERT_TRUE(w);
  Model m;
  m.opsets = {{"", 17}};
  Value* x = m.graph->addInput("x", f32({2}));
  Value* big = addConstant(*m.graph, "big", *w)->output();
  m.graph->addOutput(addNode(*m.graph, "Size", {big}, "count", Type::tensor(DType::Int64, Shape::scalar()))->output());
  m.graph->addOutput(addNode(*m.graph, "Relu", {x}, "y", f32({2}))->output());

  auto bytes = emitModelBytes(m, {.targetOpset = 17});
  ASSERT_FALSE(bytes);
  EXPECT_NE(bytes.status().str().find("2 GiB"), std::string::npos) << bytes.status().str();

  TempDir dir;
  fs::path out = dir.path() / "big.onnx";
  Status st = emitModelFile(m, out.string(), {.targetOpset = 17});  // checked through the path
  ASSERT_TRUE(st) << st.str();
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"big.onnx", "big.onnx.data"}));
  EXPECT_LT(fs::file_size(out), 4096u);
  EXPECT_EQ(fs::file_size(out.string() + ".data"), uint64_t(n) * 4);
  onnx::ModelProto p = parse(readFile(out));
  ASSERT_EQ(p.graph().initializer_size(), 1);
  EXPECT_EQ(p.graph().initializer(0).data_location(), onnx::TensorProto::EXTERNAL);
}

TEST(AtomicFile, CommitReplacesAbortKeeps) {
  TempDir dir;
  std::string path = (dir.path() / "f.txt").string();
  ASSERT_TRUE(writeFileAtomically(path, "one"));
  EXPECT_EQ(readFile(path), "one");
  ::chmod(path.c_str(), 0640);
  {
    auto w = AtomicFileWriter::open(path);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write("two"));
    EXPECT_TRUE(fs::exists(w->tempPath()));
    // Dropped without commit: the temporary file goes, the old file stays.
  }
  EXPECT_EQ(readFile(path), "one");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"f.txt"});
  Status st = writeFileAtomically(path, [](AtomicFileWriter& w) -> Status {
    KILN_RETURN_IF_ERROR(w.write("thr"));
    KILN_RETURN_IF_ERROR(w.writeZeros(2));
    return w.write("ee");
  });
  ASSERT_TRUE(st) << st.str();
  EXPECT_EQ(readFile(path), std::string("thr\0\0ee", 7));
  struct stat info {};
  ::stat(path.c_str(), &info);
  EXPECT_EQ(info.st_mode & 0777, 0640u);  // the replaced file's permissions are kept
  st = writeFileAtomically(path, [](AtomicFileWriter&) { return Status::error("producer failed"); });
  EXPECT_EQ(st.str(), "producer failed");
  EXPECT_EQ(readFile(path), std::string("thr\0\0ee", 7));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"f.txt"});
  st = writeFileAtomically(dir.path().string(), "x");
  EXPECT_NE(st.str().find("is a directory"), std::string::npos) << st.str();
}

// ---- ONNX Runtime as the judge --------------------------------------------------------------

fs::path oracleDir() { return fs::path(KILN_SOURCE_DIR) / "tests" / "oracle"; }

bool haveOrt() {
  return fs::exists(oracleDir() / "node_modules" / "onnxruntime-node") &&
         std::system("node --version > /dev/null 2>&1") == 0 &&
         std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0;
}

/// Runs `script` (python; `ORT` runs the oracle: ORT(model, inputs_npz, outputs_npz)) and
/// returns its exit status; numpy computes the expected values.
int runPython(const fs::path& dir, const std::string& script) {
  fs::path file = dir / "check.py";
  std::ofstream(file) << "import numpy as np, subprocess, sys\n"
                         "def ORT(model, ins, outs):\n"
                         "    r = subprocess.run(['node', '" + (oracleDir() / "ort_run.js").string() +
                             "', model, ins, outs], capture_output=True, text=True)\n"
                         "    if r.returncode: print(r.stderr); sys.exit(3)\n"
                      << script;
  return std::system(("cd '" + dir.string() + "' && /usr/bin/python3 check.py").c_str());
}

TEST(OnnxEmitterOrt, IfModelRunsInOnnxRuntime) {
  if (!haveOrt()) GTEST_SKIP() << "ONNX Runtime oracle not installed (npm ci --ignore-scripts in tests/oracle)";
  TempDir dir;
  for (int64_t opset : {13, 17, 21}) {
    std::string name = "if" + std::to_string(opset) + ".onnx";
    Status st = emitModelFile(makeModel(), (dir.path() / name).string(), {.targetOpset = opset});
    ASSERT_TRUE(st) << st.str();
    int rc = runPython(dir.path(), R"(
x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
c = np.array([1, -2, 0.5], np.float32)
r = np.maximum(x + c, 0)
for cond, want in ((True, -r), (False, r * 3)):
    np.savez('in.npz', x=x, cond=np.array(cond))
    ORT(')" + name + R"(', 'in.npz', 'out.npz')
    out = np.load('out.npz')
    assert out['y'].shape == (5, 3) and out['z'].shape == (10, 3), out['y'].shape
    assert np.abs(out['y'] - want).max() < 1e-6, (cond, out['y'], want)
    assert np.array_equal(out['z'], np.concatenate([x, x]))
)");
    EXPECT_EQ(rc, 0) << name;
  }
}

TEST(OnnxEmitterOrt, ExternalDataModelRunsInOnnxRuntime) {
  if (!haveOrt()) GTEST_SKIP() << "ONNX Runtime oracle not installed (npm ci --ignore-scripts in tests/oracle)";
  TempDir dir;
  fs::path out = dir.path() / "mm.onnx";
  std::vector<float> weights;
  Status st = emitModelFile(makeMatMulModel(&weights), out.string(), {.externalDataThreshold = 1024});
  ASSERT_TRUE(st) << st.str();
  expectExternalLayout(out, weights);
  EXPECT_EQ(parse(readFile(out)).ir_version(), 10);
  int rc = runPython(dir.path(), R"(
i = np.arange(64 * 64)
W = (((i * 37) % 101) / np.float32(101) - np.float32(0.5)).astype(np.float32).reshape(64, 64)
x = np.random.default_rng(1).standard_normal((3, 64)).astype(np.float32)
np.savez('in.npz', x=x)
ORT('mm.onnx', 'in.npz', 'out.npz')
y = np.load('out.npz')['y']
want = x.astype(np.float64) @ W.astype(np.float64) + 0.25
assert y.shape == (3, 64)
assert np.abs(y - want).max() < 1e-4, np.abs(y - want).max()
)");
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace kiln::onnx_backend
