// The generated op cases (tests/reference/op_cases.py) end to end: import each model.onnx
// with the ONNX importer, read in.npz, run the reference interpreter, compare every output
// with ONNX Runtime's ort_out.npz. Skipped unless KILN_OP_CASES_DIR names the case folder.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/reference/interpreter.h"
#include "frontend/onnx/importer.h"
#include "tests/reference/case_compare.h"
#include "tools/lib/npy.h"

namespace kiln::tools {
namespace {

namespace fs = std::filesystem;

std::string runCase(const fs::path& dir, double tol) {
  auto model = onnx_frontend::importModelFile((dir / "model.onnx").string());
  if (!model) return "import: " + model.status().str();
  auto inputs = readNpz((dir / "in.npz").string());
  if (!inputs) return inputs.status().str();
  auto expected = readNpz((dir / "ort_out.npz").string());
  if (!expected) return expected.status().str();

  const Graph& graph = *model->graph;
  std::vector<reference::RuntimeValue> args;
  for (size_t i = 0; i < graph.numInputs(); ++i) {
    const NamedTensor* found = nullptr;
    for (const auto& a : *inputs)
      if (a.name == graph.input(i)->name()) found = &a;
    if (!found) return "in.npz has no input '" + graph.input(i)->name() + "'";
    args.emplace_back(found->tensor);
  }
  reference::Interpreter interpreter;
  auto results = interpreter.run(graph, args);
  if (!results) return results.status().str();
  std::string failures;
  for (size_t i = 0; i < graph.numOutputs(); ++i) {
    const std::string& name = graph.output(i)->name();
    const NamedTensor* want = nullptr;
    for (const auto& e : *expected)
      if (e.name == name) want = &e;
    if (!want) return "ort_out.npz has no output '" + name + "'";
    const Tensor* got = std::get_if<Tensor>(&(*results)[i]);
    if (!got) return "output '" + name + "' is not a tensor";
    std::string why = testing::compareTensors(*got, want->tensor, tol);
    if (!why.empty()) failures += (failures.empty() ? "" : "; ") + name + ": " + why;
  }
  return failures;
}

TEST(ReferenceVsOrt, ImportedOpCasesMatch) {
  const char* root = std::getenv("KILN_OP_CASES_DIR");
  if (!root || !*root) GTEST_SKIP() << "KILN_OP_CASES_DIR is not set (generate with tests/reference/op_cases.py)";
  nlohmann::json index;
  std::ifstream indexFile(fs::path(root) / "index.json");
  ASSERT_TRUE(indexFile) << "no index.json in " << root;
  indexFile >> index;
  const char* filter = std::getenv("KILN_OP_CASES_FILTER");
  int ran = 0, failed = 0;
  for (const std::string name : index.at("cases")) {
    if (filter && name.find(filter) == std::string::npos) continue;
    ++ran;
    nlohmann::json spec;
    std::ifstream(fs::path(root) / name / "case.json") >> spec;
    const double tol = spec.at("tol").is_null() ? 0.0 : spec.at("tol").get<double>();
    std::string why = runCase(fs::path(root) / name, tol);
    if (!why.empty()) {
      ++failed;
      ADD_FAILURE() << "case " << name << ": " << why;
    }
  }
  std::printf("imported op cases: %d run, %d failed\n", ran, failed);
  EXPECT_GT(ran, 0);
}

}  // namespace
}  // namespace kiln::tools
