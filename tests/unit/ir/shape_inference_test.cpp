// Golden checks of symbolic shape inference: small graphs built with the Graph API, inferred,
// and compared by the printed type (`f32[batch,4096]`). shape_inference_onnx_test.cpp
// cross-checks static cases against ONNX's own shape inference.

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "ir/graph.h"
#include "ir/op_versions.h"
#include "ir/ops/coverage.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

// ---- building graphs ----------------------------------------------------------------------

/// Parses the printed type form used in the expectations: `f32[batch,3,?]`, `i64[]`, `f32[*]`.
Type ty(std::string_view text) {
  if (text == "?") return Type();
  size_t open = text.find('[');
  DType dtype = open == 0 || text.substr(0, open) == "?" ? DType::Undefined : *parseDType(text.substr(0, open));
  std::string_view body = text.substr(open + 1, text.size() - open - 2);
  if (body == "*") return Type::tensor(dtype);
  std::vector<Dim> dims;
  while (!body.empty()) {
    size_t comma = body.find(',');
    std::string_view d = body.substr(0, comma);
    if (d == "?") {
      dims.push_back(Dim());
    } else {
      Dim product(1);  // `2*batch`: a product of numbers and symbols
      for (size_t star; !d.empty(); d = star == std::string_view::npos ? "" : d.substr(star + 1)) {
        star = d.find('*');
        std::string_view f = d.substr(0, star);
        product = product * (f[0] >= '0' && f[0] <= '9' ? Dim(std::stoll(std::string(f))) : Dim::symbol(f));
      }
      dims.push_back(product);
    }
    body = comma == std::string_view::npos ? "" : body.substr(comma + 1);
  }
  return Type::tensor(dtype, Shape(std::move(dims)));
}

Attribute I(int64_t v) { return Attribute(v); }
Attribute S(const char* v) { return Attribute(v); }
Attribute Is(std::vector<int64_t> v) { return Attribute(std::move(v)); }
using Attrs = std::vector<std::pair<std::string, Attribute>>;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

struct Builder {
  std::unique_ptr<Graph> owned = std::make_unique<Graph>();
  Graph& g = *owned;
  int counter = 0;

  Builder() = default;
  explicit Builder(std::unique_ptr<Graph> graph) : owned(std::move(graph)), g(*owned) {}

  Value* in(const std::string& name, std::string_view type) { return g.addInput(name, ty(type)); }
  Value* constant(Tensor t) {
    Node* n = g.createNode("", "Constant", {});
    n->setName("c" + std::to_string(counter++));
    n->setAttr("value", Attribute(std::move(t)));
    return n->addOutput(n->name());
  }
  Value* ints(std::vector<int64_t> v) {
    auto n = static_cast<int64_t>(v.size());
    return constant(Tensor::fromVector(DType::Int64, {n}, v));
  }
  Value* scalar(int64_t v) { return constant(Tensor::fromVector(DType::Int64, {}, std::vector<int64_t>{v})); }
  Value* floats(std::vector<float> v) {
    auto n = static_cast<int64_t>(v.size());
    return constant(Tensor::fromVector(DType::Float32, {n}, v));
  }
  Node* node(const std::string& op, std::vector<Value*> ins, size_t outputs = 1, Attrs attrs = {}) {
    Node* n = g.createNode("", op, std::move(ins));
    n->setName(op + "_" + std::to_string(counter++));
    for (size_t i = 0; i < outputs; ++i) n->addOutput(n->name() + ":" + std::to_string(i));
    for (auto& [k, v] : attrs) n->setAttr(k, std::move(v));
    return n;
  }
  Value* op(const std::string& op, std::vector<Value*> ins, Attrs attrs = {}) {
    return node(op, std::move(ins), 1, std::move(attrs))->output(0);
  }
  std::string infer(const ShapeInferenceOptions& options = {}) { return inferShapes(g, options).str(); }
};

// ---- elementwise and broadcasting ---------------------------------------------------------

