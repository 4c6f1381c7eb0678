// Opset conversion: the shared version table, the importer's upgrade to canonical form and
// the emitter's adaptation to a target opset. Graphs are built by hand in the old forms the
// ONNX spec defines (checked against onnx.defs by tests/opset/check_version_table.py); each
// case upgrades, checks the canonical form, adapts back and checks the original form again.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "backends/onnx/adapt_steps.h"
#include "backends/onnx/opset_adapt.h"
#include "frontend/onnx/opset_upgrade.h"
#include "frontend/onnx/upgrade_steps.h"
#include "ir/graph.h"
#include "ir/model.h"
#include "ir/op_registry.h"
#include "ir/op_versions.h"
#include "ir/opset_rewrite.h"

namespace kiln {
namespace {

using onnx_backend::adaptToOpset;
using onnx_backend::OpPlan;
using onnx_backend::planOpsetAdaptation;
using onnx_frontend::upgradeToCanonical;

// ---- builders ----------------------------------------------------------------------------

Type f32(std::vector<Dim> dims) { return Type::tensor(DType::Float32, Shape(std::move(dims))); }

/// A model at `opset` with helpers to add inputs, constants and nodes in old forms.
struct ModelBuilder {
  Model model;
  Graph& g;

  explicit ModelBuilder(int64_t opset) : g(*model.graph) {
    model.opsets.push_back({"", opset});
    model.sourceOpset = opset;
    model.sourcePath = "test.onnx";
  }
  Value* input(const std::string& name, Type type) { return g.addInput(name, std::move(type)); }
  Value* constant(const std::string& name, Tensor t) {
    Node* c = g.createNode("", "Constant", {});
    c->setName(name);
    std::vector<Dim> dims(t.dims().begin(), t.dims().end());
    Type type = Type::tensor(t.dtype(), Shape(dims));
    c->setAttr("value", Attribute(std::move(t)));
    return c->addOutput(name, type);
  }
  Node* node(const std::string& op, std::vector<Value*> inputs, const std::string& name, size_t outputs = 1,
             Type type = Type()) {
    Node* n = g.createNode("", op, std::move(inputs));
    n->setName(name);
    for (size_t i = 0; i < outputs; ++i) n->addOutput(i == 0 ? name + "_out" : name + "_out" + std::to_string(i), type);
    return n;
  }
  /// The node's first output becomes a graph output.
  Node* output(Node* n) {
    g.addOutput(n->output(0));
    return n;
  }
};

std::vector<Node*> nodesOf(const Graph& g, std::string_view op) {
  std::vector<Node*> out;
  g.walk([&](Node* n) {
    if (n->opType() == op) out.push_back(n);
  });
  return out;
}

Node* only(const Graph& g, std::string_view op) {
  auto nodes = nodesOf(g, op);
  EXPECT_EQ(nodes.size(), 1u) << "expected one " << op;
  return nodes.empty() ? nullptr : nodes[0];
}

std::vector<std::string> opSequence(const Graph& g) {
  std::vector<std::string> out;
  for (Node* n : g.nodes())
    if (n->opType() != "Constant") out.push_back(n->opType());
  return out;
}

std::vector<int64_t> intsOf(const Node* n, std::string_view attr) {
  auto v = opset::rawInts(*n, attr);
  return v ? *v : std::vector<int64_t>{};
}

std::vector<int64_t> constInts(Value* v) {
  auto c = opset::constantInts(v);
  EXPECT_TRUE(c.has_value()) << "input is not an integer constant";
  return c ? *c : std::vector<int64_t>{};
}

std::vector<double> constDoubles(Value* v) {
  auto c = opset::constantDoubles(v);
  EXPECT_TRUE(c.has_value()) << "input is not a numeric constant";
  return c ? *c : std::vector<double>{};
}

/// Copies a model (the adapter is applied to copies, as the emitter does).
Model copyOf(const Model& m) {
  Model c;
  c.opsets = m.opsets;
  c.sourceOpset = m.sourceOpset;
  c.sourcePath = m.sourcePath;
  c.graph = m.graph->clone();
  return c;
}

Model adapted(const Model& canonical, int64_t target) {
  Model c = copyOf(canonical);
  Status s = adaptToOpset(c, target);
  EXPECT_TRUE(s.isOk()) << s.str();
  EXPECT_EQ(c.opsetVersion(""), target);
  return c;
}

void upgrade(Model& m) {
  Status s = upgradeToCanonical(m);
  ASSERT_TRUE(s.isOk()) << s.str();
  EXPECT_EQ(m.opsetVersion(""), kCanonicalOpset);
}

// ---- the version table -------------------------------------------------------------------

TEST(OpVersions, VersionInForceAtEachOpset) {
  EXPECT_EQ(sinceVersionAt("Squeeze", 1), 1);
  EXPECT_EQ(sinceVersionAt("Squeeze", 12), 11);
  EXPECT_EQ(sinceVersionAt("Squeeze", 13), 13);
  EXPECT_EQ(sinceVersionAt("Squeeze", 20), 13);
  EXPECT_EQ(sinceVersionAt("Squeeze", 21), 21);
  EXPECT_EQ(sinceVersionAt("Gelu", 19), 0);
  EXPECT_EQ(sinceVersionAt("Gelu", 20), 20);
  EXPECT_EQ(sinceVersionAt("Resize", 9), 0);
  EXPECT_EQ(sinceVersionAt("Resize", 12), 11);
  EXPECT_EQ(sinceVersionAt("Upsample", 9), 9);
  EXPECT_EQ(sinceVersionAt("Upsample", 10), 0);  // deprecated at 10
  EXPECT_EQ(sinceVersionAt("NoSuchOp", 13), 0);
  EXPECT_EQ(canonicalVersion("Softmax"), 13);
  EXPECT_EQ(canonicalVersion("Resize"), 19);
  EXPECT_EQ(canonicalVersion("Pad"), 21);
  EXPECT_EQ(canonicalVersion("ReduceSum"), 13);
  EXPECT_EQ(canonicalVersion("ReduceMean"), 18);
  EXPECT_EQ(canonicalVersion("GroupNormalization"), 21);
  EXPECT_EQ(canonicalVersion("LayerNormalization"), 17);
  EXPECT_EQ(canonicalVersion("Upsample"), 0);
  EXPECT_EQ(firstVersion("HardSwish"), 14);
  EXPECT_EQ(previousVersion("Split", 18), 13);
  EXPECT_EQ(opRemovedAt("Scatter"), 11);
}

TEST(OpVersions, HistoriesAscendWithinOpsets1To21) {
  for (std::string_view op : versionedOps()) {
    auto h = opVersionHistory(op);
    ASSERT_FALSE(h.empty()) << op;
    EXPECT_GE(h.front(), 1) << op;
    EXPECT_LE(h.back(), kCanonicalOpset) << op;
    EXPECT_TRUE(std::is_sorted(h.begin(), h.end()) && std::adjacent_find(h.begin(), h.end()) == h.end()) << op;
  }
}

// The registry's canonical version of every default-domain op is the table's.
TEST(OpVersions, RegistryUsesTheCanonicalVersions) {
  std::string mismatches;
  for (const OpSchema* s : OpRegistry::builtin().all()) {
    if (!s->domain.empty()) continue;
    int want = canonicalVersion(s->name);
    if (want == 0) mismatches += " " + s->name + " (not an ONNX op at opset 21)";
    else if (s->sinceVersion != want)
      mismatches += " " + s->name + " (registry " + std::to_string(s->sinceVersion) + ", table " + std::to_string(want) + ")";
  }
  EXPECT_TRUE(mismatches.empty()) << "registry/table mismatches:" << mismatches;
}

// Every (op, version) whose attributes, inputs, outputs or meaning changed (the list
// tests/opset/check_version_table.py derives from onnx.defs) has an upgrade or a down adapter,
// unless a reason below says why none is needed.
TEST(OpVersions, EveryFormChangeHasAnAdapter) {
  const std::map<std::pair<std::string, int>, std::string> kNoAdapter = {
      {{"Constant", 11}, "the importer turns sparse_value into value"},
      {{"Constant", 12}, "the importer turns value_float, value_ints, ... into value"},
  };
  std::ifstream in(std::string(KILN_SOURCE_DIR) + "/tests/opset/form_changes.txt");
  ASSERT_TRUE(in) << "tests/opset/form_changes.txt is missing";
  std::set<std::pair<std::string, int>> adapted;
  for (const auto& s : onnx_frontend::allUpgradeSteps()) adapted.insert({s.op, s.version});
  for (const auto& s : onnx_backend::adaptTables().steps) adapted.insert({s.op, s.version});
  std::string missing;
  int checked = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string op;
    int version = 0;
    fields >> op >> version;
    ++checked;
    if (!adapted.count({op, version}) && !kNoAdapter.count({op, version})) missing += "\n  " + line;
    EXPECT_EQ(sinceVersionAt(op, version), opRemovedAt(op) == version ? 0 : version) << line;
  }
  EXPECT_GT(checked, 100);
  EXPECT_TRUE(missing.empty()) << "form changes without an adapter:" << missing;
}

// Every adapter row names a version at which its op really changed.
TEST(OpVersions, AdaptersSitOnVersionBoundaries) {
  auto isBoundary = [](const std::string& op, int v) {
    auto h = opVersionHistory(op);
    return std::find(h.begin(), h.end(), v) != h.end() || opRemovedAt(op) == v;
  };
  for (const auto& s : onnx_frontend::allUpgradeSteps()) EXPECT_TRUE(isBoundary(s.op, s.version)) << s.op << " " << s.version;
  for (const auto& s : onnx_backend::adaptTables().steps) EXPECT_TRUE(isBoundary(s.op, s.version)) << s.op << " " << s.version;
  for (const auto& e : onnx_backend::adaptTables().expansions) EXPECT_GT(firstVersion(e.op), 1) << e.op;
}

// ---- upgrade then adapt back: attributes that became inputs ------------------------------

TEST(OpsetConversion, SqueezeAxesAttributeRoundTrip) {
  ModelBuilder b(11);
  Value* x = b.input("x", f32({1, 3, 1}));
  Node* sq = b.output(b.node("Squeeze", {x}, "sq"));
  sq->setAttr("axes", Attribute(std::vector<int64_t>{0, -1}));
  upgrade(b.model);

  Node* c = only(*b.model.graph, "Squeeze");
  ASSERT_EQ(c->numInputs(), 2u);
  EXPECT_EQ(constInts(c->input(1)), (std::vector<int64_t>{0, -1}));
  EXPECT_EQ(c->attr("axes"), nullptr);
  EXPECT_EQ(b.model.sourceOpset, 11);

  Model back = adapted(b.model, 11);
  Node* s11 = only(*back.graph, "Squeeze");
  EXPECT_EQ(s11->numInputs(), 1u);
  EXPECT_EQ(intsOf(s11, "axes"), (std::vector<int64_t>{0, -1}));
  EXPECT_TRUE(nodesOf(*back.graph, "Constant").empty());  // the axes constant is gone

  Model v1 = adapted(b.model, 9);  // opset 1 form: non-negative axes
  EXPECT_EQ(intsOf(only(*v1.graph, "Squeeze"), "axes"), (std::vector<int64_t>{0, 2}));  // sorted, too

  for (int64_t target : {13, 18, 21}) {
    Model up = adapted(b.model, target);
    Node* s = only(*up.graph, "Squeeze");
    ASSERT_EQ(s->numInputs(), 2u) << target;
    EXPECT_EQ(constInts(s->input(1)), (std::vector<int64_t>{0, -1}));
  }
}

TEST(OpsetConversion, UnsqueezeNegativeAxesUseTheOutputRank) {
  ModelBuilder b(13);
  Value* x = b.input("x", f32({3, 4}));
  Value* axes = b.constant("axes", opset::int64Tensor({-1}));
  b.output(b.node("Unsqueeze", {x, axes}, "us"));
  upgrade(b.model);
  Model v9 = adapted(b.model, 9);
  EXPECT_EQ(intsOf(only(*v9.graph, "Unsqueeze"), "axes"), (std::vector<int64_t>{2}));
}

TEST(OpsetConversion, ClipAttributesRoundTrip) {
  ModelBuilder b(6);
  Value* x = b.input("x", f32({2, 2}));
  Node* clip = b.output(b.node("Clip", {x}, "clip"));
  clip->setAttr("min", Attribute(0.f));
  clip->setAttr("max", Attribute(6.f));
  upgrade(b.model);

  Node* c = only(*b.model.graph, "Clip");
  ASSERT_EQ(c->numInputs(), 3u);
  EXPECT_EQ(constDoubles(c->input(1)), (std::vector<double>{0.0}));
  EXPECT_EQ(constDoubles(c->input(2)), (std::vector<double>{6.0}));
  EXPECT_EQ(opset::knownDType(c->input(1)), DType::Float32);
  EXPECT_EQ(c->attr("min"), nullptr);

  Model back = adapted(b.model, 6);
  Node* c6 = only(*back.graph, "Clip");
  EXPECT_EQ(c6->numInputs(), 1u);
  EXPECT_EQ(opset::rawFloat(*c6, "min", -1), 0.f);
  EXPECT_EQ(opset::rawFloat(*c6, "max", -1), 6.f);
  EXPECT_TRUE(nodesOf(*back.graph, "Constant").empty());
}

TEST(OpsetConversion, ClipOfUnknownTypeUsesCastLike) {
  ModelBuilder b(6);
  Value* x = b.input("x", Type());
  Node* clip = b.output(b.node("Clip", {x}, "clip"));
  clip->setAttr("max", Attribute(6.f));
  upgrade(b.model);
  Node* c = only(*b.model.graph, "Clip");
  EXPECT_EQ(c->input(1), nullptr);  // no min: the type's lowest value, as before
  ASSERT_NE(c->input(2), nullptr);
  ASSERT_NE(c->input(2)->producer(), nullptr);
  EXPECT_EQ(c->input(2)->producer()->opType(), "CastLike");
  // Back at opset 6 the attribute reads through the CastLike.
  Model back = adapted(b.model, 6);
  EXPECT_EQ(opset::rawFloat(*only(*back.graph, "Clip"), "max", -1), 6.f);
  EXPECT_TRUE(nodesOf(*back.graph, "CastLike").empty());
}

TEST(OpsetConversion, PadAttributesRoundTrip) {
  ModelBuilder b(2);
  Value* x = b.input("x", f32({1, 2}));
  Node* pad = b.output(b.node("Pad", {x}, "pad"));
  pad->setAttr("pads", Attribute(std::vector<int64_t>{0, 1, 0, 2}));
  pad->setAttr("value", Attribute(1.5f));
  pad->setAttr("mode", Attribute("constant"));
  upgrade(b.model);

  Node* c = only(*b.model.graph, "Pad");
  ASSERT_EQ(c->numInputs(), 3u);
  EXPECT_EQ(constInts(c->input(1)), (std::vector<int64_t>{0, 1, 0, 2}));
  EXPECT_EQ(constDoubles(c->input(2)), (std::vector<double>{1.5}));
  EXPECT_EQ(c->attr("pads"), nullptr);
  EXPECT_EQ(c->attr("value"), nullptr);

  Model back = adapted(b.model, 2);
  Node* p2 = only(*back.graph, "Pad");
  EXPECT_EQ(p2->numInputs(), 1u);
  EXPECT_EQ(intsOf(p2, "pads"), (std::vector<int64_t>{0, 1, 0, 2}));
  EXPECT_EQ(opset::rawFloat(*p2, "value", 0), 1.5f);
  Model v1 = adapted(b.model, 1);
  EXPECT_EQ(intsOf(only(*v1.graph, "Pad"), "paddings"), (std::vector<int64_t>{0, 1, 0, 2}));

  Model v18 = adapted(b.model, 18);
  EXPECT_EQ(only(*v18.graph, "Pad")->numInputs(), 3u);
}

TEST(OpsetConversion, PadAxesBecomeFullRankPadsBelow18) {
  ModelBuilder b(18);
  Value* x = b.input("x", f32({2, 3, 4}));
  Value* pads = b.constant("pads", opset::int64Tensor({1, 2}));
  Value* axes = b.constant("axes", opset::int64Tensor({-1}));
  b.output(b.node("Pad", {x, pads, nullptr, axes}, "pad"));
  upgrade(b.model);
  Model v13 = adapted(b.model, 13);
  Node* p = only(*v13.graph, "Pad");
  EXPECT_EQ(p->numInputs(), 2u);
  EXPECT_EQ(constInts(p->input(1)), (std::vector<int64_t>{0, 0, 1, 0, 0, 2}));
}

TEST(OpsetConversion, SliceAttributesRoundTrip) {
  ModelBuilder b(1);
  Value* x = b.input("x", f32({4, 5}));
  Node* s = b.output(b.node("Slice", {x}, "slice"));
  s->setAttr("starts", Attribute(std::vector<int64_t>{1}));
  s->setAttr("ends", Attribute(std::vector<int64_t>{3}));
  s->setAttr("axes", Attribute(std::vector<int64_t>{1}));
  upgrade(b.model);

  Node* c = only(*b.model.graph, "Slice");
  ASSERT_EQ(c->numInputs(), 4u);
  EXPECT_EQ(constInts(c->input(1)), (std::vector<int64_t>{1}));
  EXPECT_EQ(constInts(c->input(2)), (std::vector<int64_t>{3}));
  EXPECT_EQ(constInts(c->input(3)), (std::vector<int64_t>{1}));

  Model back = adapted(b.model, 9);
  Node* s1 = only(*back.graph, "Slice");
  EXPECT_EQ(s1->numInputs(), 1u);
  EXPECT_EQ(intsOf(s1, "starts"), (std::vector<int64_t>{1}));
  EXPECT_EQ(intsOf(s1, "ends"), (std::vector<int64_t>{3}));
  EXPECT_EQ(intsOf(s1, "axes"), (std::vector<int64_t>{1}));
  EXPECT_TRUE(nodesOf(*back.graph, "Constant").empty());
}

TEST(OpsetConversion, UpsampleBecomesResizeAndComesBack) {
  ModelBuilder b(9);
  Value* x = b.input("x", f32({1, 1, 2, 2}));
  Value* scales = b.constant("scales", opset::floatTensor({1, 1, 2, 2}));
  Node* up = b.output(b.node("Upsample", {x, scales}, "up"));
  up->setAttr("mode", Attribute("nearest"));
  upgrade(b.model);

  EXPECT_TRUE(nodesOf(*b.model.graph, "Upsample").empty());
  Node* r = only(*b.model.graph, "Resize");
  EXPECT_EQ(r->name(), "up");
  EXPECT_EQ(r->output(0)->name(), "up_out");
  EXPECT_EQ(b.model.graph->output(0), r->output(0));
  ASSERT_EQ(r->numInputs(), 3u);
  EXPECT_EQ(r->input(1), nullptr);  // no roi
  EXPECT_EQ(constDoubles(r->input(2)), (std::vector<double>{1, 1, 2, 2}));
  EXPECT_EQ(opset::rawString(*r, "coordinate_transformation_mode", ""), "asymmetric");
  EXPECT_EQ(opset::rawString(*r, "nearest_mode", ""), "floor");
  EXPECT_EQ(opset::rawString(*r, "mode", ""), "nearest");

  Model v9 = adapted(b.model, 9);
  Node* u9 = only(*v9.graph, "Upsample");
  ASSERT_EQ(u9->numInputs(), 2u);
  EXPECT_EQ(constDoubles(u9->input(1)), (std::vector<double>{1, 1, 2, 2}));
  EXPECT_EQ(u9->attr("coordinate_transformation_mode"), nullptr);
  Model v7 = adapted(b.model, 7);
  Node* u7 = only(*v7.graph, "Upsample");
  EXPECT_EQ(u7->numInputs(), 1u);
  EXPECT_EQ(opset::rawFloats(*u7, "scales"), (std::vector<float>{1, 1, 2, 2}));
  Model v10 = adapted(b.model, 10);
  Node* r10 = only(*v10.graph, "Resize");
  EXPECT_EQ(r10->numInputs(), 2u);
  EXPECT_EQ(r10->attr("nearest_mode"), nullptr);
  Model v11 = adapted(b.model, 11);
  Node* r11 = only(*v11.graph, "Resize");
  ASSERT_EQ(r11->numInputs(), 3u);
  ASSERT_NE(r11->input(1), nullptr);  // Resize-11 needs roi: an empty tensor
  EXPECT_TRUE(constDoubles(r11->input(1)).empty());
}

TEST(OpsetConversion, ResizeWithSizesGetsExactScalesAtOpset10) {
  ModelBuilder b(13);
  Value* x = b.input("x", f32({1, 3, 5, 7}));
  Value* sizes = b.constant("sizes", opset::int64Tensor({1, 3, 10, 21}));
  Node* r = b.output(b.node("Resize", {x, nullptr, nullptr, sizes}, "resize"));
  r->setAttr("coordinate_transformation_mode", Attribute("asymmetric"));
  r->setAttr("nearest_mode", Attribute("floor"));
  upgrade(b.model);
  Model v10 = adapted(b.model, 10);
  Node* r10 = only(*v10.graph, "Resize");
  ASSERT_EQ(r10->numInputs(), 2u);
  auto scales = constDoubles(r10->input(1));
  ASSERT_EQ(scales.size(), 4u);
  std::vector<int64_t> in = {1, 3, 5, 7}, want = {1, 3, 10, 21};
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(static_cast<int64_t>(static_cast<float>(in[i]) * static_cast<float>(scales[i])), want[i]);
  // Default half_pixel mapping has no opset-10 form.
  ModelBuilder h(13);
  Node* hr = h.output(h.node("Resize", {h.input("x", f32({1, 1, 2, 2})), nullptr,
                                        h.constant("s", opset::floatTensor({1, 1, 2, 2}))},
                             "hp"));
  (void)hr;
  upgrade(h.model);
  Model copy = copyOf(h.model);
  Status s = adaptToOpset(copy, 10);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.str().find("half_pixel"), std::string::npos) << s.str();
}

