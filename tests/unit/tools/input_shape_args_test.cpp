#include <gtest/gtest.h>

#include "tools/lib/input_shape_args.h"

namespace kiln::tools {
namespace {

TEST(InputShapeArgs, ParsesNameDimsAndDtype) {
  auto s = parseInputShape("mask=1x128:int64");
  ASSERT_TRUE(s) << s.status().str();
  EXPECT_EQ(s->name, "mask");
  EXPECT_EQ(s->dims, (std::vector<int64_t>{1, 128}));
  EXPECT_EQ(s->dtype, DType::Int64);
  auto d = parseInputShape("1x3x224x224");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->name, "");
  EXPECT_EQ(d->dtype, DType::Float32);
  EXPECT_EQ(parseInputShape("x=2x4:f16")->dtype, DType::Float16);
}

TEST(InputShapeArgs, RefusesMalformedText) {
  for (const char* bad : {"x=", "x=1xx2", "x=1x-2", "x=2:complex7", "=2x2", "x=ab"})
    EXPECT_FALSE(parseInputShape(bad)) << bad;
  EXPECT_FALSE(parseInputShapes({"x=1", "x=2"}));
}

TEST(InputShapeArgs, SplitsOutputNames) {
  EXPECT_EQ(parseOutputNames("logits,,probs"), (std::vector<std::string>{"logits", "", "probs"}));
  EXPECT_TRUE(parseOutputNames("").empty());
}

}  // namespace
}  // namespace kiln::tools