TEST(ShapeInference, BroadcastsSymbolsAndStatics) {
  Builder b;
  Value* x = b.in("x", "f32[batch,1,768]");
  Value* y = b.in("y", "f32[128,1]");
  Value* s = b.in("s", "f32[seq]");
  Value* t = b.in("t", "f32[batch]");
  Value* sum = b.op("Add", {x, y});
  Value* mixed = b.op("Mul", {s, t});
  Value* same = b.op("Sub", {t, t});
  Value* cmp = b.op("Less", {x, y});
  Value* where = b.op("Where", {cmp, x, y});
  Value* max = b.op("Max", {x, y, b.in("z", "f32[3,1,1,1]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(sum->type().str(), "f32[batch,128,768]");
  EXPECT_EQ(mixed->type().str(), "f32[?]");  // seq vs batch: either may be 1
  EXPECT_EQ(same->type().str(), "f32[batch]");
  EXPECT_EQ(cmp->type().str(), "bool[batch,128,768]");
  EXPECT_EQ(where->type().str(), "f32[batch,128,768]");
  EXPECT_EQ(max->type().str(), "f32[3,batch,128,768]");
}

TEST(ShapeInference, UnaryCastAndUnknownInputs) {
  Builder b;
  Value* x = b.in("x", "f32[batch,?]");
  Value* unknown = b.in("u", "?");
  Value* relu = b.op("Relu", {x});
  Value* cast = b.op("Cast", {x}, {{"to", I(7)}});
  Value* isnan = b.op("IsNaN", {x});
  Value* add = b.op("Add", {x, unknown});
  Value* gelu = b.op("Gelu", {unknown});
  Value* like = b.op("CastLike", {x, b.in("h", "f16[1]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(relu->type().str(), "f32[batch,?]");
  EXPECT_EQ(cast->type().str(), "i64[batch,?]");
  EXPECT_EQ(isnan->type().str(), "bool[batch,?]");
  EXPECT_EQ(add->type().str(), "f32[*]");
  EXPECT_EQ(gelu->type().str(), "?");
  EXPECT_EQ(like->type().str(), "f16[batch,?]");
}

TEST(ShapeInference, BroadcastErrors) {
  Builder b;
  b.op("Add", {b.in("x", "f32[2,3]"), b.in("y", "f32[4]")});
  EXPECT_EQ(b.infer(), "node 'Add_0' (Add): cannot broadcast [2,3] with [4]");
  Builder c;
  c.op("Add", {c.in("x", "f32[2]"), c.in("y", "i64[2]")});
  EXPECT_EQ(c.infer(), "node 'Add_0' (Add): operand types differ (f32 vs i64)");
}

// ---- convolution and pooling --------------------------------------------------------------

TEST(ShapeInference, ConvPaddingStridesDilationsGroups) {
  Builder b;
  Value* x = b.in("x", "f32[batch,3,224,224]");
  Value* w = b.in("w", "f32[64,3,7,7]");
  Value* explicitPads = b.op("Conv", {x, w}, {{"strides", Is({2, 2})}, {"pads", Is({3, 3, 3, 3})}});
  Value* same = b.op("Conv", {b.in("x2", "f32[1,3,225,225]"), b.in("w2", "f32[8,3,3,3]")},
                     {{"auto_pad", S("SAME_UPPER")}, {"strides", Is({2, 2})}});
  Value* dilated = b.op("Conv", {b.in("x3", "f32[1,3,32,32]"), b.in("w3", "f32[8,3,3,3]")},
                        {{"dilations", Is({2, 2})}});
  Value* depthwise = b.op("Conv", {b.in("x4", "f32[1,32,56,56]"), b.in("w4", "f32[32,1,3,3]")},
                          {{"group", I(32)}, {"pads", Is({1, 1, 1, 1})}});
  Value* symbolic = b.op("Conv", {b.in("x5", "f32[n,3,h,w]"), b.in("w5", "f32[16,3,3,3]")},
                         {{"pads", Is({1, 1, 1, 1})}});
  Value* symbolicStrided = b.op("Conv", {b.in("x6", "f32[n,3,h,w]"), b.in("w6", "f32[16,3,3,3]")},
                                {{"pads", Is({1, 1, 1, 1})}, {"strides", Is({2, 2})}});
  Value* valid1d = b.op("Conv", {b.in("x7", "f32[1,4,10]"), b.in("w7", "f32[2,4,3]")},
                        {{"auto_pad", S("VALID")}, {"strides", Is({2})}});
  Value* unranked = b.op("Conv", {b.in("x8", "f32[*]"), w});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(explicitPads->type().str(), "f32[batch,64,112,112]");
  EXPECT_EQ(same->type().str(), "f32[1,8,113,113]");
  EXPECT_EQ(dilated->type().str(), "f32[1,8,28,28]");
  EXPECT_EQ(depthwise->type().str(), "f32[1,32,56,56]");
  EXPECT_EQ(symbolic->type().str(), "f32[n,16,h,w]");
  EXPECT_EQ(symbolicStrided->type().str(), "f32[n,16,?,?]");
  EXPECT_EQ(valid1d->type().str(), "f32[1,2,4]");
  EXPECT_EQ(unranked->type().str(), "f32[?,?,?,?]");
}

TEST(ShapeInference, SymbolicStrideDividesEvenMultiples) {
  Builder b;
  Value* x = b.in("x", "f32[1,3,h,w]");
  Value* up = b.op("Resize", {x, nullptr, b.floats({1, 1, 2, 2})});
  Value* conv = b.op("Conv", {up, b.in("w", "f32[8,3,3,3]")},
                     {{"pads", Is({1, 1, 1, 1})}, {"strides", Is({2, 2})}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(up->type().str(), "f32[1,3,2*h,2*w]");
  // floor((2h + 2 - 3) / 2) + 1 = h
  EXPECT_EQ(conv->type().str(), "f32[1,8,h,w]");
}

TEST(ShapeInference, ConvTranspose) {
  Builder b;
  Value* x = b.in("x", "f32[1,16,h,14]");
  Value* w = b.in("w", "f32[16,4,4,4]");
  Value* y = b.op("ConvTranspose", {x, w}, {{"strides", Is({2, 2})}, {"pads", Is({1, 1, 1, 1})}, {"group", I(2)}});
  Value* z = b.op("ConvTranspose", {x, w}, {{"output_shape", Is({30, 30})}, {"strides", Is({2, 2})}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(y->type().str(), "f32[1,8,2*h,28]");
  EXPECT_EQ(z->type().str(), "f32[1,4,30,30]");
}

TEST(ShapeInference, ConvChannelMismatchIsAnError) {
  Builder b;
  b.op("Conv", {b.in("x", "f32[1,4,8,8]"), b.in("w", "f32[8,3,3,3]")});
  EXPECT_EQ(b.infer(), "node 'Conv_0' (Conv): input has 4 channels but the weight expects 3 (3 x group 1)");
}

TEST(ShapeInference, PoolCeilModeDropsWindowStartingInPadding) {
  Builder b;
  auto pool = [&](const char* in, Attrs attrs) {
    attrs.emplace_back("kernel_shape", Is({2, 2}));
    attrs.emplace_back("strides", Is({2, 2}));
    return b.node("MaxPool", {b.in(std::string("x") + std::to_string(b.counter), in)}, 2, std::move(attrs));
  };
  Node* floorMode = pool("f32[1,1,5,5]", {});
  Node* ceilMode = pool("f32[1,1,5,5]", {{"ceil_mode", I(1)}});
  // ceil((4 + 1 - 2) / 2) + 1 = 3 windows, but the third would start in the end padding
  // (ONNX Runtime 1.30 and PyTorch agree on 2).
  Node* dropped = pool("f32[1,1,4,4]", {{"ceil_mode", I(1)}, {"pads", Is({0, 0, 1, 1})}});
  Node* symbolic = pool("f32[n,1,2*h,w]", {{"ceil_mode", I(1)}});
  Value* avg = b.op("AveragePool", {b.in("a", "f32[1,2,7,7]")},
                    {{"kernel_shape", Is({3, 3})}, {"strides", Is({2, 2})}, {"dilations", Is({2, 2})}});
  Value* global = b.op("GlobalAveragePool", {b.in("g", "f32[batch,256,h,w]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(floorMode->output(0)->type().str(), "f32[1,1,2,2]");
  EXPECT_EQ(ceilMode->output(0)->type().str(), "f32[1,1,3,3]");
  EXPECT_EQ(ceilMode->output(1)->type().str(), "i64[1,1,3,3]");
  EXPECT_EQ(dropped->output(0)->type().str(), "f32[1,1,2,2]");
  EXPECT_EQ(symbolic->output(0)->type().str(), "f32[n,1,h,?]");
  EXPECT_EQ(avg->type().str(), "f32[1,2,2,2]");
  EXPECT_EQ(global->type().str(), "f32[batch,256,1,1]");
}

// ---- reshaping ----------------------------------------------------------------------------

TEST(ShapeInference, ReshapeZeroAndMinusOneOverSymbols) {
  Builder b;
  Value* x = b.in("x", "f32[batch,16,16,16]");
  Value* h = b.in("h", "f32[batch,128,768]");
  Value* flat = b.op("Reshape", {x, b.ints({0, -1})});
  Value* heads = b.op("Reshape", {h, b.ints({0, 0, 12, -1})});
  Value* rows = b.op("Reshape", {h, b.ints({-1, 768})});
  Value* back = b.op("Reshape", {rows, b.ints({-1, 128, 768})});
  Value* unknownTarget = b.op("Reshape", {h, b.in("shape", "i64[4]")});
  Value* flatten = b.op("Flatten", {x}, {{"axis", I(2)}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(flat->type().str(), "f32[batch,4096]");
  EXPECT_EQ(heads->type().str(), "f32[batch,128,12,64]");
  EXPECT_EQ(rows->type().str(), "f32[128*batch,768]");
  EXPECT_EQ(back->type().str(), "f32[batch,128,768]");
  EXPECT_EQ(unknownTarget->type().str(), "f32[?,?,?,?]");
  EXPECT_EQ(flatten->type().str(), "f32[16*batch,256]");
}

TEST(ShapeInference, ReshapeFromShapeArithmetic) {
  // The exporters' pattern: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1, 12, 64])).
  Builder b;
  Value* x = b.in("x", "f32[batch,sequence,768]");
  Value* shape = b.op("Shape", {x});
  Value* batch = b.op("Gather", {shape, b.scalar(0)});
  Value* seq = b.op("Gather", {shape, b.scalar(1)});
  Value* target = b.op("Concat", {b.op("Unsqueeze", {batch, b.ints({0})}), b.ints({-1}),
                                  b.op("Unsqueeze", {b.op("Div", {b.scalar(768), b.scalar(64)}), b.ints({0})}),
                                  b.ints({64})},
                       {{"axis", I(0)}});
  Value* y = b.op("Reshape", {x, target});
  Value* positions = b.op("Range", {b.scalar(0), seq, b.scalar(1)});
  Value* tail = b.op("Slice", {shape, b.ints({1}), b.ints({kMax})});
  Value* z = b.op("Reshape", {y, b.op("Concat", {b.ints({-1}), tail}, {{"axis", I(0)}})});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(shape->type().str(), "i64[3]");
  EXPECT_EQ(batch->type().str(), "i64[]");
  EXPECT_EQ(y->type().str(), "f32[batch,sequence,12,64]");
  EXPECT_EQ(positions->type().str(), "i64[sequence]");
  EXPECT_EQ(tail->type().str(), "i64[2]");
  EXPECT_EQ(z->type().str(), "f32[batch,sequence,768]");
}

TEST(ShapeInference, ExpandWithTorchMinusOnePattern) {
  // torch exports x.expand(batch, -1, -1) with Where(Equal(shape, -1), ones, shape).
  Builder b;
  Value* x = b.in("x", "f32[1,1,768]");
  Value* other = b.in("other", "f32[batch,sequence,768]");
  Value* batch = b.op("Unsqueeze", {b.op("Gather", {b.op("Shape", {other}), b.scalar(0)}), b.ints({0})});
  Value* shape = b.op("Concat", {batch, b.ints({-1, -1})}, {{"axis", I(0)}});
  Value* isMinus = b.op("Equal", {shape, b.op("ConstantOfShape", {b.ints({3})},
                                                {{"value", Attribute(Tensor::fromVector(DType::Int64, {1}, std::vector<int64_t>{-1}))}})});
  Value* fixed = b.op("Where", {isMinus, b.ints({1, 1, 1}), shape});
  Value* y = b.op("Expand", {x, fixed});
  Value* unknownShape = b.op("Expand", {x, b.in("s", "i64[4]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(y->type().str(), "f32[batch,1,768]");
  EXPECT_EQ(unknownShape->type().str(), "f32[?,?,?,768]");
}

TEST(ShapeInference, ReshapeErrors) {
  Builder b;
  b.op("Reshape", {b.in("x", "f32[2,5]"), b.ints({3, 4})});
  EXPECT_EQ(b.infer(), "node 'Reshape_1' (Reshape): cannot reshape [2,5] (10 elements) into [3,4]");
  Builder c;
  c.op("Reshape", {c.in("x", "f32[2,5]"), c.ints({-1, 3})});
  EXPECT_EQ(c.infer(), "node 'Reshape_1' (Reshape): cannot reshape [2,5] (10 elements) into [-1,3]");
}

TEST(ShapeInference, TransposeSqueezeUnsqueeze) {
  Builder b;
  Value* x = b.in("x", "f32[batch,3,224,224]");
  Value* nhwc = b.op("Transpose", {x}, {{"perm", Is({0, 2, 3, 1})}});
  Value* reversed = b.op("Transpose", {x});
  Value* v = b.in("v", "f32[batch,768]");
  Value* unsq = b.op("Unsqueeze", {v, b.ints({0, -1})});
  Value* sq = b.op("Squeeze", {unsq, b.ints({0})});
  Value* sqAll = b.op("Squeeze", {b.in("o", "f32[1,4,1]")});
  Value* sqSymbolic = b.op("Squeeze", {unsq});
  Value* sqRuntimeAxes = b.op("Squeeze", {unsq, b.in("axes", "i64[2]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(nhwc->type().str(), "f32[batch,224,224,3]");
  EXPECT_EQ(reversed->type().str(), "f32[224,224,3,batch]");
  EXPECT_EQ(unsq->type().str(), "f32[1,batch,768,1]");
  EXPECT_EQ(sq->type().str(), "f32[batch,768,1]");
  EXPECT_EQ(sqAll->type().str(), "f32[4]");
  EXPECT_EQ(sqSymbolic->type().str(), "f32[*]");  // batch may or may not be 1
  EXPECT_EQ(sqRuntimeAxes->type().str(), "f32[?,?]");
}

TEST(ShapeInference, TransposeAndSqueezeErrors) {
  Builder b;
  b.op("Transpose", {b.in("x", "f32[2,3]")}, {{"perm", Is({0, 0})}});
  EXPECT_EQ(b.infer(), "node 'Transpose_0' (Transpose): perm [0,0] is not a permutation of 2 axes");
  Builder c;
  c.op("Squeeze", {c.in("x", "f32[2,3]"), c.ints({1})});
  EXPECT_EQ(c.infer(), "node 'Squeeze_1' (Squeeze): cannot squeeze axis 1 of size 3");
}

// ---- joining and cutting ------------------------------------------------------------------

TEST(ShapeInference, ConcatAddsSymbolicSizes) {
  Builder b;
  Value* x = b.in("x", "f32[batch,3]");
  Value* y = b.in("y", "f32[?,3]");
  Value* twice = b.op("Concat", {x, x}, {{"axis", I(0)}});
  Value* lastAxis = b.op("Concat", {x, b.in("z", "f32[batch,5]")}, {{"axis", I(-1)}});
  Value* unknownRows = b.op("Concat", {x, y}, {{"axis", I(0)}});
  Value* unifies = b.op("Concat", {y, b.in("w", "f32[?,3]"), x}, {{"axis", I(1)}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(twice->type().str(), "f32[2*batch,3]");
  EXPECT_EQ(lastAxis->type().str(), "f32[batch,8]");
  EXPECT_EQ(unknownRows->type().str(), "f32[?,3]");
  EXPECT_EQ(unifies->type().str(), "f32[batch,9]");
}

TEST(ShapeInference, ConcatErrors) {
  Builder b;
  b.op("Concat", {b.in("x", "f32[2,3]"), b.in("y", "f32[2]")}, {{"axis", I(0)}});
  EXPECT_EQ(b.infer(), "node 'Concat_0' (Concat): input ranks differ (2 vs 1)");
  Builder c;
  c.op("Concat", {c.in("x", "f32[2,3]"), c.in("y", "f32[2,4]")}, {{"axis", I(0)}});
  EXPECT_EQ(c.infer(), "node 'Concat_0' (Concat): inputs differ in dim 1 (3 vs 4)");
}

TEST(ShapeInference, SplitByCountAndBySizes) {
  Builder b;
  Node* three = b.node("Split", {b.in("x", "f32[batch,10]")}, 3, {{"axis", I(1)}, {"num_outputs", I(3)}});
  Node* sized = b.node("Split", {b.in("y", "f32[batch,10]"), b.ints({2, 8})}, 2, {{"axis", I(-1)}});
  Node* halves = b.node("Split", {b.in("z", "f32[2*batch,4]")}, 2, {{"num_outputs", I(2)}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(three->output(0)->type().str(), "f32[batch,4]");
  EXPECT_EQ(three->output(2)->type().str(), "f32[batch,2]");
  EXPECT_EQ(sized->output(0)->type().str(), "f32[batch,2]");
  EXPECT_EQ(sized->output(1)->type().str(), "f32[batch,8]");
  EXPECT_EQ(halves->output(1)->type().str(), "f32[batch,4]");
}

TEST(ShapeInference, SliceOnSymbolicAxis) {
  Builder b;
  Value* x = b.in("x", "f32[batch,sequence,768]");
  auto slice = [&](std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes,
                   std::vector<int64_t> steps = {}) {
    std::vector<Value*> ins = {x, b.ints(starts), b.ints(ends), b.ints(axes)};
    if (!steps.empty()) ins.push_back(b.ints(steps));
    return b.op("Slice", ins);
  };
  Value* all = slice({0}, {kMax}, {1});
  Value* dropFirst = slice({1}, {kMax}, {1});
  Value* last = slice({-1}, {kMax}, {1});
  Value* reversed = slice({-1}, {std::numeric_limits<int64_t>::min()}, {1}, {-1});
  Value* truncated = slice({0}, {512}, {1});  // sequence may be shorter than 512
  Value* staticAxis = slice({2, -700}, {-2, 700}, {2, -3}, {3, 1});
  Value* everyOther = slice({0}, {kMax}, {2}, {2});
  Value* dropLast = slice({0}, {-1}, {1});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(all->type().str(), "f32[batch,sequence,768]");
  EXPECT_EQ(dropFirst->type().str(), "f32[batch,sequence-1,768]");
  EXPECT_EQ(last->type().str(), "f32[batch,1,768]");
  EXPECT_EQ(reversed->type().str(), "f32[batch,sequence,768]");
  EXPECT_EQ(truncated->type().str(), "f32[batch,?,768]");
  EXPECT_EQ(staticAxis->type().str(), "f32[?,sequence,255]");
  EXPECT_EQ(everyOther->type().str(), "f32[batch,sequence,384]");
  EXPECT_EQ(dropLast->type().str(), "f32[batch,sequence-1,768]");
}

TEST(ShapeInference, TilePadGatherVariants) {
  Builder b;
  Value* x = b.in("x", "f32[batch,3,h,w]");
  Value* tiled = b.op("Tile", {x, b.ints({1, 2, 1, 3})});
  Value* padded = b.op("Pad", {x, b.ints({0, 0, 1, 2, 0, 0, 3, 4})});
  Value* padAxes = b.op("Pad", {x, b.ints({1, 1, 1, 1}), nullptr, b.ints({-2, -1})}, {{"mode", S("reflect")}});
  Value* embed = b.op("Gather", {b.in("table", "f32[30522,768]"), b.in("ids", "i64[batch,sequence]")});
  Value* column = b.op("Gather", {x, b.scalar(1)}, {{"axis", I(1)}});
  Value* elements = b.op("GatherElements", {x, b.in("idx", "i64[batch,3,h,1]")}, {{"axis", I(3)}});
  Value* nd = b.op("GatherND", {b.in("d", "f32[batch,5,6,7]"), b.in("i", "i64[batch,4,2]")}, {{"batch_dims", I(1)}});
  Value* nz = b.op("NonZero", {x});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(tiled->type().str(), "f32[batch,6,h,3*w]");
  EXPECT_EQ(padded->type().str(), "f32[batch,3,h+4,w+6]");
  EXPECT_EQ(padAxes->type().str(), "f32[batch,3,h+2,w+2]");
  EXPECT_EQ(embed->type().str(), "f32[batch,sequence,768]");
  EXPECT_EQ(column->type().str(), "f32[batch,h,w]");
  EXPECT_EQ(elements->type().str(), "f32[batch,3,h,1]");
  EXPECT_EQ(nd->type().str(), "f32[batch,4,7]");
  EXPECT_EQ(nz->type().str(), "i64[4,?]");
}

TEST(ShapeInference, GatherOnShapeWithRuntimeIndices) {
  Builder b;
  Value* shape = b.op("Shape", {b.in("x", "f32[batch,3,h,w]")});
  Value* picked = b.op("Gather", {shape, b.in("i", "i64[2]")});
  Value* spatial = b.op("Shape", {b.in("y", "f32[1,2,3,4]")}, {{"start", I(-2)}});
  Value* unranked = b.op("Shape", {b.in("z", "f32[*]")});
  Value* size = b.op("Size", {b.in("s", "f32[2,batch]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(picked->type().str(), "i64[2]");
  EXPECT_EQ(spatial->type().str(), "i64[2]");
  EXPECT_EQ(unranked->type().str(), "i64[?]");
  EXPECT_EQ(size->type().str(), "i64[]");
}

TEST(ShapeInference, GatherIndexOutOfRangeIsAnError) {
  Builder b;
  b.op("Gather", {b.in("x", "f32[3,4]"), b.ints({3})});
  EXPECT_EQ(b.infer(), "node 'Gather_1' (Gather): index 3 is out of range for axis 0 of size 3");
}

// ---- matrix products ----------------------------------------------------------------------

TEST(ShapeInference, MatMulBatchedBroadcastAndVectors) {
  Builder b;
  Value* q = b.in("q", "f32[batch,1,128,64]");
  Value* k = b.in("k", "f32[12,64,128]");
  Value* scores = b.op("MatMul", {q, k});
  Value* vecMat = b.op("MatMul", {b.in("v", "f32[768]"), b.in("m", "f32[768,10]")});
  Value* matVec = b.op("MatMul", {b.in("m2", "f32[batch,5,768]"), b.in("v2", "f32[768]")});
  Value* symbolicInner = b.op("MatMul", {b.in("a", "f32[n,k]"), b.in("bb", "f32[k,m]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(scores->type().str(), "f32[batch,12,128,128]");
  EXPECT_EQ(vecMat->type().str(), "f32[10]");
  EXPECT_EQ(matVec->type().str(), "f32[batch,5]");
  EXPECT_EQ(symbolicInner->type().str(), "f32[n,m]");
}

TEST(ShapeInference, MatMulInnerDimsDiffer) {
  Builder b;
  b.op("MatMul", {b.in("x", "f32[batch,128,768]"), b.in("w", "f32[512,64]")});
  EXPECT_EQ(b.infer(), "node 'MatMul_0' (MatMul): inner dims differ (768 vs 512)");
}

TEST(ShapeInference, GemmTransposes) {
  Builder b;
  Value* y = b.op("Gemm", {b.in("a", "f32[768,batch]"), b.in("w", "f32[10,768]"), b.in("c", "f32[10]")},
                  {{"transA", I(1)}, {"transB", I(1)}});
  Value* plain = b.op("Gemm", {b.in("a2", "f32[batch,768]"), b.in("w2", "f32[768,10]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(y->type().str(), "f32[batch,10]");
  EXPECT_EQ(plain->type().str(), "f32[batch,10]");
  Builder c;
  c.op("Gemm", {c.in("a", "f32[4,8]"), c.in("w", "f32[4,8]")});
  EXPECT_EQ(c.infer(), "node 'Gemm_0' (Gemm): inner dims differ (8 vs 4)");
}

TEST(ShapeInference, Einsum) {
  Builder b;
  Value* bmm = b.op("Einsum", {b.in("x", "f32[batch,2,3]"), b.in("y", "f32[batch,3,4]")},
                    {{"equation", S("bij,bjk->bik")}});
  Value* implicit = b.op("Einsum", {b.in("p", "f32[5,3]"), b.in("q", "f32[3,7]")}, {{"equation", S("ij,jk")}});
  Value* ellipsis = b.op("Einsum", {b.in("e", "f32[batch,h,s,d]"), b.in("f", "f32[1,h,t,d]")},
                         {{"equation", S("...sd,...td->...st")}});
  Value* trace = b.op("Einsum", {b.in("t", "f32[4,4]")}, {{"equation", S("ii->")}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(bmm->type().str(), "f32[batch,2,4]");
  EXPECT_EQ(implicit->type().str(), "f32[5,7]");
  EXPECT_EQ(ellipsis->type().str(), "f32[batch,h,s,t]");
  EXPECT_EQ(trace->type().str(), "f32[]");
  // As in ONNX Runtime, every ellipsis must cover the same number of axes.
  Builder c;
  c.op("Einsum", {c.in("e", "f32[6,2,3]"), c.in("f", "f32[3,4]")}, {{"equation", S("...ij,...jk")}});
  EXPECT_EQ(c.infer(), "node 'Einsum_0' (Einsum): the ellipsis covers 1 axes in one input and 0 in input 1");
}

// ---- reductions, TopK ---------------------------------------------------------------------

TEST(ShapeInference, ReduceWithAxesInput) {
  Builder b;
  Value* x = b.in("x", "f32[batch,seq,768]");
  Value* kept = b.op("ReduceMean", {x, b.ints({-1})});
  Value* dropped = b.op("ReduceMean", {x, b.ints({-1})}, {{"keepdims", I(0)}});
  Value* noop = b.op("ReduceMean", {x}, {{"noop_with_empty_axes", I(1)}});
  Value* all = b.op("ReduceMean", {x});
  Value* allDropped = b.op("ReduceSum", {x, b.ints({})}, {{"keepdims", I(0)}});
  Value* runtimeKept = b.op("ReduceMax", {x, b.in("axes", "i64[2]")});
  Value* runtimeDropped = b.op("ReduceMax", {x, b.in("axes2", "i64[2]")}, {{"keepdims", I(0)}});
  Value* arg = b.op("ArgMax", {x}, {{"axis", I(1)}, {"keepdims", I(0)}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(kept->type().str(), "f32[batch,seq,1]");
  EXPECT_EQ(dropped->type().str(), "f32[batch,seq]");
  EXPECT_EQ(noop->type().str(), "f32[batch,seq,768]");
  EXPECT_EQ(all->type().str(), "f32[1,1,1]");
  EXPECT_EQ(allDropped->type().str(), "f32[]");
  EXPECT_EQ(runtimeKept->type().str(), "f32[?,?,?]");
  EXPECT_EQ(runtimeDropped->type().str(), "f32[?]");
  EXPECT_EQ(arg->type().str(), "i64[batch,768]");
  Builder c;
  c.op("ReduceSum", {c.in("x", "f32[2,3]"), c.ints({2})});
  EXPECT_EQ(c.infer(), "node 'ReduceSum_1' (ReduceSum): axis 2 is out of range for rank 2");
}

TEST(ShapeInference, TopKAndSoftmax) {
  Builder b;
  Value* x = b.in("x", "f32[batch,1000]");
  Node* top = b.node("TopK", {x, b.ints({5})}, 2);
  Node* runtimeK = b.node("TopK", {x, b.in("k", "i64[1]")}, 2, {{"axis", I(0)}});
  Value* soft = b.op("Softmax", {x});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(top->output(0)->type().str(), "f32[batch,5]");
  EXPECT_EQ(top->output(1)->type().str(), "i64[batch,5]");
  EXPECT_EQ(runtimeK->output(0)->type().str(), "f32[?,1000]");
  EXPECT_EQ(soft->type().str(), "f32[batch,1000]");
}

// ---- normalization, recurrent, resize, generation -----------------------------------------

TEST(ShapeInference, NormalizationOutputs) {
  Builder b;
  Value* x = b.in("x", "f32[batch,seq,768]");
  Value* g = b.in("g", "f32[768]");
  Node* ln = b.node("LayerNormalization", {x, g, g}, 3, {{"axis", I(-1)}});
  Value* c = b.in("c", "f32[64]");
  Node* bn = b.node("BatchNormalization", {b.in("img", "f32[n,64,h,w]"), c, c, c, c}, 3, {{"training_mode", I(1)}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(ln->output(0)->type().str(), "f32[batch,seq,768]");
  EXPECT_EQ(ln->output(1)->type().str(), "f32[batch,seq,1]");
  EXPECT_EQ(bn->output(0)->type().str(), "f32[n,64,h,w]");
  EXPECT_EQ(bn->output(2)->type().str(), "f32[64]");
}

TEST(ShapeInference, LstmAllOutputs) {
  Builder b;
  Value* x = b.in("x", "f32[seq,batch,32]");
  Value* w = b.in("w", "f32[2,256,32]");
  Value* r = b.in("r", "f32[2,256,64]");
  Node* lstm = b.node("LSTM", {x, w, r}, 3, {{"direction", S("bidirectional")}, {"hidden_size", I(64)}});
  Node* batchFirst = b.node("LSTM", {b.in("xb", "f32[batch,seq,32]"), b.in("w1", "f32[1,256,32]"), b.in("r1", "f32[1,256,64]")},
                            3, {{"layout", I(1)}});
  Node* gru = b.node("GRU", {x, b.in("gw", "f32[1,48,32]"), b.in("gr", "f32[1,48,16]")}, 2, {{"hidden_size", I(16)}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(lstm->output(0)->type().str(), "f32[seq,2,batch,64]");
  EXPECT_EQ(lstm->output(1)->type().str(), "f32[2,batch,64]");
  EXPECT_EQ(lstm->output(2)->type().str(), "f32[2,batch,64]");
  EXPECT_EQ(batchFirst->output(0)->type().str(), "f32[batch,seq,1,64]");
  EXPECT_EQ(batchFirst->output(2)->type().str(), "f32[batch,1,64]");
  EXPECT_EQ(gru->output(0)->type().str(), "f32[seq,1,batch,16]");
  Builder c;
  c.node("LSTM", {c.in("x", "f32[4,1,8]"), c.in("w", "f32[1,64,8]"), c.in("r", "f32[1,64,16]")}, 1,
         {{"hidden_size", I(32)}});
  EXPECT_EQ(c.infer(), "node 'LSTM_0' (LSTM): hidden_size 32 does not match R [1,64,16]");
}

TEST(ShapeInference, ResizeWithScalesAndSizes) {
  Builder b;
  Value* x = b.in("x", "f32[n,3,h,15]");
  Value* byScales = b.op("Resize", {x, nullptr, b.floats({1, 1, 2, 0.5f})});
  Value* bySizes = b.op("Resize", {x, nullptr, nullptr, b.ints({1, 3, 300, 400})});
  Value* someAxes = b.op("Resize", {x, nullptr, nullptr, b.ints({64, 64})}, {{"axes", Is({2, 3})}});
  Value* aspect = b.op("Resize", {b.in("y", "f32[1,3,100,200]"), nullptr, nullptr, b.ints({50, 50})},
                       {{"axes", Is({2, 3})}, {"keep_aspect_ratio_policy", S("not_larger")}});
  Value* runtimeSizes = b.op("Resize", {x, nullptr, nullptr, b.in("sizes", "i64[4]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(byScales->type().str(), "f32[n,3,2*h,7]");
  EXPECT_EQ(bySizes->type().str(), "f32[1,3,300,400]");
  EXPECT_EQ(someAxes->type().str(), "f32[n,3,64,64]");
  EXPECT_EQ(aspect->type().str(), "f32[1,3,25,50]");
  EXPECT_EQ(runtimeSizes->type().str(), "f32[?,?,?,?]");
}

TEST(ShapeInference, GenerationOps) {
  Builder b;
  Value* zeros = b.op("ConstantOfShape", {b.ints({2, 3})});
  Value* ones = b.op("ConstantOfShape", {b.op("Shape", {b.in("x", "f32[batch,7]")})},
                     {{"value", Attribute(Tensor::fromVector(DType::Int64, {1}, std::vector<int64_t>{1}))}});
  Value* range = b.op("Range", {b.scalar(2), b.scalar(11), b.scalar(3)});
  Value* oneHot = b.op("OneHot", {b.in("i", "i64[batch,seq]"), b.scalar(10), b.floats({0, 1})}, {{"axis", I(1)}});
  Value* trilu = b.op("Trilu", {b.in("m", "f32[s,s]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(zeros->type().str(), "f32[2,3]");
  EXPECT_EQ(ones->type().str(), "i64[batch,7]");
  EXPECT_EQ(range->type().str(), "i64[3]");
  EXPECT_EQ(oneHot->type().str(), "f32[batch,10,seq]");
  EXPECT_EQ(trilu->type().str(), "f32[s,s]");
}

TEST(ShapeInference, QuantizeAndSequences) {
  Builder b;
  Value* x = b.in("x", "f32[batch,16]");
  Value* q = b.op("QuantizeLinear", {x, b.in("scale", "f32[]"), b.in("zp", "i8[]")});
  Value* q8 = b.op("QuantizeLinear", {x, b.in("scale2", "f32[]")});
  Value* dq = b.op("DequantizeLinear", {q, b.in("scale3", "f32[]")});
  Value* seq = b.op("SequenceConstruct", {x, x});
  Value* at = b.op("SequenceAt", {seq, b.scalar(0)});
  Value* empty = b.op("SequenceEmpty", {});
  Value* inserted = b.op("SequenceInsert", {empty, x});
  Value* len = b.op("SequenceLength", {seq});
  Value* pieces = b.op("SplitToSequence", {x}, {{"axis", I(1)}, {"keepdims", I(0)}});
  Value* stacked = b.op("ConcatFromSequence", {pieces}, {{"axis", I(0)}, {"new_axis", I(1)}});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(q->type().str(), "i8[batch,16]");
  EXPECT_EQ(q8->type().str(), "u8[batch,16]");
  EXPECT_EQ(dq->type().str(), "f32[batch,16]");
  EXPECT_EQ(seq->type().str(), "seq<f32[batch,16]>");
  EXPECT_EQ(at->type().str(), "f32[batch,16]");
  EXPECT_EQ(empty->type().str(), "seq<f32[*]>");
  EXPECT_EQ(inserted->type().str(), "seq<f32[*]>");
  EXPECT_EQ(len->type().str(), "i64[]");
  EXPECT_EQ(pieces->type().str(), "seq<f32[batch]>");
  EXPECT_EQ(stacked->type().str(), "f32[?,batch]");
}

// ---- control flow -------------------------------------------------------------------------

TEST(ShapeInference, IfMergesBranches) {
  Builder b;
  Value* x = b.in("x", "f32[batch,3]");
  Value* cond = b.in("cond", "bool[]");
  auto branch = [&](const char* name, int64_t cols) {
    Builder body(std::make_unique<Graph>(name));
    // Captures x from the outer graph.
    Value* part = body.op("Slice", {x, body.ints({0}), body.ints({cols}), body.ints({1})});
    Value* y = body.op("Concat", {x, part}, {{"axis", I(1)}});
    body.g.addOutput(y);
    body.g.addOutput(body.op("Shape", {x}));
    return std::move(body.owned);
  };
  Node* ifNode = b.node("If", {cond}, 2);
  ifNode->setAttr("then_branch", Attribute(branch("then", 1)));
  ifNode->setAttr("else_branch", Attribute(branch("else", 2)));
  Node* constIf = b.node("If", {b.constant(Tensor::fromVector(DType::Bool, {}, std::vector<uint8_t>{0}))}, 2);
  constIf->setAttr("then_branch", Attribute(branch("then", 1)));
  constIf->setAttr("else_branch", Attribute(branch("else", 2)));
  ASSERT_EQ(b.infer(), "ok");
  // The branches are inferred too; batch stays, 4 vs 5 columns merge to `?`.
  Graph* thenBranch = ifNode->subgraphs()[1];
  EXPECT_EQ(thenBranch->output(0)->type().str(), "f32[batch,4]");
  EXPECT_EQ(ifNode->output(0)->type().str(), "f32[batch,?]");
  EXPECT_EQ(ifNode->output(1)->type().str(), "i64[2]");
  EXPECT_EQ(constIf->output(0)->type().str(), "f32[batch,5]");
}

TEST(ShapeInference, LoopCarriedValuesAndScanOutputs) {
  Builder b;
  Value* x = b.in("x", "f32[2]");
  Value* grow = b.in("grow", "f32[3]");
  Builder body(std::make_unique<Graph>("body"));
  Value* iter = body.g.addInput("i", Type());
  Value* condIn = body.g.addInput("cond_in", Type());
  Value* v = body.g.addInput("v", Type());
  Value* acc = body.g.addInput("acc", Type());
  body.g.addOutput(body.op("Identity", {condIn}));
  body.g.addOutput(body.op("Add", {v, x}));                                   // carried, same type
  body.g.addOutput(body.op("Concat", {acc, body.floats({1})}, {{"axis", I(0)}}));  // carried, grows
  body.g.addOutput(body.op("Mul", {v, v}));                                   // scan output
  body.g.addOutput(body.op("Unsqueeze", {iter, body.ints({0})}));             // scan output
  Node* loop = b.node("Loop", {b.scalar(5), nullptr, x, grow}, 4);
  loop->setAttr("body", Attribute(std::move(body.owned)));

  Builder body2(std::make_unique<Graph>("body2"));
  body2.g.addInput("i", Type());
  Value* c2 = body2.g.addInput("cond_in", Type());
  Value* v2 = body2.g.addInput("v", Type());
  body2.g.addOutput(body2.op("Not", {c2}));
  body2.g.addOutput(body2.op("Neg", {v2}));
  body2.g.addOutput(v2);
  Node* whileLoop = b.node("Loop", {nullptr, b.in("c", "bool[]"), x}, 2);
  whileLoop->setAttr("body", Attribute(std::move(body2.owned)));
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(iter->type().str(), "i64[]");
  EXPECT_EQ(acc->type().str(), "f32[?]");  // generalized after the first pass saw [3] -> [4]
  EXPECT_EQ(loop->output(0)->type().str(), "f32[2]");
  EXPECT_EQ(loop->output(1)->type().str(), "f32[?]");
  EXPECT_EQ(loop->output(2)->type().str(), "f32[5,2]");
  EXPECT_EQ(loop->output(3)->type().str(), "i64[5,1]");
  EXPECT_EQ(whileLoop->output(0)->type().str(), "f32[2]");
  EXPECT_EQ(whileLoop->output(1)->type().str(), "f32[?,2]");
}

TEST(ShapeInference, ScanOverAxis) {
  Builder b;
  Value* init = b.in("init", "f32[4]");
  Value* xs = b.in("xs", "f32[batch,seq,4]");
  Builder body(std::make_unique<Graph>("body"));
  Value* state = body.g.addInput("state", Type());
  Value* slice = body.g.addInput("slice", Type());
  Value* next = body.op("Add", {state, body.op("ReduceSum", {slice, body.ints({0})}, {{"keepdims", I(0)}})});
  body.g.addOutput(next);
  body.g.addOutput(slice);
  Node* scan = b.node("Scan", {init, xs}, 2,
                      {{"num_scan_inputs", I(1)}, {"scan_input_axes", Is({1})}, {"scan_output_axes", Is({-1})}});
  scan->setAttr("body", Attribute(std::move(body.owned)));
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(slice->type().str(), "f32[batch,4]");
  EXPECT_EQ(scan->output(0)->type().str(), "f32[4]");
  EXPECT_EQ(scan->output(1)->type().str(), "f32[batch,4,seq]");
}

// ---- the driver ---------------------------------------------------------------------------

TEST(ShapeInference, RefinesWithRecordedTypesAndWarnsOnConflicts) {
  Builder b;
  Node* nz = b.node("NonZero", {b.in("x", "f32[2,3]")});
  nz->output(0)->setType(ty("i64[2,count]"));  // what value_info recorded
  Value* t = b.op("Transpose", {nz->output(0)});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(nz->output(0)->type().str(), "i64[2,count]");
  EXPECT_EQ(t->type().str(), "i64[count,2]");
  // Without refinement the stale record is dropped.
  ASSERT_EQ(b.infer({.refineExisting = false}), "ok");
  EXPECT_EQ(nz->output(0)->type().str(), "i64[2,?]");

  // A contradicting record is replaced, with a warning.
  Builder c;
  Value* r = c.op("Relu", {c.in("x", "f32[2,3]")});
  r->setType(ty("f32[2,4]"));
  std::vector<Diagnostic> warnings;
  ASSERT_EQ(c.infer({.warnings = &warnings}), "ok");
  EXPECT_EQ(r->type().str(), "f32[2,3]");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].str(),
            "warning: node 'Relu_0' (Relu): inferred type f32[2,3] conflicts with the recorded type f32[2,4] of "
            "'Relu_0:0'");
}

TEST(ShapeInference, UnknownOpsAndTypesDoNotFail) {
  Builder b;
  Value* x = b.in("x", "?");
  Value* custom = b.g.createNode("com.example", "Mystery", {x})->addOutput("m", ty("f32[7]"));
  Value* after = b.op("Relu", {custom});
  Value* conv = b.op("Conv", {x, b.in("w", "?")});
  Value* mm = b.op("MatMul", {x, x});
  Value* concat = b.op("Concat", {x, b.in("y", "f32[2,batch]")}, {{"axis", I(0)}});
  Value* slice = b.op("Slice", {b.in("z", "f32[4,5]"), b.in("s", "i64[1]"), b.in("e", "i64[1]")});
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(custom->type().str(), "f32[7]");
  EXPECT_EQ(after->type().str(), "f32[7]");
  EXPECT_EQ(conv->type().str(), "?[*]");
  EXPECT_EQ(mm->type().str(), "?[*]");
  EXPECT_EQ(concat->type().str(), "f32[?,batch]");
  EXPECT_EQ(slice->type().str(), "f32[?,5]");
}

TEST(ShapeInference, EveryOpToleratesUnknownAndOddInputs) {
  // Unknown or unranked inputs never fail; scalars and small ranks may be reported as
  // errors, but nothing crashes.
  for (const OpSchema* schema : OpRegistry::builtin().all()) {
    for (const char* type : {"?", "f32[*]", "f32[]", "i64[3]", "f32[batch,?,4,5]"}) {
      Builder b;
      std::vector<Value*> ins;
      int count = std::min(std::max(schema->minInputs, 1), std::min(schema->maxInputs, 5));
      for (int i = 0; i < count; ++i) ins.push_back(b.in("x" + std::to_string(i), type));
      size_t outputs = static_cast<size_t>(std::max(schema->minOutputs, 1));
      b.node(schema->name, ins, outputs);
      std::string status = b.infer();
      if (std::string_view(type) == "?" || std::string_view(type) == "f32[*]") {
        EXPECT_EQ(status, "ok") << schema->name << " with " << type;
      }
    }
  }
}

TEST(ShapeInference, WindowThatDoesNotFitIsAnError) {
  Builder b;
  b.op("Conv", {b.in("x", "f32[1,3,2,8]"), b.in("w", "f32[4,3,5,5]")});
  EXPECT_EQ(b.infer(), "node 'Conv_0' (Conv): spatial axis 0 of size 2 gives output size -2: the window does not fit");
}

// ---- registry and coverage ----------------------------------------------------------------

TEST(OpRegistry, HasEveryCanonicalOp) {
  const char* ops[] = {
      "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh",
      "Cosh", "Tanh", "Sigmoid", "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Softplus", "Softsign",
      "HardSigmoid", "HardSwish", "Mish", "Gelu", "Erf", "Floor", "Ceil", "Round", "Sign", "Not", "IsNaN",
      "IsInf", "PRelu", "ThresholdedRelu", "Identity", "Clip", "Cast", "CastLike", "Add", "Sub", "Mul", "Div",
      "Pow", "Mod", "Max", "Min", "Mean", "Sum", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
      "And", "Or", "Xor", "Where", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
      "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin",
      "Softmax", "LogSoftmax", "Hardmax", "CumSum", "TopK", "MatMul", "Gemm", "Einsum", "Conv",
      "ConvTranspose", "BatchNormalization", "InstanceNormalization", "LayerNormalization",
      "GroupNormalization", "LRN", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Dropout",
      "LSTM", "GRU", "RNN", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Split",
      "Slice", "Gather", "GatherElements", "GatherND", "ScatterElements", "ScatterND", "Expand", "Tile", "Pad",
      "Resize", "DepthToSpace", "SpaceToDepth", "Shape", "Size", "ConstantOfShape", "Constant", "Range",
      "NonZero", "OneHot", "Trilu", "If", "Loop", "Scan", "QuantizeLinear", "DequantizeLinear",
      "SequenceConstruct", "SequenceAt", "SequenceInsert", "SequenceEmpty", "SequenceErase", "SplitToSequence",
      "ConcatFromSequence", "SequenceLength"};
  const OpRegistry& r = OpRegistry::builtin();
  for (const char* op : ops) {
    const OpSchema* s = r.lookup("", op);
    ASSERT_NE(s, nullptr) << op;
    EXPECT_TRUE(s->inferShapes) << op;
    EXPECT_LE(s->sinceVersion, 21) << op;
    EXPECT_LE(s->minInputs, s->maxInputs) << op;
  }
  EXPECT_EQ(r.lookup("", "Upsample"), nullptr);  // the importer turns it into Resize
  EXPECT_EQ(r.lookup("", "Squeeze")->sinceVersion, 21);
  EXPECT_EQ(r.lookup("", "ReduceMean")->sinceVersion, 18);
  EXPECT_EQ(r.lookup("", "Split")->sinceVersion, 18);
  EXPECT_EQ(r.lookup("", "Resize")->sinceVersion, 19);
  EXPECT_EQ(r.lookup("", "Gelu")->sinceVersion, 20);
  EXPECT_EQ(r.lookup("", "Sum")->maxInputs, OpSchema::kVariadic);
  EXPECT_TRUE(r.lookup("", "Add")->has(OpTrait::Commutative));
  EXPECT_FALSE(r.lookup("", "Sub")->has(OpTrait::Commutative));
  EXPECT_TRUE(r.lookup("", "Relu")->has(OpTrait::Elementwise));
  EXPECT_TRUE(r.lookup("", "Shape")->has(OpTrait::ShapeOnly));
  EXPECT_FALSE(r.lookup("", "Dropout")->has(OpTrait::Pure));
  const AttrSpec* alpha = r.lookup("", "LeakyRelu")->findAttr("alpha");
  ASSERT_TRUE(alpha && alpha->defaultValue);
  EXPECT_FLOAT_EQ(alpha->defaultValue->f(), 0.01f);
  // Node::intAttr falls back to the schema's default once inference has bound the schema.
  Builder b;
  Node* n = b.node("Split", {b.in("x", "f32[4]")}, 2);
  ASSERT_EQ(b.infer(), "ok");
  EXPECT_EQ(n->intAttr("axis", 99), 0);
}

TEST(OpRegistry, CanonicalVersionsMatchTheVersionTable) {
  // ir/op_versions.inc (checked against onnx.defs by its own test) says when each op changed;
  // the canonical version is the last change at or below kCanonicalOpset.
  for (const OpSchema* s : OpRegistry::builtin().all()) {
    if (!s->domain.empty()) continue;
    int canonical = 0;
    for (int v : opVersionHistory(s->name))
      if (v <= kCanonicalOpset) canonical = v;
    EXPECT_EQ(s->sinceVersion, canonical) << s->name;
  }
}

TEST(OpCoverage, MarkdownTableWithExtraColumns) {
  std::string plain = opCoverageMarkdown(OpRegistry::builtin());
  EXPECT_NE(plain.find("| Op | Version | Inputs | Outputs | Attributes | Shape inference |\n"), std::string::npos);
  EXPECT_NE(plain.find("| Conv | 11 | 2-3 | 1 | `auto_pad=\"NOTSET\"`, `dilations`, `group=1`"), std::string::npos);
  EXPECT_NE(plain.find("| Concat | 13 | 1+ | 1 | `axis` (required) | yes |"), std::string::npos);
  EXPECT_NE(plain.find("`alpha=0.01`"), std::string::npos);
  CoverageColumns extra{{"Reference kernel"}, [](const OpSchema& s) {
                          return std::vector<std::string>{s.name == "Relu" ? "yes" : "no"};
                        }};
  std::string withKernel = opCoverageMarkdown(OpRegistry::builtin(), extra);
  EXPECT_NE(withKernel.find("| Shape inference | Reference kernel |\n|---|---|---|---|---|---|---|"), std::string::npos);
  EXPECT_NE(withKernel.find("| Relu | 14 | 1 | 1 |  | yes | yes |"), std::string::npos);
}

}  // namespace
}  // namespace kiln
