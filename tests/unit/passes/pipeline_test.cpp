#include <gtest/gtest.h>

#include <cctype>

#include "passes/pass_registry.h"
#include "passes/pipeline.h"
#include "passes/pipelines.h"

namespace kiln {
namespace {

bool isKebabCase(const std::string& s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
      return false;
  return true;
}

TEST(PassRegistry, EveryPassHasAKebabNameASummaryAndMatchesItsEntry) {
  const auto& passes = listPasses();
  ASSERT_GE(passes.size(), 7u);
  for (const auto& info : passes) {
    EXPECT_TRUE(isKebabCase(info.name)) << info.name;
    EXPECT_FALSE(info.summary.empty()) << info.name;
    auto p = info.factory();
    EXPECT_EQ(p->name(), info.name);
    for (const auto& o : p->options()) EXPECT_TRUE(isKebabCase(o.name)) << info.name << " " << o.name;
  }
  for (const char* name : {"shape-infer", "fold-constants", "dce", "cse", "canonicalize", "fold-batchnorm",
                           "eliminate-static-shapes"})
    EXPECT_NE(findPass(name), nullptr) << name;
  std::string list = formatPassList();
  EXPECT_NE(list.find("fold-constants"), std::string::npos);
  EXPECT_NE(list.find("max-bytes=1048576 (int)"), std::string::npos);
  EXPECT_NE(list.find("fixpoint("), std::string::npos);
}

TEST(PassRegistry, UnknownNamesSuggestTheClosest) {
  auto p = createPass("fold-constant");
  ASSERT_FALSE(p.hasValue());
  EXPECT_EQ(p.status().str(), "unknown pass 'fold-constant' (did you mean 'fold-constants'?)");
  auto q = createPass("optimize-everything");
  ASSERT_FALSE(q.hasValue());
  EXPECT_NE(q.status().str().find("--list-passes"), std::string::npos);
}

TEST(PassOptions, TypedValuesParseAndPrintBack) {
  auto p = createPass("fold-constants").take();
  EXPECT_EQ(p->str(), "fold-constants");
  ASSERT_TRUE(p->setOption("max-bytes", "4096"));
  ASSERT_TRUE(p->setOption("max-growth", "1.5"));
  EXPECT_EQ(p->str(), "fold-constants{max-bytes=4096 max-growth=1.5}");
  Status bad = p->setOption("max-bytes", "12k");
  EXPECT_EQ(bad.str(), "pass 'fold-constants': option 'max-bytes' expects an int, got '12k'");
  Status unknown = p->setOption("cap", "1");
  EXPECT_EQ(unknown.str(), "pass 'fold-constants' has no option 'cap' (options: max-bytes, max-growth)");
  auto s = createPass("shape-infer").take();
  EXPECT_TRUE(s->setOption("refine-existing", "false"));
  EXPECT_FALSE(s->setOption("refine-existing", "maybe"));
  EXPECT_EQ(s->str(), "shape-infer{refine-existing=false}");
  EXPECT_EQ(createPass("dce").take()->setOption("x", "1").str(), "pass 'dce' has no option 'x' (it takes none)");
}

TEST(ParsePipeline, EntriesFixpointsAndOptions) {
  auto p = parsePipeline(" shape-infer , fixpoint{max-iterations=3}(fold-constants{max-bytes=64}, cse, fixpoint(dce)) ,canonicalize");
  ASSERT_TRUE(p.hasValue()) << p.status().str();
  ASSERT_EQ(p->entries.size(), 3u);
  EXPECT_FALSE(p->entries[0].isFixpoint());
  EXPECT_EQ(p->entries[0].pass->name(), "shape-infer");
  const PipelineEntry& fx = p->entries[1];
  ASSERT_TRUE(fx.isFixpoint());
  EXPECT_EQ(fx.maxIterations, 3);
  ASSERT_EQ(fx.group.size(), 3u);
  EXPECT_TRUE(fx.group[2].isFixpoint());
  EXPECT_EQ(p->str(), "shape-infer,fixpoint{max-iterations=3}(fold-constants{max-bytes=64},cse,fixpoint(dce)),canonicalize");
  // The printed form parses back to itself.
  auto again = parsePipeline(p->str());
  ASSERT_TRUE(again.hasValue());
  EXPECT_EQ(again->str(), p->str());
  EXPECT_TRUE(parsePipeline("").hasValue());
  EXPECT_TRUE(parsePipeline("")->empty());
}

TEST(ParsePipeline, ErrorsNameTheColumnAndTheProblem) {
  auto err = [](std::string_view text) {
    auto p = parsePipeline(text);
    EXPECT_FALSE(p.hasValue()) << text;
    return p.hasValue() ? std::string() : p.status().str();
  };
  EXPECT_EQ(err("dce,fold-constant"),
            "pass pipeline 'dce,fold-constant': column 5: unknown pass 'fold-constant' (did you mean 'fold-constants'?)");
  EXPECT_EQ(err("dce,"), "pass pipeline 'dce,': column 5: expected a pass name at the end");
  EXPECT_EQ(err("fixpoint(dce"), "pass pipeline 'fixpoint(dce': column 13: expected ')' to close fixpoint(");
  EXPECT_EQ(err("fixpoint()"), "pass pipeline 'fixpoint()': column 10: empty fixpoint group");
  EXPECT_EQ(err("fixpoint{max-iterations=0}(dce)"),
            "pass pipeline 'fixpoint{max-iterations=0}(dce)': column 10: option 'max-iterations' expects a positive int, got '0'");
  EXPECT_EQ(err("dce(cse)"), "pass pipeline 'dce(cse)': column 4: only fixpoint takes a '(' group");
  EXPECT_EQ(err("dce cse"), "pass pipeline 'dce cse': column 5: unexpected 'c'");
  EXPECT_EQ(err("fold-constants{max-bytes}"),
            "pass pipeline 'fold-constants{max-bytes}': column 25: expected '=' after option 'max-bytes'");
}

TEST(OptimizationLevels, AreDataAndPrintExactly) {
  EXPECT_EQ(printPipeline(0), "");
  EXPECT_EQ(printPipeline(1), "shape-infer,fixpoint(fold-constants,canonicalize,cse,dce)");
  EXPECT_EQ(printPipeline(2),
            "shape-infer,eliminate-static-shapes,fixpoint(fold-constants,canonicalize,cse,dce),fold-batchnorm,"
            "fixpoint(fold-constants,canonicalize,cse,dce),fuse-patterns,fixpoint(fold-constants,canonicalize,cse,dce)");
  for (int level = 0; level <= kMaxOptimizationLevel; ++level) {
    auto p = pipelineForLevel(level);
    ASSERT_TRUE(p.hasValue()) << level << ": " << p.status().str();
    EXPECT_EQ(p->str(), printPipeline(level)) << level;
    for (const PipelineStep& step : optimizationSteps(level)) EXPECT_FALSE(step.reason.empty());
  }
  EXPECT_FALSE(pipelineForLevel(4).hasValue());
  EXPECT_FALSE(pipelineForLevel(-1).hasValue());
}

}  // namespace
}  // namespace kiln
