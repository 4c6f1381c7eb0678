// The JIT's compiled-code cache (`--cache-dir`): a second compile of the same generated code
// reads the object from disk and computes the same results as the reference interpreter; code
// that differs (another op) never reads an object compiled for something else.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "ir/parser.h"
#include "tests/reference/case_compare.h"

namespace kiln::llvmjit {
namespace {

Model parsed(const std::string& activation) {
  auto m = parseModel(R"(
graph @g(%x: f32[batch,5], %w: f32[5,7]) -> (%y: f32[batch,7]) {
  %m = MatMul(%x, %w) : f32[batch,7]
  %y = )" + activation + R"((%m) : f32[batch,7]
  return %y
})");
  EXPECT_TRUE(m) << (m ? "" : m.status().str());
  return std::move(*m);
}

std::vector<Tensor> inputs() {
  Tensor x = Tensor::zeros(DType::Float32, {3, 5});
  Tensor w = Tensor::zeros(DType::Float32, {5, 7});
  for (int64_t i = 0; i < x.numElements(); ++i) x.mutableData<float>()[i] = static_cast<float>(i % 7) - 3.0f;
  for (int64_t i = 0; i < w.numElements(); ++i) w.mutableData<float>()[i] = static_cast<float>(i % 5) * 0.25f - 0.5f;
  return {x, w};
}

/// Compiles with the cache folder, runs, and checks the result against the interpreter.
bool compileRunAndCheck(const Model& model, const std::string& dir) {
  auto runtime = JitRuntime::compile(model, {.cacheDir = dir});
  if (!runtime) { ADD_FAILURE() << runtime.status().str(); return false; }
  auto got = (*runtime)->run(inputs());
  auto want = reference::runModel(model, inputs());
  if (!got || !want) { ADD_FAILURE() << "run failed"; return false; }
  EXPECT_EQ(testing::compareTensors((*got)[0], (*want)[0], 1e-6), "");
  return (*runtime)->stats().codeFromCache;
}

TEST(JitCodeCache, SecondCompileReadsTheObjectAndComputesTheSame) {
  const std::string dir = ::testing::TempDir() + "kiln_code_cache_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(compileRunAndCheck(parsed("Relu"), dir));
  EXPECT_FALSE(std::filesystem::is_empty(dir));
  EXPECT_TRUE(compileRunAndCheck(parsed("Relu"), dir));
  // Other generated code: a new object, not the cached one.
  EXPECT_FALSE(compileRunAndCheck(parsed("Sigmoid"), dir));
  EXPECT_TRUE(compileRunAndCheck(parsed("Sigmoid"), dir));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kiln::llvmjit
