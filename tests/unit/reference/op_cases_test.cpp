// Runs every generated op case (tests/reference/op_cases.py) through the reference
// interpreter, building the IR straight from case.json (no ONNX importer involved), and
// compares with ONNX Runtime's outputs. Skipped unless KILN_OP_CASES_DIR names the folder.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/reference/interpreter.h"
#include "ir/op_registry.h"
#include "tests/reference/case_compare.h"
#include "tests/reference/case_json.h"

namespace kiln::reference {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::caseAttribute;
using testing::loadCaseTensor;

/// Builds the case graph, runs it, and returns "" or why it failed.
std::string runCase(const fs::path& dir) {
  json spec;
  std::ifstream(dir / "case.json") >> spec;
  Graph graph(spec.at("name").get<std::string>());
  std::map<std::string, Value*> values;
  std::vector<RuntimeValue> inputs;
  for (const json& in : spec.at("inputs")) {
    Tensor t = loadCaseTensor(dir, in);
    std::vector<Dim> dims(t.dims().begin(), t.dims().end());
    values[in.at("name")] = graph.addInput(in.at("name"), Type::tensor(t.dtype(), Shape(dims)));
    inputs.emplace_back(std::move(t));
  }
  std::map<std::string, DType> outputTypes;
  for (const json& out : spec.at("outputs")) outputTypes[out.at("name")] = *parseDType(out.at("dtype").get<std::string>());
  for (const json& n : spec.at("nodes")) {
    std::vector<Value*> operands;
    for (const std::string name : n.at("inputs")) operands.push_back(name.empty() ? nullptr : values.at(name));
    Node* node = graph.createNode(n.at("domain"), n.at("op"), operands);
    node->setName(n.at("name"));
    node->setSchema(OpRegistry::builtin().lookup(node->domain(), node->opType()));
    for (const auto& [name, a] : n.at("attrs").items()) node->setAttr(name, caseAttribute(a));
    for (const std::string name : n.at("outputs")) {
      // Graph outputs carry the type ORT produced, so the interpreter's dtype check runs too.
      Type type = outputTypes.count(name) ? Type::tensor(outputTypes[name]) : Type();
      Value* v = node->addOutput(name, type);
      if (v) values[name] = v;
    }
  }
  for (const json& out : spec.at("outputs")) graph.addOutput(values.at(out.at("name")));

  Interpreter interpreter;
  auto results = interpreter.run(graph, inputs);
  if (!results) return results.status().str();
  const double tol = spec.at("tol").is_null() ? 0.0 : spec.at("tol").get<double>();
  std::string failures;
  for (size_t i = 0; i < spec.at("outputs").size(); ++i) {
    const json& out = spec.at("outputs")[i];
    const Tensor* actual = std::get_if<Tensor>(&(*results)[i]);
    if (!actual) return "output " + out.at("name").get<std::string>() + " is not a tensor";
    std::string why = testing::compareTensors(*actual, loadCaseTensor(dir, out), tol);
    if (!why.empty()) failures += (failures.empty() ? "" : "; ") + out.at("name").get<std::string>() + ": " + why;
  }
  return failures;
}

TEST(OpCases, ReferenceMatchesOnnxRuntime) {
  const char* root = std::getenv("KILN_OP_CASES_DIR");
  if (!root || !*root) GTEST_SKIP() << "KILN_OP_CASES_DIR is not set (generate with tests/reference/op_cases.py)";
  json index;
  std::ifstream indexFile(fs::path(root) / "index.json");
  ASSERT_TRUE(indexFile) << "no index.json in " << root;
  indexFile >> index;
  const char* filter = std::getenv("KILN_OP_CASES_FILTER");
  int ran = 0, failed = 0;
  for (const std::string name : index.at("cases")) {
    if (filter && name.find(filter) == std::string::npos) continue;
    ++ran;
    std::string why = runCase(fs::path(root) / name);
    if (!why.empty()) {
      ++failed;
      ADD_FAILURE() << "case " << name << ": " << why;
    }
  }
  std::printf("op cases: %d run, %d failed\n", ran, failed);
  EXPECT_GT(ran, 0);
}

}  // namespace
}  // namespace kiln::reference
