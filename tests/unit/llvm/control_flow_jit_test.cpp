// If, Loop and Scan on the JIT: each body runs as a program of generated kernels (control
// steps). Every model here is written in textual IR and compared with the reference
// interpreter (itself checked against ONNX Runtime by the op cases and by
// tests/e2e/jit_control_flow.py); the stats must show no fallback for the control nodes.

#include <gtest/gtest.h>

#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "ir/parser.h"
#include "tests/reference/case_compare.h"

namespace kiln::llvmjit {
namespace {

Model parse(const std::string& text) {
  auto m = parseModel(text, "control.kir");
  EXPECT_TRUE(m) << (m ? "" : m.status().str());
  return m ? m.take() : Model{};
}

Tensor floats(std::vector<int64_t> dims, float start = 0.5f, float step = 0.25f) {
  Tensor t = Tensor::zeros(DType::Float32, dims);
  for (int64_t i = 0; i < t.numElements(); ++i) t.mutableData<float>()[i] = start + step * static_cast<float>(i % 13) - (i % 3);
  return t;
}

Tensor scalarI64(int64_t v) { return Tensor::fromVector<int64_t>(DType::Int64, {}, {v}); }
Tensor scalarBool(bool v) { return Tensor::fromVector<uint8_t>(DType::Bool, {}, {static_cast<uint8_t>(v)}); }

/// The JIT's outputs against the reference interpreter's, over several input sets run on one
/// compiled model (later runs reuse memory plans). Returns the runtime for stats checks.
std::unique_ptr<JitRuntime> expectSame(const Model& model, const std::vector<std::vector<Tensor>>& inputSets,
                                       int threads = 1) {
  auto jit = JitRuntime::compile(model, {.threads = threads, .profile = true});
  EXPECT_TRUE(jit) << (jit ? "" : jit.status().str());
  if (!jit) return nullptr;
  for (int round = 0; round < 2; ++round) {
    for (size_t s = 0; s < inputSets.size(); ++s) {
      auto got = (*jit)->run(inputSets[s]);
      auto want = reference::runModel(model, inputSets[s]);
      EXPECT_TRUE(got) << (got ? "" : got.status().str());
      EXPECT_TRUE(want) << (want ? "" : want.status().str());
      if (!got || !want) return nullptr;
      EXPECT_EQ(got->size(), want->size());
      for (size_t i = 0; i < want->size() && i < got->size(); ++i)
        EXPECT_EQ(testing::compareTensors((*got)[i], (*want)[i], 1e-5), "")
            << "input set " << s << ", round " << round << ", output " << i;
    }
  }
  return jit.take();
}

/// No control node fell back, some body kernels were generated, the profile shows the
/// control steps as such.
void expectControlSteps(const JitRuntime& jit, size_t controlSteps) {
  for (const Fallback& f : jit.stats().fallbacks)
    EXPECT_TRUE(f.op != "If" && f.op != "Loop" && f.op != "Scan") << f.node << " fell back: " << f.reason;
  EXPECT_GT(jit.stats().generatedKernels, 0u);
  size_t control = 0;
  for (const StepProfile& p : jit.profile()) control += p.control;
  EXPECT_EQ(control, controlSteps);
}

TEST(JitControlFlow, IfBranchesWithDifferentShapes) {
  // then: x * 2 reshaped to [6]; else: the row sums of x + outer w, shape [2]. The plan must
  // follow the branch taken, with the same input shapes.
  Model m = parse(R"(graph @g(%c: bool[], %x: f32[2,3]) -> (%y: ?) {
  %w = Exp(%x) : f32[2,3]
  %y = If(%c) {else_branch = graph @else() -> (%e: f32[2]) {
    %s = Add(%x, %w) : f32[2,3]
    %e = ReduceSum(%s) {axes = [1], keepdims = 0} : f32[2]
    return %e
  }, then_branch = graph @then() -> (%t: f32[6]) {
    %two = Constant() {value = dense<f32[], 2.0>} : f32[]
    %m = Mul(%w, %two) : f32[2,3]
    %shape = Constant() {value = dense<i64[1], [6]>} : i64[1]
    %t = Reshape(%m, %shape) : f32[6]
    return %t
  }}
  return %y
})");
  auto jit = expectSame(m, {{scalarBool(true), floats({2, 3})}, {scalarBool(false), floats({2, 3})},
                            {scalarBool(true), floats({2, 3}, -1.0f)}});
  ASSERT_TRUE(jit);
  expectControlSteps(*jit, 1);
}

TEST(JitControlFlow, IfReturnsOuterValueWhoseBytesAreReused) {
  // The then-branch returns %a (an arena buffer of the outer program) unchanged; %b and %z
  // are planned after %a is dead and may reuse its bytes: %y must keep its own copy.
  Model m = parse(R"(graph @g(%c: bool[], %x: f32[64]) -> (%y: ?, %z: f32[64]) {
  %a = Neg(%x) : f32[64]
  %y = If(%c) {else_branch = graph @else() -> (%e: f32[64]) {
    %e = Relu(%a) : f32[64]
    return %e
  }, then_branch = graph @then() -> (%a: f32[64]) {
    return %a
  }}
  %b = Exp(%x) : f32[64]
  %z = Sqrt(%b) : f32[64]
  return %y, %z
})");
  auto jit = expectSame(m, {{scalarBool(true), floats({64})}, {scalarBool(false), floats({64})}});
  ASSERT_TRUE(jit);
  expectControlSteps(*jit, 1);
}

