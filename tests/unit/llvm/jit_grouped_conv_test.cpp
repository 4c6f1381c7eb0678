// The direct grouped / depthwise Conv kernel (emit_grouped_conv.cpp) against the reference
// kernels (themselves verified against ONNX Runtime): odd sizes with vector tails, strides 1,
// 2 and 3, asymmetric pads and auto_pad, dilation, kernels 1 to 7, channel multipliers,
// several channels per group, batches, size-1 dims, 1-D Conv, threads, and kiln.FusedConv
// with group > 1 (every activation, with and without the residual operand).

#include <gtest/gtest.h>

#include <random>

#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "ir/op_registry.h"
#include "tests/reference/case_compare.h"

namespace kiln::llvmjit {
namespace {

Tensor randomF32(const std::vector<int64_t>& dims, uint32_t seed) {
  Tensor t = Tensor::zeros(DType::Float32, dims);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> real(-2.0f, 2.0f);
  for (float& v : t.mutableData<float>()) v = real(rng);
  return t;
}

Type f32(const std::vector<int64_t>& dims) {
  return Type::tensor(DType::Float32, Shape(std::vector<Dim>(dims.begin(), dims.end())));
}

struct ConvCase {
  std::vector<int64_t> x, w;
  int64_t group;
  std::vector<int64_t> strides = {}, pads = {}, dilations = {};
  std::string autoPad = "";
  bool bias = true;
  int threads = 1;
};

/// One Conv (or kiln.FusedConv with `activation`, `params` and, when `residual`, a Z operand)
/// with the case's operands as graph inputs; returns the model and its inputs.
std::pair<Model, std::vector<Tensor>> convModel(const ConvCase& c, uint32_t seed, bool fused = false,
                                                const std::string& activation = "",
                                                const std::vector<float>& params = {}, bool residual = false) {
  Model model;
  Graph& g = *model.graph;
  std::vector<Tensor> inputs = {randomF32(c.x, seed), randomF32(c.w, seed + 1)};
  std::vector<Value*> operands = {g.addInput("x", f32(c.x)), g.addInput("w", f32(c.w))};
  if (c.bias || residual) {
    operands.push_back(c.bias ? g.addInput("b", f32({c.w[0]})) : nullptr);
    if (c.bias) inputs.push_back(randomF32({c.w[0]}, seed + 2));
  }
  Node* n = g.createNode(fused ? "kiln" : "", fused ? "FusedConv" : "Conv", {});
  n->setName("conv");
  n->setAttr("group", c.group);
  if (!c.strides.empty()) n->setAttr("strides", c.strides);
  if (!c.pads.empty()) n->setAttr("pads", c.pads);
  if (!c.dilations.empty()) n->setAttr("dilations", c.dilations);
  if (!c.autoPad.empty()) n->setAttr("auto_pad", c.autoPad);
  if (fused) {
    n->setAttr("activation", activation);
    if (!params.empty()) n->setAttr("activation_params", params);
  }
  n->setSchema(OpRegistry::builtin().lookup(n->domain(), n->opType()));
  for (Value* v : operands) n->addInput(v);
  g.addOutput(n->addOutput("y"));
  return {std::move(model), std::move(inputs)};
}

/// Runs the model on the JIT and the reference interpreter and compares within 1e-5; returns
/// the number of generated kernels.
size_t expectSame(const Model& model, const std::vector<Tensor>& inputs, int threads) {
  auto jit = JitRuntime::compile(model, {.threads = threads});
  EXPECT_TRUE(jit) << (jit ? "" : jit.status().str());
  if (!jit) return 0;
  for (const auto& f : (*jit)->stats().fallbacks) ADD_FAILURE() << "fallback: " << f.reason;
  auto got = (*jit)->run(inputs);
  auto want = reference::runModel(model, inputs);
  EXPECT_TRUE(got) << (got ? "" : got.status().str());
  EXPECT_TRUE(want) << (want ? "" : want.status().str());
  if (!got || !want) return 0;
  for (size_t i = 0; i < want->size(); ++i) EXPECT_EQ(testing::compareTensors((*got)[i], (*want)[i], 1e-5), "");
  return (*jit)->stats().generatedKernels;
}

std::string caseText(const ConvCase& c) {
  return "x " + testing::dimsText(c.x) + " w " + testing::dimsText(c.w) + " group " + std::to_string(c.group);
}

/// Every case runs on the generated kernel and matches the reference.
void expectGenerated(const std::vector<ConvCase>& cases, uint32_t seed) {
  for (const ConvCase& c : cases) {
    auto [model, inputs] = convModel(c, seed += 3);
    EXPECT_EQ(expectSame(model, inputs, c.threads), 1u) << caseText(c);
  }
}

TEST(JitGroupedConv, DepthwiseWindows) {
  const std::vector<ConvCase> cases = {
      {{1, 8, 13, 11}, {8, 1, 3, 3}, 8, {1, 1}, {1, 1, 1, 1}},
      {{2, 6, 15, 17}, {6, 1, 5, 5}, 6, {2, 2}, {2, 1, 2, 3}, {}, "", true, 2},
      {{1, 5, 12, 9}, {5, 1, 3, 3}, 5, {1, 1}, {2, 2, 2, 2}, {2, 2}},
      {{1, 4, 14, 14}, {4, 1, 7, 7}, 4, {1, 1}, {3, 3, 3, 3}, {}, "", false},
      {{1, 4, 11, 11}, {4, 1, 3, 3}, 4, {3, 3}, {1, 1, 1, 1}},
      {{1, 3, 10, 19}, {3, 1, 3, 5}, 3, {1, 2}, {0, 2, 1, 0}, {1, 2}},
      {{1, 4, 10, 9}, {4, 1, 3, 3}, 4, {2, 2}, {}, {}, "SAME_UPPER"},
      {{1, 4, 9, 10}, {4, 1, 4, 4}, 4, {1, 1}, {}, {}, "SAME_LOWER"},
      {{1, 4, 9, 10}, {4, 1, 3, 3}, 4, {}, {}, {}, "VALID"},
      // Size-1 dims, windows wider than the input, padding only on one side.
      {{1, 4, 1, 1}, {4, 1, 1, 1}, 4},
      {{1, 4, 1, 9}, {4, 1, 1, 3}, 4, {1, 1}, {0, 1, 0, 1}},
      {{1, 2, 3, 3}, {2, 1, 5, 5}, 2, {1, 1}, {2, 2, 2, 2}},
      {{1, 2, 4, 4}, {2, 1, 3, 3}, 2, {1, 1}, {4, 0, 0, 4}},
      {{1, 3, 21, 23}, {3, 1, 3, 3}, 3, {2, 2}, {1, 1, 1, 1}, {}, "", true, 3},
  };
  expectGenerated(cases, 1000);
}

TEST(JitGroupedConv, MultipliersAndGroups) {
  const std::vector<ConvCase> cases = {
      {{1, 3, 9, 9}, {6, 1, 3, 3}, 3, {1, 1}, {1, 1, 1, 1}},          // depthwise, multiplier 2
      {{2, 3, 8, 7}, {9, 1, 3, 3}, 3, {2, 2}, {1, 1, 1, 1}, {}, "", true, 2},  // multiplier 3
      {{2, 6, 10, 8}, {8, 3, 3, 3}, 2, {1, 1}, {1, 1, 1, 1}},          // group 2, 3 channels each
      {{1, 8, 7, 9}, {12, 2, 3, 3}, 4, {2, 2}, {1, 0, 1, 2}, {}, "", false, 3},
      {{1, 16, 6, 6}, {16, 4, 1, 1}, 4},                              // grouped pointwise
      {{2, 12, 11, 5}, {8, 3, 5, 3}, 4, {1, 1}, {2, 1, 2, 1}, {2, 1}},
  };
  expectGenerated(cases, 2000);
}

TEST(JitGroupedConv, OneDimensional) {
  const std::vector<ConvCase> cases = {
      {{2, 6, 17}, {6, 1, 5}, 6, {2}, {2, 2}},
      {{1, 4, 12}, {4, 2, 3}, 2, {1}, {0, 0}, {3}},
      {{1, 4, 1}, {8, 1, 1}, 4},
      {{1, 4, 10}, {4, 1, 3}, 4, {2}, {}, {}, "SAME_UPPER", false, 2},
  };
  expectGenerated(cases, 3000);
}

TEST(JitGroupedConv, FusedConvActivationsAndResidual) {
  const ConvCase c{{2, 6, 9, 10}, {6, 1, 3, 3}, 6, {1, 1}, {1, 1, 1, 1}};
  const std::vector<std::pair<std::string, std::vector<float>>> activations = {
      {"", {}}, {"Relu", {}}, {"Clip", {0.f, 6.f}}, {"Clip", {-INFINITY, 0.5f}}, {"HardSwish", {}},
      {"Sigmoid", {}}, {"Silu", {}}, {"LeakyRelu", {0.2f}}};
  uint32_t seed = 4000;
  for (bool residual : {false, true}) {
    for (const auto& [act, params] : activations) {
      if (act.empty() && !residual) continue;
      auto [model, inputs] = convModel(c, seed += 3, true, act, params, residual);
      if (residual) {
        Graph& g = *model.graph;
        Node* conv = *g.nodes().begin();
        conv->addInput(g.addInput("z", f32({2, 6, 9, 10})));
        inputs.push_back(randomF32({2, 6, 9, 10}, seed + 2));
      }
      EXPECT_EQ(expectSame(model, inputs, 2), 1u) << act << (residual ? " + residual" : "");
    }
  }
}

}  // namespace
}  // namespace kiln::llvmjit
