// Nodes the JIT has no generator for but lowers exactly (backends/llvm/jit_lowering.h): a dense
// kiln.FusedConv with residual and activation, Split with sizes given and into equal parts,
// and CastLike. Each must run as generated code only, with the reference interpreter's result.

#include <gtest/gtest.h>

#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "ir/parser.h"
#include "tests/reference/case_compare.h"

namespace kiln::llvmjit {
namespace {

Tensor filled(const std::vector<int64_t>& dims, float scale) {
  Tensor t = Tensor::zeros(DType::Float32, dims);
  for (int64_t i = 0; i < t.numElements(); ++i) t.mutableData<float>()[i] = scale * static_cast<float>((i * 7) % 11 - 5);
  return t;
}

void expectGeneratedAndEqual(const std::string& text, const std::vector<Tensor>& inputs) {
  auto model = parseModel(text);
  ASSERT_TRUE(model) << model.status().str();
  auto jit = JitRuntime::compile(*model);
  ASSERT_TRUE(jit) << jit.status().str();
  EXPECT_TRUE((*jit)->stats().fallbacks.empty()) << (*jit)->stats().fallbacks.front().node;
  auto got = (*jit)->run(inputs);
  auto want = reference::runModel(*model, inputs);
  ASSERT_TRUE(got && want);
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < got->size(); ++i)
    EXPECT_EQ(testing::compareTensors((*got)[i], (*want)[i], 1e-5), "") << "output " << i;
}

TEST(JitLowering, DenseFusedConvRunsAsConvAddAndActivation) {
  expectGeneratedAndEqual(R"(
graph @g(%x: f32[2,3,9,7], %w: f32[5,3,3,3], %b: f32[5], %z: f32[2,5,9,7]) -> (%y: f32[2,5,9,7]) {
  %y = kiln.FusedConv(%x, %w, %b, %z) {activation = "HardSwish", pads = [1, 1, 1, 1]} : f32[2,5,9,7]
  return %y
})",
                          {filled({2, 3, 9, 7}, 0.3f), filled({5, 3, 3, 3}, 0.1f), filled({5}, 0.2f),
                           filled({2, 5, 9, 7}, 0.05f)});
}

TEST(JitLowering, SplitBecomesSlicesAndCastLikeACast) {
  expectGeneratedAndEqual(R"(
graph @g(%x: f32[4,10], %t: i32[1]) -> (%a: f32[4,3], %b: f32[4,7], %c: f32[2,10], %d: f32[2,10], %e: i32[4,10]) {
  %s = Constant() {value = dense<i64[2], [3, 7]>} : i64[2]
  %a, %b = Split(%x, %s) {axis = -1} : f32[4,3], f32[4,7]
  %c, %d = Split(%x) {num_outputs = 2} : f32[2,10], f32[2,10]
  %e = CastLike(%x, %t) : i32[4,10]
  return %a, %b, %c, %d, %e
})",
                          {filled({4, 10}, 0.7f), Tensor::zeros(DType::Int32, {1})});
}

}  // namespace
}  // namespace kiln::llvmjit