constexpr const char* kCountedLoop = R"(graph @g(%n: i64[], %x: f32[batch,4], %scale: f32[4]) -> (%acc: ?, %rows: ?) {
  %true = Constant() {value = dense<bool[], true>} : bool[]
  %s = Exp(%scale) : f32[4]
  %acc, %rows = Loop(%n, %true, %x) {body = graph @body(%i: i64[], %c: bool[], %v: f32[batch,4]) -> (%keep: bool[], %w: f32[batch,4], %r: f32[batch,4]) {
    %f = Cast(%i) {to = 1} : f32[]
    %t = Mul(%v, %s) : f32[batch,4]
    %w = Add(%t, %f) : f32[batch,4]
    %r = Tanh(%w) : f32[batch,4]
    %keep = Identity(%c) : bool[]
    return %keep, %w, %r
  }}
  return %acc, %rows
})";

TEST(JitControlFlow, CountedLoopWithScanOutputsAndOuterReads) {
  Model m = parse(kCountedLoop);
  auto jit = expectSame(m, {{scalarI64(3), floats({2, 4}), floats({4}, -0.5f, 0.1f)},
                            {scalarI64(5), floats({3, 4}), floats({4}, -0.5f, 0.1f)},
                            {scalarI64(0), floats({2, 4}), floats({4})}});  // zero trips: an empty scan output
  ASSERT_TRUE(jit);
  expectControlSteps(*jit, 1);
}

TEST(JitControlFlow, CountedLoopOnThreeThreads) {
  Model m = parse(kCountedLoop);
  auto jit = expectSame(m, {{scalarI64(4), floats({300, 4}), floats({4}, -0.5f, 0.1f)}}, 3);
  ASSERT_TRUE(jit);
}

TEST(JitControlFlow, ZeroTripLoopKeepsItsInitialValues) {
  Model m = parse(kCountedLoop);
  auto jit = JitRuntime::compile(m);
  ASSERT_TRUE(jit) << jit.status().str();
  const Tensor x = floats({2, 4});
  auto got = (*jit)->run({scalarI64(0), x, floats({4})});
  ASSERT_TRUE(got) << got.status().str();
  EXPECT_EQ(testing::compareTensors((*got)[0], x, 0), "");
  // Empty along the new axis (the slice shape is symbolic in the body, so nothing else is known).
  ASSERT_FALSE((*got)[1].dims().empty());
  EXPECT_EQ((*got)[1].dims()[0], 0);
  EXPECT_EQ((*got)[1].numElements(), 0);
}

TEST(JitControlFlow, ConditionDrivenLoop) {
  // No trip count: runs while the carried sum stays below %limit (a data-dependent count).
  Model m = parse(R"(graph @g(%x: f32[3], %limit: f32[]) -> (%y: ?, %k: ?) {
  %zero = Constant() {value = dense<i64[], 0>} : i64[]
  %start = Less(%zero, %zero) : bool[]
  %go = Not(%start) : bool[]
  %y, %k = Loop(_, %go, %x, %zero) {body = graph @body(%i: i64[], %c: bool[], %v: f32[3], %count: i64[]) -> (%more: bool[], %w: f32[3], %next: i64[]) {
    %half = Constant() {value = dense<f32[], 1.5>} : f32[]
    %u = Mul(%v, %half) : f32[3]
    %w = Add(%u, %half) : f32[3]
    %one = Constant() {value = dense<i64[], 1>} : i64[]
    %next = Add(%count, %one) : i64[]
    %total = ReduceSum(%w) {keepdims = 0} : f32[]
    %more = Less(%total, %limit) : bool[]
    return %more, %w, %next
  }}
  return %y, %k
})");
  auto jit = expectSame(m, {{floats({3}), Tensor::fromVector<float>(DType::Float32, {}, {100.0f})},
                            {floats({3}), Tensor::fromVector<float>(DType::Float32, {}, {-5.0f})},
                            {floats({3}), Tensor::fromVector<float>(DType::Float32, {}, {1000.0f})}});
  ASSERT_TRUE(jit);
  expectControlSteps(*jit, 1);
}

