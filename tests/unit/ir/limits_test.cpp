// Resource limits and overflow-checked shape arithmetic (ir/limits.h, ir/dim.h, the textual IR
// parser): every bound refuses with a message naming the option that raises it.

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "ir/dim.h"
#include "ir/graph.h"
#include "ir/limits.h"
#include "ir/parser.h"

namespace kiln {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

std::string parseError(const std::string& text, const Limits& limits = {}) {
  auto m = parseModel(text, "t.kir", limits);
  return m ? std::string("(parsed)") : m.status().str();
}

TEST(DimOverflow, StaticArithmeticThatOverflowsIsUnknown) {
  EXPECT_TRUE((Dim(kMax) + Dim(1)).isUnknown());
  EXPECT_TRUE((Dim(kMin) - Dim(1)).isUnknown());
  EXPECT_TRUE((Dim(int64_t{1} << 32) * Dim(int64_t{1} << 32)).isUnknown());
  EXPECT_EQ((Dim(int64_t{1} << 31) * Dim(int64_t{1} << 31)).value(), int64_t{1} << 62);
  EXPECT_TRUE(exactDiv(Dim(kMin), Dim(-1)).isUnknown());  // kMin / -1 does not fit
  EXPECT_EQ(exactDiv(Dim(6), Dim(-1)).value(), -6);
}

TEST(DimOverflow, SymbolicCoefficientsThatOverflowAreUnknown) {
  Dim big = Dim::symbol("n") * Dim(kMax);
  ASSERT_TRUE(big.isSymbolic());
  EXPECT_TRUE((big + Dim::symbol("n")).isUnknown());  // kMax*n + n
  EXPECT_TRUE((big * Dim(2)).isUnknown());
  Dim low = Dim::symbol("n") * Dim(kMin) + Dim(kMin);
  EXPECT_EQ(low.str(), "-9223372036854775808*n-9223372036854775808");
}

TEST(DimOverflow, MostNegativeCoefficientPrintsAndParses) {
  // Crashed in the printer (negating INT64_MIN) before; found by this test's first version.
  std::string text = "graph @g(%x: f32[-9223372036854775807*n-n]) -> (%x) {\nreturn %x\n}\n";
  auto m = parseModel(text);
  ASSERT_TRUE(m) << m.status().str();
  EXPECT_EQ(m->graph->input(0)->type().str(), "f32[-9223372036854775808*n]");
}

TEST(Limits, SafeCounts) {
  std::vector<int64_t> ok{int64_t{1} << 31, int64_t{1} << 31};
  EXPECT_EQ(safeElementCount(ok), int64_t{1} << 62);
  EXPECT_FALSE(safeByteSize(DType::Float32, *safeElementCount(ok)));  // 2^64 bytes
  std::vector<int64_t> over{int64_t{1} << 40, int64_t{1} << 40};
  EXPECT_FALSE(safeElementCount(over));
  std::vector<int64_t> negative{2, -1};
  EXPECT_FALSE(safeElementCount(negative));
  std::vector<int64_t> zero{int64_t{1} << 40, 0, int64_t{1} << 40};
  EXPECT_EQ(safeElementCount(zero), 0);
}

const char* kHead = "graph @g(%x: f32[2]) -> (%y) {\n";

TEST(ParserLimits, DenseDimsThatOverflowAreRefused) {
  std::string text = std::string(kHead) +
                     "%w = Constant() {value = dense<f32[4611686018427387904,4], #12>}\n%y = Add(%x, %w)\nreturn %y\n}\n";
  EXPECT_NE(parseError(text).find("element count overflows int64"), std::string::npos) << parseError(text);
  // A written-out tensor whose dims overflow: refused before counting its values.
  std::string written = std::string(kHead) +
                        "%w = Constant() {value = dense<f32[4294967296,4294967296], [1.0]>}\n%y = Add(%x, %w)\nreturn %y\n}\n";
  EXPECT_NE(parseError(written).find("overflows"), std::string::npos) << parseError(written);
}

TEST(ParserLimits, TensorBytes) {
  std::string text = std::string(kHead) + "%w = Constant() {value = dense<f32[4], [1.0, 2.0, 3.0, 4.0]>}\n%y = Add(%x, %w)\nreturn %y\n}\n";
  EXPECT_EQ(parseError(text), "(parsed)");
  Limits small;
  small.maxTensorBytes = 8;
  EXPECT_NE(parseError(text, small).find("over the tensor size limit of 8 B (raise it with --max-tensor-bytes)"),
            std::string::npos)
      << parseError(text, small);
}

TEST(ParserLimits, NodesStringsAndNesting) {
  std::string nodes = std::string(kHead) + "%a = Neg(%x)\n%b = Neg(%a)\n%y = Neg(%b)\nreturn %y\n}\n";
  Limits two;
  two.maxNodes = 2;
  EXPECT_NE(parseError(nodes, two).find("more than 2 nodes (raise it with --max-nodes)"), std::string::npos);

  std::string longString = std::string(kHead) + "%y = Neg(%x) {note = \"" + std::string(100, 'a') + "\"}\nreturn %y\n}\n";
  Limits shortStrings;
  shortStrings.maxStringBytes = 64;
  EXPECT_NE(parseError(longString, shortStrings).find("string length limit"), std::string::npos)
      << parseError(longString, shortStrings);
  EXPECT_EQ(parseError(longString), "(parsed)");

  std::string types = "graph @g(%x: ";
  for (int i = 0; i < 200; ++i) types += "seq<";
  types += "f32[2]" + std::string(200, '>') + ") -> () {\nreturn\n}\n";
  EXPECT_NE(parseError(types).find("types nest deeper than"), std::string::npos) << parseError(types);

  // If nested three deep; a limit of 1 refuses it, the default takes it.
  auto branch = [](const std::string& inner, int k) {
    return "graph @b" + std::to_string(k) + "() -> (%r" + std::to_string(k) + ") {\n" + inner + "return %r" +
           std::to_string(k) + "\n}";
  };
  std::string leaf = "%r0 = Neg(%x)\n";
  std::string level1 = "%r1 = If(%c) {then_branch = " + branch(leaf, 0) + ", else_branch = " + branch("%r9 = Neg(%x)\n", 9) +
                       "}\n";
  std::string nested = "graph @g(%x: f32[2], %c: bool[]) -> (%y) {\n%y = If(%c) {then_branch = " +
                       branch(level1, 1) + ", else_branch = " + branch("%r8 = Neg(%x)\n", 8) + "}\nreturn %y\n}\n";
  EXPECT_EQ(parseError(nested), "(parsed)");
  Limits shallow;
  shallow.maxSubgraphDepth = 1;
  EXPECT_NE(parseError(nested, shallow).find("subgraphs nest deeper than 1 levels (raise it with --max-subgraph-depth)"),
            std::string::npos)
      << parseError(nested, shallow);
}

TEST(GraphLimits, CountsNodesAndDepth) {
  Graph g("g");
  Value* x = g.addInput("x", Type::tensor(DType::Float32, Shape({2})));
  Node* a = g.createNode("", "Neg", {x});
  Value* av = a->addOutput("a");
  Node* b = g.createNode("", "Neg", {av});
  g.addOutput(b->addOutput("b"));
  Limits one;
  one.maxNodes = 1;
  EXPECT_NE(checkGraphLimits(g, one).str().find("more than 1 nodes"), std::string::npos);
  EXPECT_TRUE(checkGraphLimits(g, Limits{}));
}

}  // namespace
}  // namespace kiln
