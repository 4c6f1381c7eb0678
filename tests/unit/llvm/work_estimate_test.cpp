// The FLOP and byte estimates behind `kiln bench --profile`'s roofline columns, checked against
// counts worked out by hand for each op kind.

#include <gtest/gtest.h>

#include "backends/llvm/work_estimate.h"

namespace kiln::llvmjit {
namespace {

/// A node of `op` in a scratch graph (the estimate reads only its op type and attributes).
Node* makeNode(Graph& g, const std::string& domain, const std::string& op) {
  return g.createNode(domain, op, {});
}

OperandShape f32(std::vector<int64_t> dims) { return {std::move(dims), 4}; }

TEST(WorkEstimate, MatMulCountsTwoFlopsPerMultiplyAdd) {
  Graph g;
  // [2, 128, 768] x [768, 3072]: 2 * (2 * 128 * 3072) * 768 FLOPs.
  const std::vector<OperandShape> in = {f32({2, 128, 768}), f32({768, 3072})}, out = {f32({2, 128, 3072})};
  WorkEstimate w = estimateWork(*makeNode(g, "", "MatMul"), in, out);
  EXPECT_DOUBLE_EQ(w.flops, 2.0 * 2 * 128 * 3072 * 768);
  EXPECT_DOUBLE_EQ(w.bytes, 4.0 * (2 * 128 * 768 + 768 * 3072 + 2 * 128 * 3072));
}

TEST(WorkEstimate, GemmWithTransposedAReducesOverItsFirstAxis) {
  Graph g;
  Node* n = makeNode(g, "", "Gemm");
  n->setAttr("transA", int64_t{1});
  const std::vector<OperandShape> in = {f32({64, 16}), f32({64, 32})}, out = {f32({16, 32})};
  EXPECT_DOUBLE_EQ(estimateWork(*n, in, out).flops, 2.0 * 16 * 32 * 64);
}

TEST(WorkEstimate, ConvReducesOverChannelsPerGroupAndTheWindow) {
  Graph g;
  // resnet's first conv: 64 x 3 x 7 x 7 weights, 1 x 64 x 112 x 112 output, bias.
  const std::vector<OperandShape> in = {f32({1, 3, 224, 224}), f32({64, 3, 7, 7}), f32({64})};
  const std::vector<OperandShape> out = {f32({1, 64, 112, 112})};
  const double outElems = 64.0 * 112 * 112;
  EXPECT_DOUBLE_EQ(estimateWork(*makeNode(g, "", "Conv"), in, out).flops, 2 * outElems * 3 * 49 + outElems);
  // Depthwise: the weight's second axis is 1 channel per group.
  const std::vector<OperandShape> dw = {f32({1, 32, 56, 56}), f32({32, 1, 3, 3})};
  const std::vector<OperandShape> dwOut = {f32({1, 32, 56, 56})};
  EXPECT_DOUBLE_EQ(estimateWork(*makeNode(g, "kiln", "FusedConv"), dw, dwOut).flops, 2.0 * 32 * 56 * 56 * 9);
}

TEST(WorkEstimate, DataMovementHasNoFlopsButMovesBytes) {
  Graph g;
  const std::vector<OperandShape> in = {f32({8, 16}), {{2}, 8}}, out = {f32({16, 8})};
  WorkEstimate w = estimateWork(*makeNode(g, "", "Reshape"), in, out);
  EXPECT_EQ(w.flops, 0);
  EXPECT_DOUBLE_EQ(w.bytes, 4.0 * 128 + 16 + 4.0 * 128);
}

TEST(WorkEstimate, ElementwiseIsOneFlopPerOutputElementAndPoolingCountsTheWindow) {
  Graph g;
  const std::vector<OperandShape> in = {f32({4, 10}), f32({10})}, out = {f32({4, 10})};
  EXPECT_DOUBLE_EQ(estimateWork(*makeNode(g, "", "Add"), in, out).flops, 40);
  Node* pool = makeNode(g, "", "MaxPool");
  pool->setAttr("kernel_shape", std::vector<int64_t>{3, 3});
  const std::vector<OperandShape> pin = {f32({1, 64, 112, 112})}, pout = {f32({1, 64, 56, 56})};
  EXPECT_DOUBLE_EQ(estimateWork(*pool, pin, pout).flops, 64.0 * 56 * 56 * 9);
}

TEST(WorkEstimate, LstmCountsInputAndRecurrentProductsPerStep) {
  Graph g;
  // X [seq 64, batch 1, 128], W [1, 4 * 256, 128], R [1, 4 * 256, 256].
  const std::vector<OperandShape> in = {f32({64, 1, 128}), f32({1, 1024, 128}), f32({1, 1024, 256})};
  const std::vector<OperandShape> out = {f32({64, 1, 1, 256})};
  EXPECT_DOUBLE_EQ(estimateWork(*makeNode(g, "", "LSTM"), in, out).flops, 2.0 * 64 * 1024 * (128 + 256));
}

}  // namespace
}  // namespace kiln::llvmjit
