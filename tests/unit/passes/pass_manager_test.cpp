#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ir/parser.h"
#include "passes/pass_context.h"
#include "passes/pass_manager.h"
#include "passes/pass_utils.h"

namespace kiln {
namespace {

Model parse(std::string_view text, const std::string& file = "model.kir") {
  auto m = parseModel(text, file);
  EXPECT_TRUE(m.hasValue()) << m.status().str();
  return m.take();
}

constexpr std::string_view kDeadNeg =
    "graph @g(%x: f32[2]) -> (%y: f32[2]) {\n"
    "  %dead = Neg(%x) : f32[2]\n"
    "  %y = Relu(%x) : f32[2]\n"
    "  return %y\n"
    "}\n";

// ---- test passes: each breaks one promise on purpose --------------------------------------

/// Replaces Relu by Neg: valid IR, wrong numbers.
class WrongNumericsPass final : public Pass {
 public:
  WrongNumericsPass() : Pass("wrong-numerics", "Replaces Relu by Neg (test).") {}
  Expected<bool> run(Graph& g, PassContext& ctx) override {
    bool changed = false;
    for (Node* n : g.nodes()) {
      if (n->opType() != "Relu") continue;
      Rewriter& rw = ctx.rewriter();
      Node* neg = rw.createNode(g, n, "", "Neg", {n->input(0)}, {"neg"});
      neg->output(0)->setType(n->output(0)->type());
      rw.replaceAllUsesWith(n->output(0), neg->output(0));
      rw.eraseNode(n);
      changed = true;
    }
    return changed;
  }
};

/// Gives two values the same name: the verifier must catch it.
class BreakNamesPass final : public Pass {
 public:
  BreakNamesPass() : Pass("break-names", "Duplicates a value name (test).") {}
  Expected<bool> run(Graph& g, PassContext& ctx) override {
    g.nodes().front()->output(0)->setName(g.input(0)->name());
    ctx.rewriter().noteChange();
    return true;
  }
};

class FailingPass final : public Pass {
 public:
  FailingPass() : Pass("fail", "Fails on the first node (test).") {}
  Expected<bool> run(Graph& g, PassContext&) override {
    Node* n = g.nodes().front();
    n->setName("bad");
    return nodeError(*n, "nope");
  }
};

/// Swaps the operands of every Add: never converges.
class FlipFlopPass final : public Pass {
 public:
  FlipFlopPass() : Pass("flip-flop", "Swaps Add operands (test).") {}
  Expected<bool> run(Graph& g, PassContext& ctx) override {
    for (Node* n : g.nodes())
      if (n->opType() == "Add") {
        Value* a = n->input(0);
        Value* b = n->input(1);
        ctx.rewriter().setInput(n, 0, b);
        ctx.rewriter().setInput(n, 1, a);
      }
    return true;
  }
};

class LyingPass final : public Pass {
 public:
  LyingPass() : Pass("lying", "Says it changed the IR but did not (test).") {}
  Expected<bool> run(Graph&, PassContext&) override { return true; }
};

// ---- instrumentation ----------------------------------------------------------------------

TEST(PassManager, PrintIrAfterChangeSkipsRunsThatChangedNothing) {
  Model m = parse(kDeadNeg);
  std::ostringstream out;
  PassManager pm({.printIrAfterChange = true, .out = &out});
  ASSERT_TRUE(pm.addPipeline("dce,dce"));
  ASSERT_TRUE(pm.run(m));
  std::string text = out.str();
  EXPECT_NE(text.find("// -----// IR Dump After dce (#1) //----- //"), std::string::npos) << text;
  EXPECT_EQ(text.find("(#2)"), std::string::npos) << text;
  EXPECT_EQ(text.find("Neg"), std::string::npos);
  EXPECT_EQ(pm.passRuns(), 2u);
}

TEST(PassManager, PrintIrBeforeAndAfterNamedPasses) {
  Model m = parse(kDeadNeg);
  std::ostringstream out;
  PassManager pm({.printIrBefore = {"dce"}, .printIrAfter = {"cse"}, .out = &out});
  ASSERT_TRUE(pm.addPipeline("cse,dce"));
  ASSERT_TRUE(pm.run(m));
  std::string text = out.str();
  EXPECT_NE(text.find("IR Dump Before dce (#2)"), std::string::npos) << text;
  EXPECT_NE(text.find("IR Dump After cse (#1)"), std::string::npos) << text;
  EXPECT_EQ(text.find("IR Dump After dce"), std::string::npos) << text;
}

TEST(PassManager, DumpDirHoldsTheInputAndEveryChange) {
  auto dir = std::filesystem::temp_directory_path() / ("kiln_dump_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Model m = parse(kDeadNeg);
  PassManager pm({.dumpDir = dir.string()});
  ASSERT_TRUE(pm.addPipeline("cse,dce"));
  ASSERT_TRUE(pm.run(m));
  EXPECT_TRUE(std::filesystem::exists(dir / "00-input.kir"));
  EXPECT_FALSE(std::filesystem::exists(dir / "01-cse.kir"));  // unchanged
  ASSERT_TRUE(std::filesystem::exists(dir / "02-dce.kir"));
  std::ifstream in(dir / "02-dce.kir");
  std::stringstream ss;
  ss << in.rdbuf();
  auto reparsed = parseModel(ss.str());
  ASSERT_TRUE(reparsed.hasValue()) << reparsed.status().str();
  EXPECT_EQ(reparsed->graph->nodes().size(), 1u);

  // A failing pass: the IR it started from is the last .kir file, the error beside it.
  Model m2 = parse(kDeadNeg);
  PassManager pm2({.dumpDir = dir.string()});
  ASSERT_TRUE(pm2.addPipeline("dce"));
  pm2.add(std::make_unique<FailingPass>());
  EXPECT_FALSE(pm2.run(m2));
  EXPECT_TRUE(std::filesystem::exists(dir / "01-dce.kir"));
  EXPECT_TRUE(std::filesystem::exists(dir / "02-fail.error.txt"));
  std::ifstream index(dir / "index.txt");
  std::stringstream is;
  is << index.rdbuf();
  EXPECT_NE(is.str().find("02 fail FAILED"), std::string::npos) << is.str();
  std::filesystem::remove_all(dir);
}

TEST(PassManager, DumpDirWritesDotAndOnnxSnapshotsOrNotesWhyNot) {
  auto dir = std::filesystem::temp_directory_path() / ("kiln_dump_snap_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Model m = parse(kDeadNeg);
  std::vector<std::string> written;
  OnnxSnapshotWriter writer = [&](const Model&, const std::string& path) {
    written.push_back(std::filesystem::path(path).filename().string());
    // Refuse the second snapshot, as the emitter would for a state with no ONNX form.
    return written.size() == 2 ? Status::error("no ONNX form for op 'kiln.Thing'") : Status::ok();
  };
  PassManager pm({.dumpDir = dir.string(), .dumpOnnx = writer, .dumpDot = true});
  ASSERT_TRUE(pm.addPipeline("cse,dce"));
  ASSERT_TRUE(pm.run(m));
  EXPECT_EQ(written, (std::vector<std::string>{"00-input.onnx", "02-dce.onnx"}));
  ASSERT_TRUE(std::filesystem::exists(dir / "02-dce.dot"));
  EXPECT_FALSE(std::filesystem::exists(dir / "01-cse.dot"));  // unchanged: no snapshot
  std::ifstream dot(dir / "00-input.dot");
  std::stringstream ds;
  ds << dot.rdbuf();
  EXPECT_EQ(ds.str().rfind("digraph ", 0), 0u) << ds.str();
  EXPECT_NE(ds.str().find("Neg"), std::string::npos) << ds.str();
  std::ifstream index(dir / "index.txt");
  std::stringstream is;
  is << index.rdbuf();
  EXPECT_NE(is.str().find("02-dce.onnx skipped: no ONNX form for op 'kiln.Thing'"), std::string::npos) << is.str();
  std::filesystem::remove_all(dir);
}

TEST(PassManager, TimePassesAndStatsReports) {
  Model m = parse(
      "graph @g(%x: f32[2]) -> (%y: f32[2]) {\n"
      "  %c = Constant() {value = dense<f32[2], [1, 2]>} : f32[2]\n"
      "  %n = Neg(%c) : f32[2]\n"
      "  %dead = Exp(%x) : f32[2]\n"
      "  %y = Add(%x, %n) : f32[2]\n"
      "  return %y\n"
      "}\n");
  std::ostringstream out;
  PassManager pm({.timePasses = true, .stats = true, .out = &out});
  ASSERT_TRUE(pm.addPipeline("fold-constants,dce"));
  ASSERT_TRUE(pm.run(m));
  std::string text = out.str();
  EXPECT_NE(text.find("Pass execution timing report"), std::string::npos) << text;
  EXPECT_NE(text.find("Total Execution Time"), std::string::npos);
  EXPECT_NE(text.find("Pass statistics report"), std::string::npos);
  EXPECT_NE(text.find("Neg -1"), std::string::npos) << text;
  EXPECT_NE(text.find("Exp -1"), std::string::npos) << text;
  EXPECT_NE(text.find("fold-constants.folded"), std::string::npos);
  EXPECT_EQ(pm.statistics().get("dce", "removed"), 1);
  EXPECT_EQ(pm.statistics().get("fold-constants", "folded"), 1);
  EXPECT_EQ(text, pm.report());
}

TEST(PassManager, VerifyEachNamesThePassThatBrokeTheIr) {
  Model m = parse(kDeadNeg);
  PassManager pm({.verifyEach = true});
  ASSERT_TRUE(pm.addPipeline("dce"));
  pm.add(std::make_unique<BreakNamesPass>());
  Status s = pm.run(m);
  ASSERT_FALSE(s);
  EXPECT_NE(s.str().find("verify-each: pass 'break-names' left invalid IR"), std::string::npos) << s.str();
  EXPECT_EQ(s.diagnostic().file, "model.kir");
}

TEST(PassManager, CheckNumericsStopsAtThePassThatMovedAnOutput) {
  Model m = parse(kDeadNeg);
  PassManager pm({.checkNumerics = true});
  ASSERT_TRUE(pm.addPipeline("dce"));
  pm.add(std::make_unique<WrongNumericsPass>());
  ASSERT_TRUE(pm.addPipeline("dce"));
  Status s = pm.run(m);
  ASSERT_FALSE(s);
  EXPECT_NE(s.str().find("check-numerics: after pass 'wrong-numerics': output 'y' moved: max abs diff"),
            std::string::npos)
      << s.str();
  EXPECT_NE(s.str().find("MSE"), std::string::npos);
  EXPECT_NE(s.str().find("cosine"), std::string::npos);
  EXPECT_EQ(pm.passRuns(), 2u);  // stopped before the last dce

  Model ok = parse(kDeadNeg);
  PassManager good({.checkNumerics = true});
  ASSERT_TRUE(good.addPipeline("dce,cse"));
  EXPECT_TRUE(good.run(ok));
}

TEST(PassManager, AFailingPassReportsPassNodeAndFile) {
  Model m = parse(kDeadNeg, "net.onnx");
  PassManager pm;
  pm.add(std::make_unique<FailingPass>());
  Status s = pm.run(m);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.str(), "net.onnx: node 'bad' (Neg): pass 'fail': nope");
}

TEST(PassManager, PrintIrAfterFailureShowsWhatTheFailingPassLeft) {
  Model m = parse(kDeadNeg);
  std::ostringstream out;
  PassManager pm({.printIrAfterFailure = true, .out = &out});
  pm.add(std::make_unique<FailingPass>());
  EXPECT_FALSE(pm.run(m));
  EXPECT_NE(out.str().find("// -----// IR Dump After Failure of fail (#1) //----- //"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("name(\"bad\")"), std::string::npos) << out.str();
}

TEST(PassManager, FixpointThatNeverConvergesWarns) {
  Model m = parse(
      "graph @g(%x: f32[2], %z: f32[2]) -> (%y: f32[2]) {\n"
      "  %y = Add(%x, %z) : f32[2]\n"
      "  return %y\n"
      "}\n");
  PassManager pm;
  Pipeline group;
  group.add(std::make_unique<FlipFlopPass>());
  Pipeline p;
  p.addFixpoint(std::move(group), 4);
  pm.add(std::move(p));
  ASSERT_TRUE(pm.run(m));
  EXPECT_EQ(pm.passRuns(), 4u);
  ASSERT_EQ(pm.warnings().size(), 1u);
  EXPECT_EQ(pm.warnings()[0].str(),
            "model.kir: warning: fixpoint{max-iterations=4}(flip-flop) did not converge after 4 iterations");
}

TEST(PassManager, FixpointStopsWhenNothingChanges) {
  Model m = parse(kDeadNeg);
  PassManager pm;
  ASSERT_TRUE(pm.addPipeline("fixpoint(cse,dce)"));
  ASSERT_TRUE(pm.run(m));
  EXPECT_EQ(pm.passRuns(), 4u);  // iteration 1 changes, iteration 2 confirms
  EXPECT_TRUE(pm.warnings().empty());
}

constexpr std::string_view kBigExpand =
    "graph @g() -> (%y: f32[32768]) {\n"
    "  %one = Constant() {value = dense<f32[1], [1]>} : f32[1]\n"
    "  %shape = Constant() {value = dense<i64[1], [32768]>} : i64[1]\n"
    "  %y = Expand(%one, %shape) : f32[32768]\n"
    "  return %y\n"
    "}\n";

TEST(PassManager, ConstantBudgetStopsFoldsThatGrowTheModel) {
  // 128 KiB of result from 12 bytes: within the fold cap given here, but past the budget
  // (1.1 x 12 bytes, plus the 64 KiB slack).
  Model m = parse(kBigExpand);
  PassManager pm;
  ASSERT_TRUE(pm.addPipeline("fold-constants{max-bytes=1000000}"));
  ASSERT_TRUE(pm.run(m));
  EXPECT_EQ(pm.statistics().get("fold-constants", "skipped-by-budget"), 1);
  EXPECT_EQ(m.graph->nodes().back()->opType(), "Expand");

  Model unguarded = parse(kBigExpand);
  PassManager pm2({.constantBudgetFactor = 0});
  ASSERT_TRUE(pm2.addPipeline("fold-constants{max-bytes=1000000}"));
  ASSERT_TRUE(pm2.run(unguarded));
  EXPECT_EQ(pm2.statistics().get("fold-constants", "folded"), 1);
  EXPECT_EQ(unguarded.graph->nodes().size(), 1u);
  EXPECT_EQ(unguarded.graph->output(0)->name(), "y");
}

TEST(PassManagerDeathTest, APassThatClaimsAChangeTheRewriterDidNotSeeIsAKilnBug) {
  Model m = parse(kDeadNeg);
  PassManager pm;
  pm.add(std::make_unique<LyingPass>());
  EXPECT_DEATH((void)pm.run(m), "changed \\|\\| !\\*result");
}

}  // namespace
}  // namespace kiln
