// Runs the generated single-op cases (tests/reference/op_cases*.py, expected outputs computed
// by ONNX Runtime) through the JIT runtime, so every op with generated code is judged directly
// against ONNX Runtime over the op library's variants (odd sizes, broadcasting, dtypes).
// Small integer inputs (axes, shapes) become constants first, as they are in real models, so
// ops whose generated code needs constant axes get it. Skipped unless KILN_OP_CASES_DIR is set.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/llvm/runtime.h"
#include "ir/op_registry.h"
#include "tests/reference/case_compare.h"
#include "tests/reference/case_json.h"

namespace kiln::llvmjit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::caseAttribute;
using testing::loadCaseTensor;

struct CaseResult {
  std::string failure;
  size_t generated = 0;
  std::vector<std::string> ops;
};

CaseResult runCase(const fs::path& dir) {
  CaseResult result;
  json spec;
  std::ifstream(dir / "case.json") >> spec;
  Model model;
  model.sourcePath = spec.at("name").get<std::string>();
  Graph& graph = *model.graph;
  std::map<std::string, Value*> values;
  std::vector<Tensor> inputs;
  for (const json& in : spec.at("inputs")) {
    Tensor t = loadCaseTensor(dir, in);
    if (isInteger(t.dtype()) && t.rank() <= 1 && t.numElements() <= 8) {
      Node* c = graph.createNode("", "Constant", {});
      c->setName(in.at("name").get<std::string>() + "_const");
      c->setAttr("value", t);
      values[in.at("name")] = c->addOutput(in.at("name"), Type::tensor(t.dtype(), Shape(std::vector<Dim>(t.dims().begin(), t.dims().end()))));
      continue;
    }
    std::vector<Dim> dims(t.dims().begin(), t.dims().end());
    values[in.at("name")] = graph.addInput(in.at("name"), Type::tensor(t.dtype(), Shape(dims)));
    inputs.push_back(std::move(t));
  }
  for (const json& n : spec.at("nodes")) {
    std::vector<Value*> operands;
    for (const std::string name : n.at("inputs")) operands.push_back(name.empty() ? nullptr : values.at(name));
    Node* node = graph.createNode(n.at("domain"), n.at("op"), operands);
    node->setName(n.at("name"));
    node->setSchema(OpRegistry::builtin().lookup(node->domain(), node->opType()));
    for (const auto& [name, a] : n.at("attrs").items()) node->setAttr(name, caseAttribute(a));
    for (const std::string name : n.at("outputs"))
      if (Value* v = node->addOutput(name)) values[name] = v;
    result.ops.push_back(node->opType());
  }
  for (const json& out : spec.at("outputs")) graph.addOutput(values.at(out.at("name")));

  auto runtime = JitRuntime::compile(model);
  if (!runtime) {
    result.failure = runtime.status().str();
    return result;
  }
  result.generated = (*runtime)->stats().generatedKernels;
  auto outputs = (*runtime)->run(inputs);
  if (!outputs) {
    result.failure = outputs.status().str();
    return result;
  }
  const double tol = spec.at("tol").is_null() ? 0.0 : spec.at("tol").get<double>();
  for (size_t i = 0; i < spec.at("outputs").size(); ++i) {
    const json& out = spec.at("outputs")[i];
    std::string why = testing::compareTensors((*outputs)[i], loadCaseTensor(dir, out), tol);
    if (!why.empty()) result.failure += out.at("name").get<std::string>() + ": " + why + "; ";
  }
  return result;
}

/// Whether any node of the case has a code generator (the others only exercise the fallback
/// path, which the reference tests cover).
bool hasGeneratedOp(const fs::path& dir) {
  json spec;
  std::ifstream(dir / "case.json") >> spec;
  for (const json& n : spec.at("nodes"))
    if (hasCodeGenerator(n.at("domain"), n.at("op"))) return true;
  return false;
}

void runFolder(const fs::path& root) {
  json index;
  std::ifstream indexFile(root / "index.json");
  ASSERT_TRUE(indexFile) << "no index.json in " << root;
  indexFile >> index;
  const char* filter = std::getenv("KILN_OP_CASES_FILTER");
  int ran = 0, generated = 0;
  for (const std::string name : index.at("cases")) {
    if (filter && name.find(filter) == std::string::npos) continue;
    if (!fs::exists(root / name / "case.json") || !hasGeneratedOp(root / name)) continue;
    ++ran;
    CaseResult r = runCase(root / name);
    if (r.generated > 0) ++generated;
    if (!r.failure.empty())
      ADD_FAILURE() << "case " << name << (r.generated ? " (generated code)" : " (reference fallback)") << ": " << r.failure;
  }
  std::printf("op cases in %s: %d run, %d with generated kernels\n", root.c_str(), ran, generated);
  EXPECT_GT(generated, 0);
}

TEST(JitOpCases, MatchOnnxRuntime) {
  const char* root = std::getenv("KILN_OP_CASES_DIR");
  if (!root || !*root) GTEST_SKIP() << "KILN_OP_CASES_DIR is not set (generate with tests/reference/op_cases.py)";
  runFolder(root);
}

}  // namespace
}  // namespace kiln::llvmjit
