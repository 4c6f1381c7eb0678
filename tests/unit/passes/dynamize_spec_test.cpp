// The `NAME:AXIS=SYMBOL[@TRACED]` axis lists of dynamize-shapes and `kiln compile --dynamic`:
// torch-style names with ':', negative axes, traced sizes, the ';' list form and its round
// trip, and one-line errors that quote the text.

#include "passes/dynamize_spec.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(DynamizeSpec, ParsesNameAxisSymbol) {
  auto a = parseDynamicAxis("input_ids:1=sequence");
  ASSERT_TRUE(a) << a.status().str();
  EXPECT_EQ(a->input, "input_ids");
  EXPECT_EQ(a->axis, 1);
  EXPECT_EQ(a->symbol, "sequence");
  EXPECT_FALSE(a->traced);
}

TEST(DynamizeSpec, NamesMayContainColons) {
  auto a = parseDynamicAxis("onnx::MatMul_0:-1=hidden@768");
  ASSERT_TRUE(a) << a.status().str();
  EXPECT_EQ(a->input, "onnx::MatMul_0");
  EXPECT_EQ(a->axis, -1);
  EXPECT_EQ(a->symbol, "hidden");
  EXPECT_EQ(a->traced, 768);
  EXPECT_EQ(a->str(), "onnx::MatMul_0:-1=hidden@768");
}

TEST(DynamizeSpec, ListRoundTrips) {
  auto list = parseDynamicAxes("x:0=batch;x:1=sequence@128;;mask:0=batch");
  ASSERT_TRUE(list) << list.status().str();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ(formatDynamicAxes(*list), "x:0=batch;x:1=sequence@128;mask:0=batch");
  auto again = parseDynamicAxes(formatDynamicAxes(*list));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *list);
  auto empty = parseDynamicAxes("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(DynamizeSpec, ErrorsQuoteTheTextAndTheForm) {
  struct Bad {
    const char* text;
    const char* why;
  };
  for (const Bad& b : {Bad{"x", "no '='"}, Bad{"x=batch", "no input name before ':'"},
                       Bad{":0=batch", "no input name before ':'"}, Bad{"x:one=batch", "axis 'one' is not an integer"},
                       Bad{"x:0=2batch", "symbol '2batch' is not an identifier"},
                       Bad{"x:0=batch@0", "the traced size after '@' must be a positive integer"},
                       Bad{"x:0=batch@big", "the traced size after '@' must be a positive integer"}}) {
    auto a = parseDynamicAxis(b.text);
    ASSERT_FALSE(a) << b.text;
    const std::string& m = a.status().diagnostic().message;
    EXPECT_NE(m.find(std::string("'") + b.text + "'"), std::string::npos) << m;
    EXPECT_NE(m.find(b.why), std::string::npos) << m;
    EXPECT_NE(m.find("expected NAME:AXIS=SYMBOL"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace kiln