TEST(OpsetConversion, SoftmaxCoercedAxisIsExpandedExactly) {
  ModelBuilder b(11);
  Value* x = b.input("x", f32({2, 3, 4}));
  Node* sm = b.output(b.node("Softmax", {x}, "sm"));
  sm->setAttr("axis", Attribute(int64_t{1}));
  upgrade(b.model);
  EXPECT_EQ(opSequence(*b.model.graph), (std::vector<std::string>{"Shape", "Flatten", "Softmax", "Reshape"}));
  Node* inner = only(*b.model.graph, "Softmax");
  EXPECT_EQ(opset::rawInt(*inner, "axis", 0), -1);
  EXPECT_EQ(inner->name(), "sm");
  EXPECT_EQ(opset::rawInt(*only(*b.model.graph, "Flatten"), "axis", 0), 1);
  Node* reshape = only(*b.model.graph, "Reshape");
  EXPECT_EQ(reshape->output(0)->name(), "sm_out");  // the graph output keeps its name
  EXPECT_EQ(b.model.graph->output(0), reshape->output(0));
}

TEST(OpsetConversion, SoftmaxOnTheLastAxisStaysOneNode) {
  ModelBuilder b(11);
  Value* x = b.input("x", f32({2, 3, 4}));
  Node* sm = b.output(b.node("LogSoftmax", {x}, "sm"));
  sm->setAttr("axis", Attribute(int64_t{2}));
  Node* hm = b.output(b.node("Hardmax", {b.input("y", Type())}, "hm"));  // default axis 1, unknown rank
  (void)hm;
  upgrade(b.model);
  Node* c = only(*b.model.graph, "LogSoftmax");
  EXPECT_EQ(opset::rawInt(*c, "axis", 0), 2);
  EXPECT_EQ(nodesOf(*b.model.graph, "Flatten").size(), 1u);  // only the Hardmax needed one
  Model back = adapted(b.model, 11);
  EXPECT_EQ(opset::rawInt(*only(*back.graph, "LogSoftmax"), "axis", 0), 2);
}

