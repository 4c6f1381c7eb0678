// The shape-chain and indexing launches (launches_shape.h) written as integers and read back
// bind every shape and operand value exactly as the original launch does; truncated records are
// errors, never a launch.

#include <gtest/gtest.h>

#include "backends/llvm/launches_shape.h"
#include "ir/graph.h"

namespace kiln::llvmjit {
namespace {

using Dims = std::vector<std::vector<int64_t>>;

struct Case {
  Dims dims, values;
};

struct AnyNode {
  Graph graph;
  Node* node;
  AnyNode() {
    node = graph.createNode("", "Gather", {});
    node->setName("n");
  }
};

void expectSameBinds(const KernelLaunch& original, const Node& node, const std::vector<Case>& cases) {
  std::vector<int64_t> codes;
  original.encode(codes);
  const size_t length = codes.size();
  codes.push_back(12345);  // the next record must be left in place
  std::span<const int64_t> rest(codes);
  auto decoded = decodeLaunch(rest, node);
  ASSERT_TRUE(decoded) << decoded.status().str();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ((*decoded)->valueOperands(), original.valueOperands());
  EXPECT_EQ((*decoded)->checksOperands(), original.checksOperands());
  for (const Case& c : cases) {
    LaunchShape a, b;
    const bool boundA = original.bindValues(c.dims, c.values, a), boundB = (*decoded)->bindValues(c.dims, c.values, b);
    EXPECT_EQ(boundA, boundB);
    if (!boundA || !boundB) continue;
    EXPECT_EQ(a.outputDims, b.outputDims);
    EXPECT_EQ(a.kernelDims, b.kernelDims);
    EXPECT_EQ(a.iterations, b.iterations);
  }
  for (size_t cut = 0; cut < length; ++cut) {
    std::span<const int64_t> truncated(codes.data(), cut);
    EXPECT_FALSE(decodeLaunch(truncated, node)) << "cut at " << cut;
  }
}

TEST(LaunchCodec, ShapeFamilyReadsBackAlike) {
  AnyNode n;
  const Node& node = *n.node;
  expectSameBinds(ShapeOfLaunch(3, 1, 3), node, {{{{2, 3, 4}}, {}}, {{{2, 3}}, {}}});
  expectSameBinds(SameShapeLaunch(), node, {{{{2, 0, 4}}, {}}});
  expectSameBinds(ConstantOfShapeLaunch(), node, {{{{2}}, {{3, 4}}}, {{{1}}, {{-1}}}});
  expectSameBinds(GatherLaunch(3, 1), node, {{{{2, 3, 4}, {5, 6}}, {}}, {{{2, 3}, {5}}, {}}});
  expectSameBinds(ScatterNDLaunch(3, 2), node, {{{{4, 5, 3}, {2, 2}, {2, 3}}, {}}, {{{4, 5, 3}, {2, 1}, {2, 3}}, {}}});
  expectSameBinds(ExpandLaunch(3), node, {{{{3, 1}, {3}}, {{2, 1, 4}}}, {{{3, 2}, {3}}, {{2, 1, 4}}}});
  expectSameBinds(RuntimeCopyLaunch(ReshapeRule::Kind::Reshape, false), node, {{{{6, 5}, {3}}, {{2, -1, 5}}}});
  expectSameBinds(RuntimeSliceLaunch(2, true, false), node,
                  {{{{7, 9}, {2}, {2}, {2}, {}}, {{1, -2}, {6, 0}, {0, 1}, {}}}, {{{7, 9}, {1}, {2}}, {{1}, {6, 0}, {}, {}}}});
  expectSameBinds(PadLaunch(2, PadLaunch::Mode::Reflect, false), node, {{{{3, 5}, {4}}, {{2, 4, 1, 4}, {}}}});
  Shape a(std::vector<Dim>{Dim(3), Dim(5)}), b(std::vector<Dim>{Dim(5)});
  auto plan = BroadcastPlan::build({&a, &b}, a);
  ASSERT_TRUE(plan);
  expectSameBinds(CheckedDivLaunch(*plan), node, {{{{3, 5}, {5}}, {}}});
}

}  // namespace
}  // namespace kiln::llvmjit