TEST(JitControlFlow, LoopWithGrowingCarriedTensor) {
  // The carried tensor grows by one row per trip: every trip has new shapes (new body plans).
  Model m = parse(R"(graph @g(%n: i64[], %x: f32[1,3]) -> (%y: ?) {
  %true = Constant() {value = dense<bool[], true>} : bool[]
  %y = Loop(%n, %true, %x) {body = graph @body(%i: i64[], %c: bool[], %v: f32[?,3]) -> (%c: bool[], %w: f32[?,3]) {
    %e = Exp(%x) : f32[1,3]
    %w = Concat(%v, %e) {axis = 0} : f32[?,3]
    return %c, %w
  }}
  return %y
})");
  auto jit = expectSame(m, {{scalarI64(4), floats({1, 3})}, {scalarI64(0), floats({1, 3})}});
  ASSERT_TRUE(jit);
  expectControlSteps(*jit, 1);
}

TEST(JitControlFlow, NestedIfInsideLoop) {
  // Even trips add the outer %b, odd trips subtract the body's %u: the inner If reads values of
  // both enclosing graphs.
  Model m = parse(R"(graph @g(%n: i64[], %x: f32[2,5]) -> (%y: ?, %trace: ?) {
  %true = Constant() {value = dense<bool[], true>} : bool[]
  %b = Sigmoid(%x) : f32[2,5]
  %y, %trace = Loop(%n, %true, %x) {body = graph @body(%i: i64[], %c: bool[], %v: f32[2,5]) -> (%c: bool[], %w: f32[2,5], %sum: f32[]) {
    %two = Constant() {value = dense<i64[], 2>} : i64[]
    %zero = Constant() {value = dense<i64[], 0>} : i64[]
    %r = Mod(%i, %two) : i64[]
    %even = Equal(%r, %zero) : bool[]
    %u = Tanh(%v) : f32[2,5]
    %w = If(%even) {else_branch = graph @odd() -> (%o: f32[2,5]) {
      %o = Sub(%v, %u) : f32[2,5]
      return %o
    }, then_branch = graph @even() -> (%t: f32[2,5]) {
      %t = Add(%v, %b) : f32[2,5]
      return %t
    }} : f32[2,5]
    %sum = ReduceSum(%w) {keepdims = 0} : f32[]
    return %c, %w, %sum
  }}
  return %y, %trace
})");
  auto jit = expectSame(m, {{scalarI64(5), floats({2, 5})}, {scalarI64(1), floats({2, 5}, 2.0f)}});
  ASSERT_TRUE(jit);
  expectControlSteps(*jit, 1);
}

TEST(JitControlFlow, ScanWithStateAndReversedAxes) {
  // Running sum over the rows of %a (state), and per step row * exp(%k) + row of %b read in
  // reverse; the scan output stacked along axis 1 and reversed.
  Model m = parse(R"(graph @g(%s0: f32[3], %a: f32[4,3], %b: f32[3,4], %k: f32[3]) -> (%s: ?, %out: ?) {
  %e = Exp(%k) : f32[3]
  %s, %out = Scan(%s0, %a, %b) {body = graph @body(%st: f32[3], %ra: f32[3], %rb: f32[3]) -> (%ns: f32[3], %o: f32[3]) {
    %ns = Add(%st, %ra) : f32[3]
    %m = Mul(%ra, %e) : f32[3]
    %o = Add(%m, %rb) : f32[3]
    return %ns, %o
  }, num_scan_inputs = 2, scan_input_axes = [0, 1], scan_input_directions = [0, 1], scan_output_axes = [1], scan_output_directions = [1]}
  return %s, %out
})");
  auto jit = expectSame(m, {{floats({3}), floats({4, 3}, 1.0f), floats({3, 4}, -2.0f), floats({3})}});
  ASSERT_TRUE(jit);
  expectControlSteps(*jit, 1);
}

TEST(JitControlFlow, BodyErrorsNameTheBodyNode) {
  // A condition that is not one element is refused with the Loop's name.
  Model m = parse(R"(graph @g(%n: i64[], %x: f32[2]) -> (%y: ?) {
  %c = Constant() {value = dense<bool[2], [true, true]>} : bool[2]
  %y = Loop(%n, %c, %x) {body = graph @body(%i: i64[], %cc: bool[], %v: f32[2]) -> (%cc: bool[], %w: f32[2]) {
    %w = Neg(%v) : f32[2]
    return %cc, %w
  }}
  return %y
})");
  auto jit = JitRuntime::compile(m);
  ASSERT_TRUE(jit) << jit.status().str();
  auto got = (*jit)->run({scalarI64(2), floats({2})});
  ASSERT_FALSE(got);
  EXPECT_NE(got.status().str().find("Loop"), std::string::npos) << got.status().str();
  EXPECT_NE(got.status().str().find("condition must hold one element"), std::string::npos) << got.status().str();
}

}  // namespace
}  // namespace kiln::llvmjit
