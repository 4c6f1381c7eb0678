// Kernel launches written as integers (what a model library stores) and read back bind every
// shape exactly as the original launch does; a truncated or unknown record is an error.

#include <gtest/gtest.h>

#include "backends/llvm/launches.h"
#include "ir/graph.h"
#include "ir/op_registry.h"

namespace kiln::llvmjit {
namespace {

using Dims = std::vector<std::vector<int64_t>>;

/// A node with window attributes for the launches that read them (Pool, Conv).
struct WindowNode {
  Graph graph;
  Node* node;
  WindowNode() {
    Value* x = graph.addInput("x", Type::tensor(DType::Float32, Shape::unranked()));
    node = graph.createNode("", "MaxPool", {x});
    node->setName("pool");
    node->setAttr("kernel_shape", std::vector<int64_t>{3, 3});
    node->setAttr("strides", std::vector<int64_t>{2, 2});
    node->setAttr("pads", std::vector<int64_t>{1, 1, 1, 1});
    node->addOutput("y");
  }
};

void expectSameBinds(const KernelLaunch& original, const Node& node, const std::vector<Dims>& cases) {
  std::vector<int64_t> codes;
  original.encode(codes);
  codes.push_back(12345);  // the next record must be left in place
  std::span<const int64_t> rest(codes);
  auto decoded = decodeLaunch(rest, node);
  ASSERT_TRUE(decoded) << decoded.status().str();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest.front(), 12345);
  for (const Dims& dims : cases) {
    LaunchShape a, b;
    const bool boundA = original.bind(dims, a), boundB = (*decoded)->bind(dims, b);
    EXPECT_EQ(boundA, boundB);
    if (!boundA || !boundB) continue;
    EXPECT_EQ(a.outputDims, b.outputDims);
    EXPECT_EQ(a.kernelDims, b.kernelDims);
    EXPECT_EQ(a.iterations, b.iterations);
    EXPECT_EQ(a.workPerIteration, b.workPerIteration);
    EXPECT_EQ(a.workspaceBytes, b.workspaceBytes);
    if (dims.size() > 1) EXPECT_EQ(original.packedFloats(dims[1]), (*decoded)->packedFloats(dims[1]));
  }
}

TEST(LaunchCodec, EveryLaunchReadsBackAlike) {
  WindowNode w;
  const Node& n = *w.node;
  expectSameBinds(MatMulLaunch(GemmLayout{6, 16, 100}), n, {{{2, 5, 7}, {7, 3}}, {{300, 64}, {64, 10}}, {{2, 5}, {4, 3}}});
  expectSameBinds(GemmLaunch(true, false, GemmLayout{6, 16, 100}), n, {{{7, 5}, {7, 3}, {3}}, {{7, 5}, {7, 3}}});
  expectSameBinds(ConvLaunch(n, GemmLayout{6, 16, 100}), n, {{{1, 3, 16, 16}, {8, 3, 3, 3}, {8}}, {{2, 4, 9, 9}, {4, 4, 3, 3}}});
  expectSameBinds(GroupedConvLaunch(n, 2, false), n, {{{1, 4, 16, 16}, {6, 2, 3, 3}, {6}}, {{2, 4, 9}, {4, 2, 3}}});
  expectSameBinds(GroupedConvLaunch(n, 4, true), n, {{{1, 4, 8, 8}, {4, 1, 3, 3}, {}, {1, 4, 4, 4}}});
  expectSameBinds(PoolLaunch(n, {3, 3}), n, {{{1, 3, 16, 16}}, {{2, 1, 7, 5}}});
  for (auto kind : {ReshapeRule::Kind::Flatten, ReshapeRule::Kind::Reshape, ReshapeRule::Kind::Squeeze,
                    ReshapeRule::Kind::Unsqueeze}) {
    ReshapeRule rule{.kind = kind, .axis = 2, .allowZero = false, .values = {0, -1}};
    if (kind == ReshapeRule::Kind::Squeeze || kind == ReshapeRule::Kind::Unsqueeze) rule.values = {1};
    expectSameBinds(CopyLaunch(rule), n, {{{4, 1, 6}}, {{2, 1, 3, 5}}});
  }
  expectSameBinds(TransposeLaunch({0, 2, 1}), n, {{{2, 3, 4}}, {{1, 1, 9}}});
  expectSameBinds(ConcatLaunch(3, 1), n, {{{2, 3, 4}, {2, 5, 4}}, {{2, 3, 4}, {2, 5, 5}}});
  expectSameBinds(SliceLaunch(3, {1, -3}, {100, -1}, {1, 2}, {2, 1}), n, {{{2, 9, 8}}, {{1, 1, 3}}});
  AxisSplitLaunch split(3, 1, 3, AxisSplitLaunch::Output::ReducedKeepDims);
  split.requireReducedSize(1);
  split.requireAxisSize(2, 0);
  expectSameBinds(split, n, {{{4, 3, 5}, {15}, {4}}, {{4, 3, 5}, {14}, {4}}});
  expectSameBinds(BatchNormLaunch(4), n, {{{2, 3, 4, 4}, {3}, {3}}});
  Shape a(std::vector<Dim>{Dim::symbol("n"), Dim(3), Dim(1)}), b(std::vector<Dim>{Dim(3), Dim(5)});
  Shape out(std::vector<Dim>{Dim::symbol("n"), Dim(3), Dim(5)});
  auto plan = BroadcastPlan::build({&a, &b, nullptr}, out);
  ASSERT_TRUE(plan);
  expectSameBinds(ElementwiseLaunch(*plan), n, {{{2, 3, 1}, {3, 5}, {}}, {{7, 3, 1}, {3, 5}, {}}});
}

TEST(LaunchCodec, MalformedRecordsAreErrors) {
  WindowNode w;
  std::vector<int64_t> codes;
  SliceLaunch({3}, {1}, {2}, {}, {}).encode(codes);
  for (size_t cut = 0; cut < codes.size(); ++cut) {
    std::span<const int64_t> truncated(codes.data(), cut);
    EXPECT_FALSE(decodeLaunch(truncated, *w.node)) << "cut at " << cut;
  }
  const std::vector<int64_t> unknown = {999, 1, 2};
  std::span<const int64_t> rest(unknown);
  auto r = decodeLaunch(rest, *w.node);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().str().find("malformed"), std::string::npos);
}

}  // namespace
}  // namespace kiln::llvmjit