TEST(OpsetConversion, SoftmaxOnAMiddleAxisAdaptsWithTransposes) {
  ModelBuilder b(13);
  Value* x = b.input("x", f32({2, 3, 4}));
  Node* sm = b.output(b.node("Softmax", {x}, "sm"));
  sm->setAttr("axis", Attribute(int64_t{1}));
  upgrade(b.model);
  Model v11 = adapted(b.model, 11);
  EXPECT_EQ(opSequence(*v11.graph), (std::vector<std::string>{"Transpose", "Softmax", "Transpose"}));
  EXPECT_EQ(intsOf(v11.graph->nodes().front(), "perm"), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(opset::rawInt(*only(*v11.graph, "Softmax"), "axis", 0), 2);
  EXPECT_EQ(v11.graph->output(0)->name(), "sm_out");
}

TEST(OpsetConversion, SplitSizesAndCounts) {
  ModelBuilder b(11);
  Value* x = b.input("x", f32({2, 5}));
  Node* s = b.node("Split", {x}, "split", 2);
  s->setAttr("axis", Attribute(int64_t{1}));
  s->setAttr("split", Attribute(std::vector<int64_t>{2, 3}));
  b.g.addOutput(s->output(0));
  b.g.addOutput(s->output(1));
  Node* even = b.node("Split", {b.input("z", f32({4}))}, "even", 2);
  b.g.addOutput(even->output(0));
  b.g.addOutput(even->output(1));
  upgrade(b.model);

  auto splits = nodesOf(*b.model.graph, "Split");
  ASSERT_EQ(splits.size(), 2u);
  Node* sized = splits[0]->name() == "split" ? splits[0] : splits[1];
  Node* equal = sized == splits[0] ? splits[1] : splits[0];
  EXPECT_EQ(constInts(sized->input(1)), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(sized->attr("num_outputs"), nullptr);
  EXPECT_EQ(opset::rawInt(*equal, "num_outputs", 0), 2);  // Split-18 needs the count

  Model back = adapted(b.model, 11);
  for (Node* n : nodesOf(*back.graph, "Split")) {
    EXPECT_EQ(n->numInputs(), 1u);
    EXPECT_EQ(n->attr("num_outputs"), nullptr);
    if (n->name() == "split") {
      EXPECT_EQ(intsOf(n, "split"), (std::vector<int64_t>{2, 3}));
    }
  }
  Model v13 = adapted(b.model, 13);
  for (Node* n : nodesOf(*v13.graph, "Split")) EXPECT_EQ(n->attr("num_outputs"), nullptr);
}

TEST(OpsetConversion, SplitUnevenCountGetsSizesBelow18) {
  ModelBuilder b(18);
  Node* s = b.node("Split", {b.input("x", f32({7}))}, "split", 3);
  s->setAttr("num_outputs", Attribute(int64_t{3}));
  for (size_t i = 0; i < 3; ++i) b.g.addOutput(s->output(i));
  upgrade(b.model);
  Model v13 = adapted(b.model, 13);
  EXPECT_EQ(constInts(only(*v13.graph, "Split")->input(1)), (std::vector<int64_t>{3, 3, 1}));
}

TEST(OpsetConversion, ReduceAxesAttributeRoundTrip) {
  ModelBuilder b(13);
  Value* x = b.input("x", f32({2, 3}));
  Node* r = b.output(b.node("ReduceMean", {x}, "mean"));
  r->setAttr("axes", Attribute(std::vector<int64_t>{1}));
  r->setAttr("keepdims", Attribute(int64_t{0}));
  Node* all = b.output(b.node("ReduceSum", {x}, "sum_all"));  // no axes: every dim
  (void)all;
  upgrade(b.model);

  Node* c = only(*b.model.graph, "ReduceMean");
  ASSERT_EQ(c->numInputs(), 2u);
  EXPECT_EQ(constInts(c->input(1)), (std::vector<int64_t>{1}));
  EXPECT_EQ(opset::rawInt(*c, "keepdims", 1), 0);
  EXPECT_EQ(only(*b.model.graph, "ReduceSum")->numInputs(), 1u);

  Model v13 = adapted(b.model, 13);
  Node* m13 = only(*v13.graph, "ReduceMean");
  EXPECT_EQ(m13->numInputs(), 1u);
  EXPECT_EQ(intsOf(m13, "axes"), (std::vector<int64_t>{1}));
  Model v18 = adapted(b.model, 18);
  EXPECT_EQ(only(*v18.graph, "ReduceMean")->numInputs(), 2u);
}

TEST(OpsetConversion, ReduceSumNoopWithEmptyAxesIsIdentityBelow13) {
  ModelBuilder b(13);
  Node* r = b.output(b.node("ReduceSum", {b.input("x", f32({2, 3}))}, "sum"));
  r->setAttr("noop_with_empty_axes", Attribute(int64_t{1}));
  upgrade(b.model);
  Model v12 = adapted(b.model, 12);
  EXPECT_EQ(opSequence(*v12.graph), (std::vector<std::string>{"Identity"}));
  EXPECT_EQ(v12.graph->output(0)->name(), "sum_out");
}

TEST(OpsetConversion, TopKAttributeRoundTrip) {
  ModelBuilder b(1);
  Node* t = b.node("TopK", {b.input("x", f32({2, 6}))}, "topk", 2);
  t->setAttr("k", Attribute(int64_t{3}));
  b.g.addOutput(t->output(0));
  b.g.addOutput(t->output(1));
  upgrade(b.model);
  Node* c = only(*b.model.graph, "TopK");
  ASSERT_EQ(c->numInputs(), 2u);
  EXPECT_EQ(constInts(c->input(1)), (std::vector<int64_t>{3}));
  const Tensor* k = opset::constantTensor(c->input(1));
  EXPECT_EQ(k->dims(), (std::vector<int64_t>{1}));  // a 1-element 1-D tensor
  Model back = adapted(b.model, 9);
  Node* t1 = only(*back.graph, "TopK");
  EXPECT_EQ(t1->numInputs(), 1u);
  EXPECT_EQ(opset::rawInt(*t1, "k", 0), 3);
}

TEST(OpsetConversion, DropoutRatioRoundTrip) {
  ModelBuilder b(7);
  Node* d = b.output(b.node("Dropout", {b.input("x", f32({4}))}, "drop"));
  d->setAttr("ratio", Attribute(0.25f));
  upgrade(b.model);
  Node* c = only(*b.model.graph, "Dropout");
  ASSERT_EQ(c->numInputs(), 2u);
  EXPECT_EQ(constDoubles(c->input(1)), (std::vector<double>{0.25}));
  EXPECT_EQ(c->attr("ratio"), nullptr);
  Model v7 = adapted(b.model, 7);
  Node* d7 = only(*v7.graph, "Dropout");
  EXPECT_EQ(d7->numInputs(), 1u);
  EXPECT_EQ(opset::rawFloat(*d7, "ratio", 0), 0.25f);
  EXPECT_EQ(d7->attr("is_test"), nullptr);
  Model v6 = adapted(b.model, 6);
  EXPECT_EQ(opset::rawInt(*only(*v6.graph, "Dropout"), "is_test", 0), 1);
}

TEST(OpsetConversion, ConsumedInputsAndLegacyBroadcast) {
  ModelBuilder b(5);
  Value* x = b.input("x", f32({2, 3, 4, 5}));
  Value* bias = b.constant("bias", Tensor::zeros(DType::Float32, {3, 4}));
  Node* add = b.output(b.node("Add", {x, bias}, "add"));
  add->setAttr("broadcast", Attribute(int64_t{1}));
  add->setAttr("axis", Attribute(int64_t{1}));
  add->setAttr("consumed_inputs", Attribute(std::vector<int64_t>{0, 0}));
  upgrade(b.model);
  Node* a = only(*b.model.graph, "Add");
  EXPECT_TRUE(a->attributes().empty());
  // B [3,4] at axis 1 of [2,3,4,5] is B [3,4,1] under numpy rules.
  ASSERT_NE(a->input(1)->producer(), nullptr);
  Node* unsq = a->input(1)->producer();
  EXPECT_EQ(unsq->opType(), "Unsqueeze");
  EXPECT_EQ(constInts(unsq->input(1)), (std::vector<int64_t>{2}));
}

TEST(OpsetConversion, NumpyBroadcastOfAConstantBiasBecomesLegacyAxis) {
  ModelBuilder b(13);
  Value* x = b.input("x", f32({2, 3, 4, 5}));
  Value* bias = b.constant("bias", Tensor::zeros(DType::Float32, {1, 3, 1, 1}));
  b.output(b.node("Add", {x, bias}, "add"));
  upgrade(b.model);
  Model v6 = adapted(b.model, 6);
  Node* a = only(*v6.graph, "Add");
  EXPECT_EQ(opset::rawInt(*a, "broadcast", 0), 1);
  EXPECT_EQ(opset::rawInt(*a, "axis", -1), 1);
  EXPECT_EQ(opset::constantTensor(a->input(1))->dims(), (std::vector<int64_t>{3}));
}

TEST(OpsetConversion, CastTypeNames) {
  ModelBuilder b(5);
  Node* c = b.output(b.node("Cast", {b.input("x", f32({2}))}, "cast"));
  c->setAttr("to", Attribute("INT64"));
  upgrade(b.model);
  EXPECT_EQ(opset::rawInt(*only(*b.model.graph, "Cast"), "to", 0), 7);
  Model v5 = adapted(b.model, 5);
  EXPECT_EQ(opset::rawString(*only(*v5.graph, "Cast"), "to", ""), "INT64");
}

TEST(OpsetConversion, BatchNormalizationFlags) {
  ModelBuilder b(6);
  Value* x = b.input("x", f32({1, 2, 3, 3}));
  std::vector<Value*> params = {x};
  for (const char* p : {"scale", "bias", "mean", "var"}) params.push_back(b.input(p, f32({2})));
  Node* bn = b.node("BatchNormalization", params, "bn", 5);
  b.g.addOutput(bn->output(0));
  bn->setAttr("is_test", Attribute(int64_t{1}));
  bn->setAttr("spatial", Attribute(int64_t{1}));
  upgrade(b.model);
  Node* c = only(*b.model.graph, "BatchNormalization");
  EXPECT_EQ(c->numOutputs(), 1u);
  EXPECT_TRUE(c->attributes().empty());
  Model v6 = adapted(b.model, 6);
  EXPECT_EQ(opset::rawInt(*only(*v6.graph, "BatchNormalization"), "is_test", 0), 1);
}

TEST(OpsetConversion, GroupNormalizationPerGroupScale) {
  ModelBuilder b(18);
  Value* x = b.input("x", f32({1, 4, 3}));
  Value* scale = b.constant("scale", opset::floatTensor({2, 3}));
  Value* bias = b.constant("bias", opset::floatTensor({0, 1}));
  Node* gn = b.output(b.node("GroupNormalization", {x, scale, bias}, "gn"));
  gn->setAttr("num_groups", Attribute(int64_t{2}));
  upgrade(b.model);
  Node* c = only(*b.model.graph, "GroupNormalization");
  EXPECT_EQ(constDoubles(c->input(1)), (std::vector<double>{2, 2, 3, 3}));
  EXPECT_EQ(constDoubles(c->input(2)), (std::vector<double>{0, 0, 1, 1}));

  Model v18 = adapted(b.model, 18);
  Node* g18 = only(*v18.graph, "GroupNormalization");
  EXPECT_EQ(constDoubles(g18->input(1)), (std::vector<double>{2, 3}));
  EXPECT_EQ(constDoubles(g18->input(2)), (std::vector<double>{0, 1}));

  Model v17 = adapted(b.model, 17);
  EXPECT_TRUE(nodesOf(*v17.graph, "GroupNormalization").empty());
  EXPECT_EQ(nodesOf(*v17.graph, "ReduceMean").size(), 2u);
  for (Node* m : nodesOf(*v17.graph, "ReduceMean")) EXPECT_EQ(intsOf(m, "axes"), (std::vector<int64_t>{2}));
}

TEST(OpsetConversion, GroupNormalizationWithChannelScaleExpandsAt18) {
  ModelBuilder b(21);
  Value* x = b.input("x", f32({1, 4, 3}));
  Node* gn = b.output(b.node("GroupNormalization", {x, b.input("scale", f32({4})), b.input("bias", f32({4}))}, "gn"));
  gn->setAttr("num_groups", Attribute(int64_t{2}));
  upgrade(b.model);
  Model v18 = adapted(b.model, 18);
  EXPECT_TRUE(nodesOf(*v18.graph, "GroupNormalization").empty());
  EXPECT_EQ(v18.graph->output(0)->name(), "gn_out");
}

// Adapters that need a rank see inferred types of intermediate values; the emitted model keeps
// the types the IR states.
TEST(OpsetConversion, InferredRanksReachAdaptersButNotTheModel) {
  ModelBuilder b(13);
  Value* x = b.input("x", f32({2, 3, 4}));
  Node* relu = b.node("Relu", {x}, "relu");  // output type unknown
  Node* flat = b.output(b.node("Flatten", {relu->output(0)}, "flat"));
  flat->setAttr("axis", Attribute(int64_t{-1}));
  upgrade(b.model);
  Model v9 = adapted(b.model, 9);
  EXPECT_EQ(opset::rawInt(*only(*v9.graph, "Flatten"), "axis", 0), 2);
  EXPECT_TRUE(only(*v9.graph, "Relu")->output(0)->type().isUnknown());
}

// ---- expansions of ops the target lacks --------------------------------------------------

TEST(OpsetExpansion, LayerNormalizationBelow17) {
  ModelBuilder b(17);
  Value* x = b.input("x", f32({2, 8}));
  Node* ln = b.output(b.node("LayerNormalization", {x, b.input("scale", f32({8})), b.input("b", f32({8}))}, "ln", 1,
                             f32({2, 8})));
  ln->setAttr("epsilon", Attribute(1e-3f));
  upgrade(b.model);
  Model v16 = adapted(b.model, 16);
  EXPECT_EQ(opSequence(*v16.graph), (std::vector<std::string>{"ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt",
                                                              "Div", "Mul", "Add"}));
  for (Node* m : nodesOf(*v16.graph, "ReduceMean")) {
    EXPECT_EQ(m->numInputs(), 1u);  // opset-16 ReduceMean: axes attribute
    EXPECT_EQ(intsOf(m, "axes"), (std::vector<int64_t>{1}));
  }
  Node* addEps = nodesOf(*v16.graph, "Add")[0];
  EXPECT_NEAR(constDoubles(addEps->input(1))[0], 1e-3, 1e-9);
  EXPECT_EQ(v16.graph->output(0)->name(), "ln_out");
  EXPECT_EQ(v16.graph->output(0)->type(), f32({2, 8}));

  Model v18 = adapted(b.model, 18);
  EXPECT_EQ(nodesOf(*v18.graph, "LayerNormalization").size(), 1u);
}

TEST(OpsetExpansion, LayerNormalizationStashesHalfInputsInFloat32) {
  ModelBuilder b(17);
  Type h = Type::tensor(DType::Float16, Shape({2, 8}));
  Value* x = b.input("x", h);
  b.output(b.node("LayerNormalization", {x, b.input("scale", Type::tensor(DType::Float16, Shape({8})))}, "ln"));
  upgrade(b.model);
  Model v13 = adapted(b.model, 13);
  auto casts = nodesOf(*v13.graph, "Cast");
  ASSERT_EQ(casts.size(), 2u);
  EXPECT_EQ(opset::rawInt(*casts[0], "to", 0), 1);   // to float32
  EXPECT_EQ(opset::rawInt(*casts[1], "to", 0), 10);  // back to float16
  for (Node* n : nodesOf(*v13.graph, "Pow")) EXPECT_EQ(opset::knownDType(n->input(1)), DType::Float32);
}

TEST(OpsetExpansion, GeluBothForms) {
  ModelBuilder b(20);
  Value* x = b.input("x", f32({4}));
  b.output(b.node("Gelu", {x}, "exact"));
  Node* t = b.output(b.node("Gelu", {x}, "approx"));
  t->setAttr("approximate", Attribute("tanh"));
  upgrade(b.model);
  Model v19 = adapted(b.model, 19);
  EXPECT_TRUE(nodesOf(*v19.graph, "Gelu").empty());
  EXPECT_EQ(nodesOf(*v19.graph, "Erf").size(), 1u);
  EXPECT_EQ(nodesOf(*v19.graph, "Tanh").size(), 1u);
  EXPECT_EQ(nodesOf(*v19.graph, "Pow").size(), 1u);
  Node* div = only(*v19.graph, "Div");
  EXPECT_NEAR(constDoubles(div->input(1))[0], 1.41421356, 1e-6);

  // Erf appeared at opset 9: the exact form is blocked below it; the tanh form is not.
  Model copy = copyOf(b.model);
  Status s = adaptToOpset(copy, 8);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.diagnostic().node, "exact");
  EXPECT_NE(s.str().find("lowest opset that expresses it: 9"), std::string::npos) << s.str();
}

TEST(OpsetExpansion, HardSwishMishCeluCastLike) {
  ModelBuilder b(18);
  Value* x = b.input("x", f32({4}));
  b.output(b.node("HardSwish", {x}, "hs"));
  b.output(b.node("Mish", {x}, "mish"));
  Node* celu = b.output(b.node("Celu", {x}, "celu"));
  celu->setAttr("alpha", Attribute(2.f));
  b.output(b.node("CastLike", {x, b.input("like", Type::tensor(DType::Float16, Shape({1})))}, "cl"));
  upgrade(b.model);
  Model v11 = adapted(b.model, 11);
  for (const char* gone : {"HardSwish", "Mish", "Celu", "CastLike"}) EXPECT_TRUE(nodesOf(*v11.graph, gone).empty()) << gone;
  Node* hs = only(*v11.graph, "HardSigmoid");
  EXPECT_FLOAT_EQ(opset::rawFloat(*hs, "alpha", 0), 1.f / 6.f);
  EXPECT_FLOAT_EQ(opset::rawFloat(*hs, "beta", 0), 0.5f);
  EXPECT_EQ(nodesOf(*v11.graph, "Softplus").size(), 1u);
  EXPECT_EQ(nodesOf(*v11.graph, "Elu").size(), 1u);
  EXPECT_EQ(opset::rawInt(*only(*v11.graph, "Cast"), "to", 0), 10);
  std::vector<std::string> outs;
  for (Value* v : v11.graph->outputs()) outs.push_back(v->name());
  EXPECT_EQ(outs, (std::vector<std::string>{"hs_out", "mish_out", "celu_out", "cl_out"}));
}

TEST(OpsetExpansion, TriluWithKnownShapeIsAMask) {
  ModelBuilder b(14);
  Value* x = b.input("x", f32({3, 3}));
  b.output(b.node("Trilu", {x, b.constant("k", opset::int64Tensor({1}, true))}, "triu"));
  upgrade(b.model);
  Model v13 = adapted(b.model, 13);
  Node* w = only(*v13.graph, "Where");
  EXPECT_EQ(constDoubles(w->input(0)), (std::vector<double>{0, 1, 1, 0, 0, 1, 0, 0, 0}));
}

// ---- blocking ----------------------------------------------------------------------------

TEST(OpsetBlocking, EveryBlockedNodeIsNamedInOneMessage) {
  ModelBuilder b(18);
  Value* x = b.input("x", f32({1, 3, 1}));
  Value* computedAxes = b.input("axes", Type::tensor(DType::Int64, Shape({1})));
  b.output(b.node("Squeeze", {x, computedAxes}, "squeeze_computed"));
  Value* y = b.input("y", Type::tensor(DType::Float32, Shape({4, 4})));
  b.output(b.node("Trilu", {y, b.input("k", Type::tensor(DType::Int64, Shape()))}, "trilu_computed"));
  b.output(b.node("Reshape", {x, b.input("shape", Type::tensor(DType::Int64, Shape({1})))}, "reshape_ok"));
  Node* lp = b.output(b.node("LpPool", {b.input("z", f32({1, 1, 4, 4}))}, "lp_ceil"));
  lp->setAttr("ceil_mode", Attribute(int64_t{1}));
  upgrade(b.model);

  Model copy = copyOf(b.model);
  Status s = adaptToOpset(copy, 11);
  ASSERT_FALSE(s.isOk());
  std::string msg = s.str();
  EXPECT_NE(msg.find("3 nodes cannot be written at opset 11"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 'squeeze_computed' (Squeeze) needs opset 13"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 'trilu_computed' (Trilu) needs opset 14"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 'lp_ceil' (LpPool) needs opset 18"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("reshape_ok"), std::string::npos) << msg;  // a computed Reshape shape is fine
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_EQ(msg.rfind("test.onnx: ", 0), 0u) << msg;
  // A failed adaptation leaves the model as it was.
  EXPECT_EQ(copy.opsetVersion(""), kCanonicalOpset);
  EXPECT_EQ(only(*copy.graph, "Squeeze")->numInputs(), 2u);

  std::vector<OpPlan> plan = planOpsetAdaptation(b.model, 11);
  auto find = [&](std::string_view op) {
    return std::find_if(plan.begin(), plan.end(), [&](const OpPlan& p) { return p.op == op; });
  };
  ASSERT_NE(find("Squeeze"), plan.end());
  EXPECT_EQ(find("Squeeze")->action, OpPlan::Action::Blocked);
  EXPECT_EQ(find("Squeeze")->lowestOpset, 13);
  EXPECT_EQ(find("Squeeze")->nodes, (std::vector<std::string>{"squeeze_computed"}));
  ASSERT_NE(find("Reshape"), plan.end());
  EXPECT_EQ(find("Reshape")->action, OpPlan::Action::Unchanged);
  EXPECT_EQ(b.model.opsetVersion(""), kCanonicalOpset);  // planning changes nothing
  EXPECT_EQ(only(*b.model.graph, "Squeeze")->numInputs(), 2u);
}

TEST(OpsetBlocking, OpsMissingAtTheTargetNameTheirFirstOpset) {
  ModelBuilder b(12);
  b.output(b.node("Einsum", {b.input("x", f32({2, 2}))}, "einsum"))->setAttr("equation", Attribute("ij->ji"));
  upgrade(b.model);
  Model copy = copyOf(b.model);
  Status s = adaptToOpset(copy, 11);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.diagnostic().node, "einsum");
  EXPECT_EQ(s.diagnostic().op, "Einsum");
  EXPECT_NE(s.str().find("12"), std::string::npos) << s.str();
  EXPECT_FALSE(adaptToOpset(copy, 22).isOk());
}

TEST(OpsetPlan, ReportsAdaptedAndExpandedOps) {
  ModelBuilder b(17);
  Value* x = b.input("x", f32({1, 3, 1}));
  b.output(b.node("Squeeze", {x, b.constant("axes", opset::int64Tensor({0}))}, "sq"));
  b.output(b.node("HardSwish", {x}, "hs"));
  upgrade(b.model);
  auto plan = planOpsetAdaptation(b.model, 12);
  auto has = [&](std::string_view op, OpPlan::Action a, std::string_view rule) {
    return std::any_of(plan.begin(), plan.end(),
                       [&](const OpPlan& p) { return p.op == op && p.action == a && p.rule == rule; });
  };
  EXPECT_TRUE(has("Squeeze", OpPlan::Action::Adapted, "axesInputToAttr"));
  EXPECT_TRUE(has("HardSwish", OpPlan::Action::Expanded, "hardSwishExpansion"));
  EXPECT_TRUE(has("Constant", OpPlan::Action::Unchanged, ""));
}

// ---- domains and subgraphs ---------------------------------------------------------------

TEST(OpsetConversion, OtherDomainsPassThrough) {
  ModelBuilder b(11);
  b.model.opsets.push_back({"com.microsoft", 1});
  b.model.opsets.push_back({"ai.onnx.ml", 3});
  Value* x = b.input("x", f32({2}));
  Node* ms = b.g.createNode("com.microsoft", "FusedGelu", {x});
  ms->setName("ms");
  ms->setAttr("axes", Attribute(std::vector<int64_t>{0}));
  b.g.addOutput(ms->addOutput("y"));
  Node* ml = b.g.createNode("ai.onnx.ml", "Normalizer", {x});
  ml->setAttr("norm", Attribute("MAX"));
  b.g.addOutput(ml->addOutput("z"));
  upgrade(b.model);
  EXPECT_EQ(b.model.opsetVersion("com.microsoft"), 1);
  EXPECT_EQ(b.model.opsetVersion("ai.onnx.ml"), 3);
  EXPECT_EQ(ms->numInputs(), 1u);
  EXPECT_EQ(intsOf(ms, "axes"), (std::vector<int64_t>{0}));
  Model v7 = adapted(b.model, 7);
  EXPECT_EQ(v7.opsetVersion("com.microsoft"), 1);
  EXPECT_EQ(v7.opsetVersion("ai.onnx.ml"), 3);
  EXPECT_EQ(opSequence(*v7.graph), (std::vector<std::string>{"FusedGelu", "Normalizer"}));
}

TEST(OpsetConversion, SubgraphsAreUpgradedAndAdapted) {
  ModelBuilder b(11);
  Value* cond = b.input("cond", Type::tensor(DType::Bool, Shape()));
  Value* x = b.input("x", f32({1, 3}));
  auto body = std::make_unique<Graph>("then");
  Node* inner = body->createNode("", "Squeeze", {x});  // captures x
  inner->setName("inner");
  inner->setAttr("axes", Attribute(std::vector<int64_t>{0}));
  body->addOutput(inner->addOutput("inner_out"));
  auto other = std::make_unique<Graph>("else");
  Node* id = other->createNode("", "Identity", {x});
  other->addOutput(id->addOutput("id_out"));
  Node* ifNode = b.g.createNode("", "If", {cond});
  ifNode->setName("if");
  ifNode->setAttr("then_branch", Attribute(std::move(body)));
  ifNode->setAttr("else_branch", Attribute(std::move(other)));
  b.g.addOutput(ifNode->addOutput("out"));
  upgrade(b.model);
  Node* sq = only(*b.model.graph, "Squeeze");
  ASSERT_EQ(sq->numInputs(), 2u);
  EXPECT_EQ(sq->input(1)->producer()->graph(), sq->graph());  // the constant lives in the body
  Model back = adapted(b.model, 11);
  Node* sq11 = only(*back.graph, "Squeeze");
  EXPECT_EQ(sq11->numInputs(), 1u);
  EXPECT_EQ(intsOf(sq11, "axes"), (std::vector<int64_t>{0}));
}

TEST(OpsetConversion, UnknownOpsetOrMissingOpIsAClearError) {
  ModelBuilder b(12);
  b.output(b.node("Gelu", {b.input("x", f32({2}))}, "g"));
  Status s = upgradeToCanonical(b.model);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.diagnostic().node, "g");
  EXPECT_NE(s.str().find("introduced at opset 20"), std::string::npos) << s.str();

  ModelBuilder late(10);
  late.output(late.node("Upsample", {late.input("x", f32({1, 1, 2, 2})), late.constant("s", opset::floatTensor({1, 1, 2, 2}))},
                        "up"));
  Status removed = upgradeToCanonical(late.model);
  ASSERT_FALSE(removed.isOk());
  EXPECT_NE(removed.str().find("removed from ONNX at opset 10"), std::string::npos) << removed.str();

  ModelBuilder future(23);
  EXPECT_FALSE(upgradeToCanonical(future.model).isOk());
}

}  // namespace
}  // namespace kiln
