// ONNX importer: models are built here with ONNX's own protobuf classes, serialized, and read
// back through the public entry points, so every test goes through the real parse path.

#ifndef ONNX_ML
#define ONNX_ML 1  // Debian ships only the -ml variant of the generated protobuf headers
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "frontend/onnx/importer.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace kiln::onnx_frontend {
namespace {

namespace fs = std::filesystem;
using TP = onnx::TensorProto;

// ---- builders ---------------------------------------------------------------------------

onnx::ModelProto newModel(int64_t opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("kiln-tests");
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

/// Dims as text: digits are static, "?" unknown, anything else a symbol.
void setTensorType(onnx::TypeProto* t, int elem, const std::vector<std::string>& dims, bool ranked = true) {
  auto* tt = t->mutable_tensor_type();
  tt->set_elem_type(elem);
  if (!ranked) return;
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (d == "?") continue;
    if (std::isdigit(static_cast<unsigned char>(d[0])) || d[0] == '-') dim->set_dim_value(std::stoll(d));
    else dim->set_dim_param(d);
  }
}

onnx::ValueInfoProto* addInput(onnx::GraphProto* g, const std::string& name, int elem = TP::FLOAT,
                               const std::vector<std::string>& dims = {"2"}) {
  auto* vi = g->add_input();
  vi->set_name(name);
  setTensorType(vi->mutable_type(), elem, dims);
  return vi;
}

onnx::ValueInfoProto* addOutput(onnx::GraphProto* g, const std::string& name) {
  auto* vi = g->add_output();
  vi->set_name(name);
  return vi;
}

onnx::NodeProto* addNode(onnx::GraphProto* g, const std::string& op, const std::vector<std::string>& ins,
                         const std::vector<std::string>& outs, const std::string& name = "") {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : ins) n->add_input(i);
  for (const auto& o : outs) n->add_output(o);
  return n;
}

TP* addRawFloats(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                 const std::vector<float>& values) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(TP::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return t;
}

onnx::AttributeProto* addAttr(onnx::NodeProto* n, const std::string& name, onnx::AttributeProto::AttributeType type) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(type);
  return a;
}

ImportOptions rawOptions() {
  ImportOptions o;
  o.upgradeOps = false;  // these tests are about the importer, not the upgrade
  return o;
}

Expected<Model> importProto(const onnx::ModelProto& m, ImportOptions options = rawOptions(),
                            const std::string& baseDir = "") {
  std::string bytes;
  EXPECT_TRUE(m.SerializeToString(&bytes));
  return importModelBytes(bytes, "model.onnx", baseDir, options);
}

std::string errorOf(const Expected<Model>& r) {
  EXPECT_FALSE(r.hasValue());
  return r.hasValue() ? std::string("<imported fine>") : r.status().str();
}

Node* nodeNamed(const Graph& g, const std::string& name) {
  for (Node* n : g.nodes())
    if (n->name() == name) return n;
  return nullptr;
}

const Tensor& constantValue(const Graph& g, const std::string& valueName) {
  for (Node* n : g.nodes())
    if (n->opType() == "Constant" && n->output(0) && n->output(0)->name() == valueName) return n->attr("value")->t();
  ADD_FAILURE() << "no Constant produces " << valueName;
  static const Tensor none;
  return none;
}

template <typename T>
std::vector<T> values(const Tensor& t) {
  auto s = t.data<T>();
  return {s.begin(), s.end()};
}

/// A fresh folder under the system temp folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kiln_import_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void writeFile(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// ---- the model as a whole -----------------------------------------------------------------

