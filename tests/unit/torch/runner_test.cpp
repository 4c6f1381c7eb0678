// The libtorch runner: tensors of every shared dtype cross into libtorch and back unchanged, and
// a TorchScript module defined here (values worked out by hand) runs with tuple/list outputs
// flattened in order.

#include "backends/torch/runner.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <unistd.h>

#include <filesystem>

#include "backends/torch/tensor_convert.h"

namespace kiln::torch_runner {
namespace {

std::string saveModule(const std::string& name, const std::string& source) {
  torch::jit::Module m(name);
  m.define(source);
  auto path = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".pt");
  m.save(path.string());
  return path.string();
}

TEST(TorchTensorConvert, EveryDtypeRoundTripsBitExact) {
  for (DType dtype : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16, DType::Int8, DType::UInt8,
                      DType::Int16, DType::Int32, DType::Int64, DType::Bool}) {
    Tensor t = Tensor::zeros(dtype, {2, 3});
    std::byte* p = t.mutableRawData();
    for (size_t i = 0; i < t.byteSize(); ++i) p[i] = static_cast<std::byte>(dtype == DType::Bool ? i % 2 : i * 7 + 1);
    auto at = toAtTensor(t, "t");
    ASSERT_TRUE(at) << at.status().str();
    EXPECT_EQ(at->dim(), 2);
    auto back = fromAtTensor(*at, "t");
    ASSERT_TRUE(back) << back.status().str();
    EXPECT_TRUE(back->contentEquals(t)) << dtypeName(dtype);
  }
  EXPECT_FALSE(toAtTensor(Tensor::zeros(DType::UInt32, {2}), "u32"));
}

TEST(TorchTensorConvert, NonContiguousTensorsAreCopiedInLogicalOrder) {
  at::Tensor m = at::arange(6, at::kFloat).reshape({2, 3}).t();  // [[0,3],[1,4],[2,5]]
  auto t = fromAtTensor(m, "m");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dims(), (std::vector<int64_t>{3, 2}));
  std::vector<float> values(t->data<float>().begin(), t->data<float>().end());
  EXPECT_EQ(values, (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(TorchRunner, RunsForwardAndFlattensTupleAndListOutputs) {
  std::string path = saveModule("pair", R"(
def forward(self, x, y):
    return (x * 2.0 + y, [x.sum(), y.long()])
)");
  Tensor x = Tensor::fromVector<float>(DType::Float32, {2}, {1.5f, -2.f});
  Tensor y = Tensor::fromVector<float>(DType::Float32, {2}, {0.25f, 3.f});
  auto out = runTorchScriptFile(path, {x, y}, {.threads = 1});
  ASSERT_TRUE(out) << out.status().str();
  ASSERT_EQ(out->size(), 3u);
  // x*2+y = [3.25, -1]; sum(x) = -0.5; y as int64 = [0, 3]
  EXPECT_EQ((*out)[0].data<float>()[0], 3.25f);
  EXPECT_EQ((*out)[0].data<float>()[1], -1.f);
  EXPECT_EQ((*out)[1].rank(), 0u);
  EXPECT_EQ((*out)[1].data<float>()[0], -0.5f);
  EXPECT_EQ((*out)[2].dtype(), DType::Int64);
  EXPECT_EQ((*out)[2].data<int64_t>()[1], 3);
  std::filesystem::remove(path);
}

TEST(TorchRunner, ErrorsAreOneLineNamingTheFile) {
  std::string path = saveModule("mm", "def forward(self, x):\n    return torch.mm(x, x)\n");
  auto wrongCount = runTorchScriptFile(path, {}, {});
  ASSERT_FALSE(wrongCount);
  EXPECT_EQ(wrongCount.status().diagnostic().file, path);
  EXPECT_NE(wrongCount.status().str().find("takes 1 inputs, 0 given"), std::string::npos);

  auto shapeError = runTorchScriptFile(path, {Tensor::zeros(DType::Float32, {2, 3})}, {});
  ASSERT_FALSE(shapeError);
  EXPECT_EQ(shapeError.status().str().find('\n'), std::string::npos) << shapeError.status().str();
  EXPECT_NE(shapeError.status().str().find("libtorch"), std::string::npos);

  auto missing = runTorchScriptFile(path + ".missing", {}, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().str().find('\n'), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace kiln::torch_runner
