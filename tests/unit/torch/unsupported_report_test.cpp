#include <gtest/gtest.h>

#include "frontend/torchscript/unsupported_report.h"

namespace kiln::torchscript {
namespace {

TEST(UnsupportedReport, ListsEveryOpWithCountsAndDistinctLocations) {
  std::string r = formatUnsupportedReport({{"aten::cumsum", "m.py:3"},
                                           {"aten::flip", "m.py:4"},
                                           {"aten::cumsum", "m.py:3"},
                                           {"aten::cumsum", "m.py:9"}});
  EXPECT_EQ(r, "2 unsupported ops in the model (4 nodes): aten::cumsum x3 (m.py:3, m.py:9), aten::flip x1 (m.py:4)");
}

TEST(UnsupportedReport, ElidesLocationsBeyondTheLimitAndOmitsUnknownOnes) {
  std::string r = formatUnsupportedReport(
      {{"aten::a", "f:1"}, {"aten::a", "f:2"}, {"aten::a", "f:3"}, {"aten::b", ""}}, /*maxLocations=*/2);
  EXPECT_EQ(r, "2 unsupported ops in the model (4 nodes): aten::a x3 (f:1, f:2, ...), aten::b x1");
}

TEST(UnsupportedReport, SingularForOneNode) {
  EXPECT_EQ(formatUnsupportedReport({{"aten::x", "f:1"}}), "1 unsupported op in the model (1 node): aten::x x1 (f:1)");
}

}  // namespace
}  // namespace kiln::torchscript