TEST(OnnxImport, LiftsModelFieldsGraphAndInitializers) {
  onnx::ModelProto m = newModel();
  m.set_producer_version("1.2");
  m.set_domain("org.example");
  m.set_model_version(3);
  m.set_doc_string("model doc");
  for (auto [k, v] : {std::pair{"author", "me"}, std::pair{"license", "MIT"}}) {
    auto* p = m.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  auto* ml = m.add_opset_import();
  ml->set_domain("ai.onnx.ml");
  ml->set_version(3);
  auto* custom = m.add_opset_import();
  custom->set_domain("com.example");
  custom->set_version(1);
  auto* g = m.mutable_graph();
  g->set_doc_string("graph doc");
  addInput(g, "x", TP::FLOAT, {"batch", "4"});
  addRawFloats(g, "W", {4, 4}, std::vector<float>(16, 0.5f));
  auto* b = g->add_initializer();
  b->set_name("B");
  b->set_data_type(TP::FLOAT);
  b->add_dims(4);
  for (float v : {1.f, 2.f, 3.f, 4.f}) b->add_float_data(v);
  addNode(g, "MatMul", {"x", "W"}, {"xw"}, "mm")->set_doc_string("node doc");
  addNode(g, "Add", {"xw", "B"}, {"y"}, "add");
  addNode(g, "Custom", {"y"}, {"z"}, "c")->set_domain("com.example");
  setTensorType(addOutput(g, "y")->mutable_type(), TP::FLOAT, {"batch", "4"});
  addOutput(g, "z");

  auto r = importProto(m);
  ASSERT_TRUE(r) << r.status().str();
  const Model& model = *r;
  EXPECT_EQ(model.irVersion, 8);
  EXPECT_EQ(model.producerName, "kiln-tests");
  EXPECT_EQ(model.producerVersion, "1.2");
  EXPECT_EQ(model.domain, "org.example");
  EXPECT_EQ(model.modelVersion, 3);
  EXPECT_EQ(model.docString, "model doc");
  EXPECT_EQ(model.sourcePath, "model.onnx");
  EXPECT_EQ(model.sourceOpset, 17);
  ASSERT_EQ(model.metadata.size(), 2u);
  EXPECT_EQ(model.metadata[1], (std::pair<std::string, std::string>{"license", "MIT"}));
  EXPECT_EQ(model.opsets, (std::vector<OpsetImport>{{"", 17}, {"ai.onnx.ml", 3}, {"com.example", 1}}));

  const Graph& graph = *model.graph;
  EXPECT_EQ(graph.name(), "g");
  EXPECT_EQ(graph.docString(), "graph doc");
  ASSERT_EQ(graph.numInputs(), 1u);
  EXPECT_EQ(graph.input(0)->type().str(), "f32[batch,4]");
  // Initializers come first, as Constants named after them and typed from their tensors.
  Node* first = graph.nodes().front();
  EXPECT_EQ(first->opType(), "Constant");
  EXPECT_EQ(first->output(0)->name(), "W");
  EXPECT_EQ(first->output(0)->type().str(), "f32[4,4]");
  EXPECT_EQ(values<float>(constantValue(graph, "B")), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(values<float>(constantValue(graph, "W"))[15], 0.5f);

  Node* mm = nodeNamed(graph, "mm");
  ASSERT_NE(mm, nullptr);
  EXPECT_EQ(mm->input(0), graph.input(0));
  EXPECT_EQ(mm->input(1), first->output(0));
  EXPECT_EQ(mm->docString(), "node doc");
  EXPECT_EQ(mm->location(), (Location{"model.onnx", "mm", {}}));
  Node* c = nodeNamed(graph, "c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->qualifiedOp(), "com.example.Custom");
  EXPECT_EQ(c->schema(), nullptr);  // opaque
  ASSERT_EQ(graph.numOutputs(), 2u);
  EXPECT_EQ(graph.output(0)->type().str(), "f32[batch,4]");  // typed from the declared output
  EXPECT_EQ(graph.output(1)->producer(), c);
}

TEST(OnnxImport, ValueTypes) {
  onnx::ModelProto m = newModel();
  auto* g = m.mutable_graph();
  addInput(g, "a", TP::FLOAT, {"3", "n", "?"});
  setTensorType(g->add_input()->mutable_type(), TP::INT64, {}, /*ranked=*/false);
  g->mutable_input(1)->set_name("b");
  auto* c = g->add_input();
  c->set_name("c");
  setTensorType(c->mutable_type()->mutable_sequence_type()->mutable_elem_type(), TP::INT64, {"2"});
  auto* d = g->add_input();
  d->set_name("d");
  setTensorType(d->mutable_type()->mutable_optional_type()->mutable_elem_type(), TP::FLOAT16, {});
  g->add_input()->set_name("e");  // no type at all
  addNode(g, "Identity", {"a"}, {"i"});
  auto* vi = g->add_value_info();
  vi->set_name("i");
  setTensorType(vi->mutable_type(), TP::FLOAT, {"3", "n", "7"});
  addOutput(g, "i");

  auto r = importProto(m);
  ASSERT_TRUE(r) << r.status().str();
  const Graph& graph = *r->graph;
  EXPECT_EQ(graph.input(0)->type().str(), "f32[3,n,?]");
  EXPECT_EQ(graph.input(1)->type().str(), "i64[*]");
  EXPECT_EQ(graph.input(2)->type().str(), "seq<i64[2]>");
  EXPECT_EQ(graph.input(3)->type().str(), "opt<f16[]>");
  EXPECT_TRUE(graph.input(4)->type().isUnknown());
  EXPECT_EQ(graph.output(0)->type().str(), "f32[3,n,7]");  // from value_info
}

TEST(OnnxImport, RefusesTypesKilnCannotHold) {
  auto withInput = [](auto setType) {
    onnx::ModelProto m = newModel();
    auto* vi = m.mutable_graph()->add_input();
    vi->set_name("x");
    setType(vi->mutable_type());
    addOutput(m.mutable_graph(), "x");
    return errorOf(importProto(m));
  };
  EXPECT_EQ(withInput([](onnx::TypeProto* t) { setTensorType(t, TP::FLOAT, {"2", "-3"}); }),
            "model.onnx: input 'x' has negative dim -3 at axis 1");
  EXPECT_EQ(withInput([](onnx::TypeProto* t) { t->mutable_map_type()->set_key_type(TP::INT64); }),
            "model.onnx: input 'x' has a map type, which kiln does not support");
  EXPECT_NE(withInput([](onnx::TypeProto* t) { t->mutable_sparse_tensor_type()->set_elem_type(1); })
                .find("sparse tensor type"),
            std::string::npos);
  EXPECT_NE(withInput([](onnx::TypeProto* t) { setTensorType(t, TP::FLOAT, {"4294967296", "4294967296"}); })
                .find("overflows int64"),
            std::string::npos);
  EXPECT_NE(withInput([](onnx::TypeProto* t) { setTensorType(t, 17, {"2"}); }).find("FLOAT8E4M3FN"),
            std::string::npos);
}

// ---- initializers -----------------------------------------------------------------------

TEST(OnnxImport, ReadsEveryInitializerEncoding) {
  onnx::ModelProto m = newModel();
  auto* g = m.mutable_graph();
  auto add = [&](const std::string& name, int type, std::vector<int64_t> dims) {
    TP* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : dims) t->add_dims(d);
    addOutput(g, name);
    return t;
  };
  TP* f32 = add("f32", TP::FLOAT, {2});
  f32->add_float_data(1.5f);
  f32->add_float_data(-2.f);
  TP* i8 = add("i8", TP::INT8, {2});
  i8->add_int32_data(-3);
  i8->add_int32_data(100);
  TP* u8 = add("u8", TP::UINT8, {2});
  u8->add_int32_data(255);
  u8->add_int32_data(7);
  add("i16", TP::INT16, {1})->add_int32_data(-30000);
  add("u16", TP::UINT16, {1})->add_int32_data(65535);
  TP* b = add("bool", TP::BOOL, {3});
  for (int v : {0, 1, 5}) b->add_int32_data(v);
  add("f16", TP::FLOAT16, {1})->add_int32_data(0x3C00);
  add("bf16", TP::BFLOAT16, {1})->add_int32_data(0x3F80);
  add("i32", TP::INT32, {1})->add_int32_data(-7);
  add("i64", TP::INT64, {1})->add_int64_data(-(int64_t{1} << 40));
  add("f64", TP::DOUBLE, {1})->add_double_data(0.25);
  add("u32", TP::UINT32, {1})->add_uint64_data(4000000000u);
  add("u64", TP::UINT64, {1})->add_uint64_data(uint64_t{1} << 63);
  TP* s = add("str", TP::STRING, {2});
  s->add_string_data("a");
  s->add_string_data("bc");
  TP* c64 = add("c64", TP::COMPLEX64, {2});
  for (float v : {1.f, 2.f, 3.f, 4.f}) c64->add_float_data(v);
  std::vector<int64_t> raw = {5, -6};
  add("raw", TP::INT64, {2})->set_raw_data(std::string(reinterpret_cast<const char*>(raw.data()), 16));
  add("empty", TP::FLOAT, {0, 3});

  auto r = importProto(m);
  ASSERT_TRUE(r) << r.status().str();
  const Graph& graph = *r->graph;
  EXPECT_EQ(values<float>(constantValue(graph, "f32")), (std::vector<float>{1.5f, -2.f}));
  EXPECT_EQ(values<int8_t>(constantValue(graph, "i8")), (std::vector<int8_t>{-3, 100}));
  EXPECT_EQ(values<uint8_t>(constantValue(graph, "u8")), (std::vector<uint8_t>{255, 7}));
  EXPECT_EQ(values<int16_t>(constantValue(graph, "i16")), (std::vector<int16_t>{-30000}));
  EXPECT_EQ(values<uint16_t>(constantValue(graph, "u16")), (std::vector<uint16_t>{65535}));
  EXPECT_EQ(values<uint8_t>(constantValue(graph, "bool")), (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_EQ(values<uint16_t>(constantValue(graph, "f16")), (std::vector<uint16_t>{0x3C00}));
  EXPECT_EQ(values<uint16_t>(constantValue(graph, "bf16")), (std::vector<uint16_t>{0x3F80}));
  EXPECT_EQ(values<int32_t>(constantValue(graph, "i32")), (std::vector<int32_t>{-7}));
  EXPECT_EQ(values<int64_t>(constantValue(graph, "i64")), (std::vector<int64_t>{-(int64_t{1} << 40)}));
  EXPECT_EQ(values<double>(constantValue(graph, "f64")), (std::vector<double>{0.25}));
  EXPECT_EQ(values<uint32_t>(constantValue(graph, "u32")), (std::vector<uint32_t>{4000000000u}));
  EXPECT_EQ(values<uint64_t>(constantValue(graph, "u64")), (std::vector<uint64_t>{uint64_t{1} << 63}));
  EXPECT_EQ(constantValue(graph, "str").strings(), (std::vector<std::string>{"a", "bc"}));
  const Tensor& c = constantValue(graph, "c64");
  ASSERT_EQ(c.byteSize(), 16u);
  EXPECT_EQ(reinterpret_cast<const float*>(c.rawData())[3], 4.f);
  EXPECT_EQ(values<int64_t>(constantValue(graph, "raw")), raw);
  EXPECT_EQ(constantValue(graph, "empty").numElements(), 0);
  EXPECT_EQ(graph.output(graph.numOutputs() - 1)->type().str(), "f32[0,3]");
}

TEST(OnnxImport, InitializerThatIsAlsoAnInputIsItsDefault) {
  onnx::ModelProto m = newModel();
  auto* g = m.mutable_graph();
  addInput(g, "W");
  addRawFloats(g, "W", {2}, {1, 2});
  addNode(g, "Relu", {"W"}, {"y"});
  addOutput(g, "y");
  auto r = importProto(m);
  ASSERT_TRUE(r) << r.status().str();
  const Graph& graph = *r->graph;
  ASSERT_EQ(graph.numInputs(), 1u);
  ASSERT_EQ(graph.inputDefaults().size(), 1u);
  EXPECT_EQ(graph.inputDefaults()[0].first, graph.input(0));
  EXPECT_EQ(values<float>(graph.inputDefaults()[0].second), (std::vector<float>{1, 2}));
  EXPECT_EQ(graph.nodes().size(), 1u);  // no Constant for it
  EXPECT_EQ(graph.nodes().front()->input(0), graph.input(0));
}

TEST(OnnxImport, RefusesBadInitializers) {
  auto withInit = [](auto fill, ImportOptions options = rawOptions()) {
    onnx::ModelProto m = newModel();
    auto* g = m.mutable_graph();
    TP* t = g->add_initializer();
    t->set_name("w");
    t->set_data_type(TP::FLOAT);
    fill(t);
    addOutput(g, "w");
    return errorOf(importProto(m, options));
  };
  EXPECT_EQ(withInit([](TP* t) {
              t->add_dims(4);
              t->add_dims(4);
              t->set_raw_data(std::string(12, '\0'));
            }),
            "model.onnx: initializer 'w': raw_data has 12 bytes, f32[4,4] needs 64 (size mismatch)");
  EXPECT_EQ(withInit([](TP* t) {
              t->add_dims(4);
              for (int i = 0; i < 3; ++i) t->add_float_data(1);
            }),
            "model.onnx: initializer 'w': float_data has 3 values, f32[4] needs 4 (size mismatch)");
  EXPECT_NE(withInit([](TP* t) {
              t->add_dims(1);
              t->add_int64_data(1);
            }).find("its data is in int64_data"),
            std::string::npos);
  EXPECT_EQ(withInit([](TP* t) {
              t->add_dims(-1);
            }),
            "model.onnx: initializer 'w' has negative dim -1 at axis 0");
  EXPECT_NE(withInit([](TP* t) {
              t->add_dims(int64_t{1} << 40);
              t->add_dims(int64_t{1} << 40);
            }).find("overflows int64"),
            std::string::npos);
  EXPECT_NE(withInit([](TP* t) { t->add_dims(3); }).find("has no data"), std::string::npos);
  EXPECT_NE(withInit([](TP* t) {
              t->set_data_type(17);
              t->add_dims(1);
            }).find("FLOAT8E4M3FN"),
            std::string::npos);
  ImportOptions small = rawOptions();
  small.limits.maxTensorBytes = 8;
  EXPECT_NE(withInit(
                [](TP* t) {
                  t->add_dims(4);
                  t->set_raw_data(std::string(16, '\0'));
                },
                small)
                .find("over the tensor size limit of 8 B (raise it with --max-tensor-bytes)"),
            std::string::npos);

  onnx::ModelProto m = newModel();
  auto* sparse = m.mutable_graph()->add_sparse_initializer();
  sparse->mutable_values()->set_name("s");
  EXPECT_EQ(errorOf(importProto(m)), "model.onnx: sparse initializer 's' is not supported");
}

TEST(OnnxImport, ConstantAttributesBecomeValueTensors) {
  onnx::ModelProto m = newModel();
  auto* g = m.mutable_graph();
  using AP = onnx::AttributeProto;
  addAttr(addNode(g, "Constant", {}, {"vf"}, "vf"), "value_float", AP::FLOAT)->set_f(2.5f);
  auto* vfs = addAttr(addNode(g, "Constant", {}, {"vfs"}, "vfs"), "value_floats", AP::FLOATS);
  vfs->add_floats(1);
  vfs->add_floats(2);
  addAttr(addNode(g, "Constant", {}, {"vi"}, "vi"), "value_int", AP::INT)->set_i(-4);
  auto* vis = addAttr(addNode(g, "Constant", {}, {"vis"}, "vis"), "value_ints", AP::INTS);
  vis->add_ints(7);
  addAttr(addNode(g, "Constant", {}, {"vs"}, "vs"), "value_string", AP::STRING)->set_s("hi");
  auto* vss = addAttr(addNode(g, "Constant", {}, {"vss"}, "vss"), "value_strings", AP::STRINGS);
  vss->add_strings("a");
  vss->add_strings("b");
  auto* vt = addAttr(addNode(g, "Constant", {}, {"vt"}, "vt"), "value", AP::TENSOR)->mutable_t();
  vt->set_data_type(TP::INT32);
  vt->add_dims(1);
  vt->add_int32_data(9);
  for (const char* name : {"vf", "vfs", "vi", "vis", "vs", "vss", "vt"}) addOutput(g, name);

  auto r = importProto(m);
  ASSERT_TRUE(r) << r.status().str();
  const Graph& graph = *r->graph;
  for (Node* n : graph.nodes()) {
    ASSERT_EQ(n->attributes().size(), 1u) << n->name();
    EXPECT_NE(n->attr("value"), nullptr) << n->name();
  }
  EXPECT_EQ(values<float>(constantValue(graph, "vf")), (std::vector<float>{2.5f}));
  EXPECT_EQ(constantValue(graph, "vf").rank(), 0u);
  EXPECT_EQ(values<float>(constantValue(graph, "vfs")), (std::vector<float>{1, 2}));
  EXPECT_EQ(values<int64_t>(constantValue(graph, "vi")), (std::vector<int64_t>{-4}));
  EXPECT_EQ(values<int64_t>(constantValue(graph, "vis")), (std::vector<int64_t>{7}));
  EXPECT_EQ(constantValue(graph, "vs").strings(), (std::vector<std::string>{"hi"}));
  EXPECT_EQ(constantValue(graph, "vss").strings(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(values<int32_t>(constantValue(graph, "vt")), (std::vector<int32_t>{9}));
  EXPECT_EQ(nodeNamed(graph, "vfs")->output(0)->type().str(), "f32[2]");

  onnx::ModelProto sparse = newModel();
  auto* sv = addAttr(addNode(sparse.mutable_graph(), "Constant", {}, {"c"}, "k"), "sparse_value", AP::SPARSE_TENSOR);
  sv->mutable_sparse_tensor()->mutable_values()->set_data_type(TP::FLOAT);
  addOutput(sparse.mutable_graph(), "c");
  std::string err = errorOf(importProto(sparse));
  EXPECT_EQ(err.rfind("model.onnx: node 'k' (Constant): ", 0), 0u) << err;
  EXPECT_NE(err.find("sparse"), std::string::npos) << err;
}

// ---- graph structure ----------------------------------------------------------------------

TEST(OnnxImport, SortsNodesAndKeepsOmittedOptionalValues) {
  onnx::ModelProto m = newModel();
  auto* g = m.mutable_graph();
  addInput(g, "x");
  addInput(g, "hi");
  addNode(g, "Clip", {"a", "", "hi"}, {"c"}, "clip");  // listed before its producer
  addNode(g, "Neg", {"x"}, {"a"}, "neg");
  addNode(g, "Dropout", {"c"}, {"d", ""}, "drop");
  addOutput(g, "d");
  auto r = importProto(m);
  ASSERT_TRUE(r) << r.status().str();
  std::vector<std::string> order;
  for (Node* n : r->graph->nodes()) order.push_back(n->name());
  EXPECT_EQ(order, (std::vector<std::string>{"neg", "clip", "drop"}));
  Node* clip = nodeNamed(*r->graph, "clip");
  ASSERT_EQ(clip->numInputs(), 3u);
  EXPECT_EQ(clip->input(1), nullptr);
  EXPECT_EQ(clip->input(2), r->graph->input(1));
  Node* drop = nodeNamed(*r->graph, "drop");
  ASSERT_EQ(drop->numOutputs(), 2u);
  EXPECT_EQ(drop->output(1), nullptr);
}

TEST(OnnxImport, RefusesBrokenGraphStructure) {
  {
    onnx::ModelProto m = newModel();
    auto* g = m.mutable_graph();
    addInput(g, "x");
    addNode(g, "Add", {"x", "b"}, {"a"}, "add");
    addNode(g, "Relu", {"a"}, {"b"}, "relu");
    addOutput(g, "b");
    EXPECT_EQ(errorOf(importProto(m)), "model.onnx: graph has a cycle through node 'add' (Add)");
  }
  {
    onnx::ModelProto m = newModel();
    auto* g = m.mutable_graph();
    addInput(g, "x");
    addNode(g, "Relu", {"x"}, {"y"}, "r1");
    addNode(g, "Neg", {"x"}, {"y"}, "n1");
    addOutput(g, "y");
    EXPECT_EQ(errorOf(importProto(m)), "model.onnx: duplicate value name 'y' (produced by node 'r1' and node 'n1')");
  }
  {
    onnx::ModelProto m = newModel();
    auto* g = m.mutable_graph();
    addInput(g, "x");
    addNode(g, "Relu", {"nope"}, {"y"}, "r");
    addOutput(g, "y");
    EXPECT_EQ(errorOf(importProto(m)),
              "model.onnx: node 'r' (Relu): input 'nope' is not defined (no node, graph input or initializer "
              "produces it)");
  }
  {
    onnx::ModelProto m = newModel();
    addInput(m.mutable_graph(), "x");
    addNode(m.mutable_graph(), "Relu", {"x"}, {"x"}, "r");
    EXPECT_NE(errorOf(importProto(m)).find("duplicate value name 'x' (graph input, also produced by node 'r')"),
              std::string::npos);
  }
  {
    onnx::ModelProto m = newModel();
    addOutput(m.mutable_graph(), "ghost");
    EXPECT_NE(errorOf(importProto(m)).find("graph output 'ghost' is not produced"), std::string::npos);
  }
}

TEST(OnnxImport, ChecksOpsAgainstOnnxSchemas) {
  auto oneNode = [](int64_t opset, const std::string& op, std::vector<std::string> ins, ImportOptions o = rawOptions()) {
    onnx::ModelProto m = newModel(opset);
    auto* g = m.mutable_graph();
    for (const auto& i : ins) addInput(g, i);
    addNode(g, op, ins, {"y"}, "n");
    addOutput(g, "y");
    return importProto(m, o);
  };
  EXPECT_EQ(errorOf(oneNode(17, "FooBarOp", {"x"})),
            "model.onnx: node 'n' (FooBarOp): unknown op 'FooBarOp' in domain 'ai.onnx' at opset 17");
  EXPECT_EQ(errorOf(oneNode(17, "Add", {"x"})), "model.onnx: node 'n' (Add): Add expects 2 inputs, got 1");
  EXPECT_EQ(errorOf(oneNode(17, "Relu", {"x", "z"})), "model.onnx: node 'n' (Relu): Relu expects 1 input, got 2");
  EXPECT_NE(errorOf(oneNode(17, "Gelu", {"x"})).find("unknown op 'Gelu'"), std::string::npos);  // new at 20
  EXPECT_NE(errorOf(oneNode(13, "HardSwish", {"x"})).find("at opset 13"), std::string::npos);   // new at 14
  EXPECT_NE(errorOf(oneNode(13, "Upsample", {"x", "s"})).find("deprecated"), std::string::npos);
  EXPECT_EQ(errorOf(oneNode(17, "ReduceMean", {"x", "axes"})),
            "model.onnx: node 'n' (ReduceMean): ReduceMean expects 1 input, got 2");
  // Versions newer than the installed libonnx come from kiln's own table of opsets 18-21.
  EXPECT_TRUE(oneNode(18, "ReduceMean", {"x", "axes"}));
  EXPECT_TRUE(oneNode(20, "Gelu", {"x"}));
  EXPECT_NE(errorOf(oneNode(20, "Gelu", {"x", "z"})).find("Gelu expects 1 input, got 2"), std::string::npos);
  EXPECT_NE(errorOf(oneNode(21, "FooBarOp", {"x"})).find("at opset 21"), std::string::npos);
  ImportOptions unchecked = rawOptions();
  unchecked.checkSchemas = false;
  EXPECT_TRUE(oneNode(17, "FooBarOp", {"x"}, unchecked));

  onnx::ModelProto m = newModel();
  addInput(m.mutable_graph(), "x");
  addAttr(addNode(m.mutable_graph(), "Relu", {"x"}, {"y"}, "n"), "foo", onnx::AttributeProto::INT)->set_i(1);
  addOutput(m.mutable_graph(), "y");
  EXPECT_NE(errorOf(importProto(m)).find("foo"), std::string::npos);  // libonnx's attribute check
}

// ---- parsing and files --------------------------------------------------------------------

TEST(OnnxImport, RefusesBytesThatAreNotAModel) {
  EXPECT_EQ(errorOf(importModelBytes("", "m.onnx", "")), "m.onnx: empty file");
  onnx::ModelProto m = newModel();
  auto* g = m.mutable_graph();
  addInput(g, "x");
  addRawFloats(g, "W", {8, 8}, std::vector<float>(64, 1.f));
  addNode(g, "Add", {"x", "W"}, {"y"});
  addOutput(g, "y");
  std::string bytes = m.SerializeAsString();
  EXPECT_EQ(errorOf(importModelBytes(bytes.substr(0, bytes.size() / 2), "m.onnx", "")),
            "m.onnx: not a valid ONNX model: failed to parse protobuf");
  std::mt19937 rng(1234);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  EXPECT_NE(errorOf(importModelBytes(noise, "m.onnx", "")).find("m.onnx: not a valid ONNX model"), std::string::npos);
  onnx::ModelProto noGraph;
  noGraph.set_ir_version(8);
  EXPECT_EQ(errorOf(importModelBytes(noGraph.SerializeAsString(), "m.onnx", "")),
            "m.onnx: not a valid ONNX model: the parsed protobuf has no graph");
}

TEST(OnnxImport, ReadsFilesAndNamesThemInErrors) {
  TempDir dir;
  onnx::ModelProto m = newModel();
  addInput(m.mutable_graph(), "x");
  addOutput(m.mutable_graph(), "x");
  std::string path = (dir.path() / "model.onnx").string();
  writeFile(path, m.SerializeAsString());
  auto r = importModelFile(path, rawOptions());
  ASSERT_TRUE(r) << r.status().str();
  EXPECT_EQ(r->sourcePath, path);
  EXPECT_EQ(errorOf(importModelFile((dir.path() / "missing.onnx").string())),
            (dir.path() / "missing.onnx").string() + ": cannot open: No such file or directory");
  EXPECT_EQ(errorOf(importModelFile(dir.path().string())), dir.path().string() + ": is a directory, not a model file");
  writeFile(dir.path() / "empty.onnx", "");
  EXPECT_EQ(errorOf(importModelFile((dir.path() / "empty.onnx").string())),
            (dir.path() / "empty.onnx").string() + ": empty file");
}

// ---- external data ------------------------------------------------------------------------

/// A model whose f32[2] initializer W lives in external data at `location`.
std::string externalModel(const std::string& location, const std::string& offset = "8",
                          const std::string& length = "8") {
  onnx::ModelProto m = newModel();
  auto* g = m.mutable_graph();
  TP* t = g->add_initializer();
  t->set_name("W");
  t->set_data_type(TP::FLOAT);
  t->add_dims(2);
  t->set_data_location(TP::EXTERNAL);
  for (auto [k, v] : {std::pair{"location", location}, {"offset", offset}, {"length", length}}) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  }
  addOutput(g, "W");
  return m.SerializeAsString();
}

class OnnxExternalData : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<float> w = {1, 2, 3, 4};
    writeFile(dir_.path() / "weights.bin", std::string(reinterpret_cast<const char*>(w.data()), 16));
  }
  /// Writes the model into the temp folder and imports it from there.
  Expected<Model> load(const std::string& bytes) {
    writeFile(modelPath(), bytes);
    return importModelFile(modelPath(), rawOptions());
  }
  std::string modelPath() const { return (dir_.path() / "model.onnx").string(); }
  TempDir dir_;
  TempDir outside_;
};

TEST_F(OnnxExternalData, MapsTheBytesInPlace) {
  auto r = load(externalModel("weights.bin"));
  ASSERT_TRUE(r) << r.status().str();
  const Tensor& w = constantValue(*r->graph, "W");
  EXPECT_EQ(values<float>(w), (std::vector<float>{3, 4}));
  EXPECT_NE(dynamic_cast<const MappedBuffer*>(w.buffer().get()), nullptr);  // mapped, not copied

  fs::create_directory(dir_.path() / "sub");
  fs::copy_file(dir_.path() / "weights.bin", dir_.path() / "sub" / "w.bin");
  fs::create_symlink("weights.bin", dir_.path() / "alias.bin");  // a link that stays inside
  EXPECT_TRUE(load(externalModel("sub/w.bin")));
  EXPECT_TRUE(load(externalModel("alias.bin")));
}

TEST_F(OnnxExternalData, RefusesPathsOutsideTheModelFolder) {
  EXPECT_EQ(errorOf(load(externalModel("/etc/passwd"))),
            modelPath() + ": external data path '/etc/passwd' of initializer 'W' is absolute");
  EXPECT_EQ(errorOf(load(externalModel("sub/../../weights.bin"))),
            modelPath() + ": external data path 'sub/../../weights.bin' of initializer 'W' escapes the model folder "
                          "(a '..' component points outside it)");
  writeFile(outside_.path() / "secret.bin", std::string(16, 'x'));
  fs::create_symlink(outside_.path() / "secret.bin", dir_.path() / "link.bin");
  std::string err = errorOf(load(externalModel("link.bin")));
  EXPECT_NE(err.find("external data path 'link.bin' of initializer 'W' escapes the model folder (through a symlink"),
            std::string::npos)
      << err;
  fs::create_directory_symlink(outside_.path(), dir_.path() / "linkdir");
  EXPECT_NE(errorOf(load(externalModel("linkdir/secret.bin"))).find("escapes the model folder"), std::string::npos);
}

TEST_F(OnnxExternalData, RefusesBadRangesAndMissingFiles) {
  EXPECT_NE(errorOf(load(externalModel("weights.bin", "12", "8"))).find("reads bytes [12, 12+8)"), std::string::npos);
  EXPECT_NE(errorOf(load(externalModel("weights.bin", "0", "4"))).find("external data has 4 bytes"),
            std::string::npos);
  EXPECT_NE(errorOf(load(externalModel("weights.bin", "x", "8"))).find("invalid offset 'x'"), std::string::npos);
  EXPECT_NE(errorOf(load(externalModel("nothere.bin"))).find("cannot open external data file 'nothere.bin'"),
            std::string::npos);
  EXPECT_NE(errorOf(importModelBytes(externalModel("weights.bin"), "m.onnx", "", rawOptions()))
                .find("not read from a file"),
            std::string::npos);
}

// ---- subgraphs ----------------------------------------------------------------------------

onnx::GraphProto* addGraphAttr(onnx::NodeProto* n, const std::string& name) {
  auto* a = addAttr(n, name, onnx::AttributeProto::GRAPH);
  a->mutable_g()->set_name(name);
  return a->mutable_g();
}

TEST(OnnxImport, SubgraphsCaptureOuterValuesThroughEveryScope) {
  onnx::ModelProto m = newModel();
  auto* g = m.mutable_graph();
  addInput(g, "x");
  addInput(g, "cond", TP::BOOL, {});
  // The If comes first in the file although its branch captures `c`, produced after it.
  auto* ifNode = addNode(g, "If", {"cond"}, {"y"}, "if");
  addNode(g, "Neg", {"x"}, {"c"}, "mkc");
  auto* then = addGraphAttr(ifNode, "then_branch");
  addNode(then, "Add", {"x", "c"}, {"t"}, "then_add");
  addOutput(then, "t");
  auto* other = addGraphAttr(ifNode, "else_branch");
  auto* inner = addNode(other, "If", {"cond"}, {"e"}, "inner_if");
  auto* innerThen = addGraphAttr(inner, "then_branch");
  addNode(innerThen, "Identity", {"c"}, {"it"}, "deep");  // two scopes up
  addOutput(innerThen, "it");
  auto* innerElse = addGraphAttr(inner, "else_branch");
  addNode(innerElse, "Neg", {"x"}, {"c"}, "shadow");  // a local `c` hides the outer one
  addNode(innerElse, "Identity", {"c"}, {"ie"}, "uses_local");
  addOutput(innerElse, "ie");
  addOutput(other, "e");
  addOutput(g, "y");

  auto r = importProto(m);
  ASSERT_TRUE(r) << r.status().str();
  const Graph& graph = *r->graph;
  Node* mkc = nodeNamed(graph, "mkc");
  Node* ifn = nodeNamed(graph, "if");
  EXPECT_EQ(graph.nodes().front(), mkc);  // sorted before the If that captures its output
  Value* x = graph.input(0);
  Value* c = mkc->output(0);
  Graph& thenG = ifn->attr("then_branch")->g();
  EXPECT_EQ(thenG.parentNode(), ifn);
  Node* add = nodeNamed(thenG, "then_add");
  EXPECT_EQ(add->input(0), x);
  EXPECT_EQ(add->input(1), c);
  Node* innerIf = nodeNamed(ifn->attr("else_branch")->g(), "inner_if");
  EXPECT_EQ(nodeNamed(innerIf->attr("then_branch")->g(), "deep")->input(0), c);
  Graph& innerElseG = innerIf->attr("else_branch")->g();
  EXPECT_EQ(nodeNamed(innerElseG, "uses_local")->input(0), nodeNamed(innerElseG, "shadow")->output(0));
  EXPECT_EQ(c->uses().size(), 2u);  // then_add and deep
  EXPECT_EQ(graph.totalNodeCount(), 7u);
}

TEST(OnnxImport, LimitsSubgraphNesting) {
  auto nested = [](int levels) {
    onnx::ModelProto m = newModel();
    auto* g = m.mutable_graph();
    addInput(g, "x");
    addInput(g, "cond", TP::BOOL, {});
    onnx::GraphProto* cur = g;
    for (int i = 0; i < levels; ++i) {
      auto* n = addNode(cur, "If", {"cond"}, {"y" + std::to_string(i)}, "if" + std::to_string(i));
      addOutput(cur, "y" + std::to_string(i));
      auto* els = addGraphAttr(n, "else_branch");
      addNode(els, "Identity", {"x"}, {"e" + std::to_string(i)});
      addOutput(els, "e" + std::to_string(i));
      cur = addGraphAttr(n, "then_branch");
    }
    addNode(cur, "Identity", {"x"}, {"leaf"});
    addOutput(cur, "leaf");
    return m;
  };
  ImportOptions shallow = rawOptions();
  shallow.limits.maxSubgraphDepth = 3;
  EXPECT_TRUE(importProto(nested(3), shallow));
  std::string err = errorOf(importProto(nested(4), shallow));
  EXPECT_NE(err.find("subgraphs nest deeper than 3 levels (raise it with --max-subgraph-depth)"), std::string::npos) << err;
  EXPECT_TRUE(importProto(nested(60)));  // within the default, past protobuf's default recursion limit
}

// ---- model-local functions ----------------------------------------------------------------

/// ScaleAdd(X, Y) = X * alpha + Y in domain custom.fn, called as `call1` with alpha = 2.
onnx::ModelProto functionModel(bool withAlpha = true, bool withDefault = false) {
  onnx::ModelProto m = newModel();
  auto* fnImport = m.add_opset_import();
  fnImport->set_domain("custom.fn");
  fnImport->set_version(1);
  auto* fp = m.add_functions();
  fp->set_name("ScaleAdd");
  fp->set_domain("custom.fn");
  fp->set_doc_string("x * alpha + y");
  fp->add_input("X");
  fp->add_input("Y");
  fp->add_output("Z");
  fp->add_attribute("alpha");
  auto* fo = fp->add_opset_import();
  fo->set_domain("");
  fo->set_version(17);
  auto* k = fp->add_node();
  k->set_op_type("Constant");
  k->add_output("a");
  k->set_name("k");
  auto* ref = addAttr(k, "value_float", onnx::AttributeProto::FLOAT);
  ref->set_ref_attr_name("alpha");
  for (auto [op, ins, out] : {std::tuple{"Mul", std::vector<std::string>{"X", "a"}, "m"},
                              std::tuple{"Add", std::vector<std::string>{"m", "Y"}, "Z"}}) {
    auto* n = fp->add_node();
    n->set_op_type(op);
    n->set_name(op);
    for (const auto& i : ins) n->add_input(i);
    n->add_output(out);
  }
  if (withDefault) {
    onnx::AttributeProto def;
    def.set_name("alpha");
    def.set_type(onnx::AttributeProto::FLOAT);
    def.set_f(3.f);
    // FunctionProto.attribute_proto (field 11) postdates Debian's ONNX classes: write it raw.
    fp->GetReflection()->MutableUnknownFields(fp)->AddLengthDelimited(11, def.SerializeAsString());
  }
  auto* g = m.mutable_graph();
  addInput(g, "x");
  addInput(g, "y");
  auto* call = addNode(g, "ScaleAdd", {"x", "y"}, {"out"}, "call1");
  call->set_domain("custom.fn");
  if (withAlpha) addAttr(call, "alpha", onnx::AttributeProto::FLOAT)->set_f(2.f);
  setTensorType(addOutput(g, "out")->mutable_type(), TP::FLOAT, {"2"});
  return m;
}

TEST(OnnxImport, KeepsModelLocalFunctions) {
  auto r = importProto(functionModel());
  ASSERT_TRUE(r) << r.status().str();
  ASSERT_EQ(r->functions.size(), 1u);
  const Function& f = r->functions[0];
  EXPECT_EQ(f.name, "ScaleAdd");
  EXPECT_EQ(f.domain, "custom.fn");
  EXPECT_EQ(f.docString, "x * alpha + y");
  EXPECT_EQ(f.attributes, (std::vector<std::string>{"alpha"}));
  EXPECT_EQ(f.opsets, (std::vector<OpsetImport>{{"", 17}}));
  ASSERT_EQ(f.body->numInputs(), 2u);
  EXPECT_TRUE(f.body->input(0)->type().isUnknown());
  ASSERT_EQ(f.body->nodes().size(), 3u);
  EXPECT_EQ(f.body->nodes().front()->attr("value_float")->refAttrName(), "alpha");
  EXPECT_EQ(f.body->output(0)->producer()->opType(), "Add");
  Node* call = r->graph->nodes().front();
  EXPECT_EQ(call->qualifiedOp(), "custom.fn.ScaleAdd");
  EXPECT_EQ(call->attr("alpha")->f(), 2.f);
}

TEST(OnnxImport, InlinesModelLocalFunctions) {
  ImportOptions inl = rawOptions();
  inl.inlineFunctions = true;
  auto r = importProto(functionModel(), inl);
  ASSERT_TRUE(r) << r.status().str();
  EXPECT_TRUE(r->functions.empty());
  const Graph& graph = *r->graph;
  std::vector<std::string> ops;
  for (Node* n : graph.nodes()) ops.push_back(n->name() + ":" + n->opType());
  EXPECT_EQ(ops, (std::vector<std::string>{"call1/k:Constant", "call1/Mul:Mul", "call1/Add:Add"}));
  EXPECT_EQ(values<float>(constantValue(graph, "call1/a")), (std::vector<float>{2.f}));
  Node* mul = nodeNamed(graph, "call1/Mul");
  EXPECT_EQ(mul->input(0), graph.input(0));
  ASSERT_EQ(graph.numOutputs(), 1u);
  EXPECT_EQ(graph.output(0)->name(), "out");  // the call's output name survives
  EXPECT_EQ(graph.output(0)->producer()->opType(), "Add");
  EXPECT_EQ(graph.output(0)->type().str(), "f32[2]");
  EXPECT_EQ(graph.output(0)->producer()->input(1), graph.input(1));

  // No alpha at the call: the function's default applies.
  auto d = importProto(functionModel(false, true), inl);
  ASSERT_TRUE(d) << d.status().str();
  EXPECT_EQ(values<float>(constantValue(*d->graph, "call1/a")), (std::vector<float>{3.f}));
}

TEST(OnnxImport, RefusesRecursiveFunctionsWhenInlining) {
  onnx::ModelProto m = functionModel();
  auto* self = m.mutable_functions(0)->add_node();  // ScaleAdd calls itself
  self->set_op_type("ScaleAdd");
  self->set_domain("custom.fn");
  self->add_input("X");
  self->add_input("Y");
  self->add_output("again");
  addAttr(self, "alpha", onnx::AttributeProto::FLOAT)->set_ref_attr_name("alpha");
  ImportOptions inl = rawOptions();
  inl.inlineFunctions = true;
  std::string err = errorOf(importProto(m, inl));
  EXPECT_NE(err.find("calls itself recursively"), std::string::npos) << err;
}

// ---- with the upgrade -------------------------------------------------------------------

TEST(OnnxImport, UpgradedImportAttachesKilnSchemas) {
  onnx::ModelProto m = newModel();
  auto* g = m.mutable_graph();
  addInput(g, "x");
  addRawFloats(g, "W", {2}, {1, 2});
  addNode(g, "Mystery", {"x"}, {"z"}, "m")->set_domain("com.example");
  addNode(g, "Add", {"z", "W"}, {"y"}, "add");
  addOutput(g, "y");
  auto r = importProto(m, ImportOptions{});
  ASSERT_TRUE(r) << r.status().str();
  const Graph& graph = *r->graph;
  EXPECT_EQ(graph.nodes().front()->schema(), OpRegistry::builtin().lookup("", "Constant"));
  EXPECT_NE(graph.nodes().front()->schema(), nullptr);
  EXPECT_EQ(nodeNamed(graph, "m")->schema(), nullptr);
  EXPECT_EQ(nodeNamed(graph, "add")->schema(), OpRegistry::builtin().lookup("", "Add"));
}

// ---- the shared bad-input table -------------------------------------------------------------

/// tests/models/gen_bad_inputs.py writes malformed files with the words their error must
/// contain, chosen on the Python side: an oracle independent of the importer's own wording.
TEST(OnnxImport, BadInputTable) {
  TempDir dir;
  std::string cmd = "/usr/bin/python3 " KILN_SOURCE_DIR "/tests/models/gen_bad_inputs.py '" + dir.path().string() +
                    "' > /dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "python3 with onnx is not available";
  std::ifstream in(dir.path() / "bad_inputs.json");
  auto table = nlohmann::json::parse(in);
  ASSERT_FALSE(table.empty());
  for (const auto& c : table) {
    std::string file = (dir.path() / c["file"].get<std::string>()).string();
    ImportOptions options = rawOptions();
    auto r = importModelFile(file, options);
    if (c["valid"].get<bool>()) {
      EXPECT_TRUE(r) << file << ": " << r.status().str();
      continue;
    }
    ASSERT_FALSE(r) << file << " imported but should not";
    std::string msg = r.status().str();
    std::string lower = msg;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    EXPECT_NE(lower.find(c["expect_substring"].get<std::string>()), std::string::npos) << file << ": " << msg;
    EXPECT_EQ(msg.rfind(file + ": ", 0), 0u) << msg;  // every error names the file
  }
}

}  // namespace
}  // namespace kiln::onnx_frontend
