#include "tools/lib/compile_summary.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "ir/atomic_file.h"
#include "tools/lib/validation_run.h"

namespace kiln::tools {

std::string summaryPathFor(const std::string& output) {
  return std::filesystem::path(output).replace_extension(".summary.json").string();
}

Status writeCompileSummary(const std::string& path, const CompileSummary& s) {
  using nlohmann::ordered_json;
  ordered_json metadata = ordered_json::object();
  for (const auto& [key, value] : s.metadata) metadata[key] = value;
  ordered_json validation;
  if (!s.validationEnabled) {
    validation = {{"verdict", "DISABLED"}};
  } else if (!s.validation) {
    validation = {{"verdict", "NOT RUN"}, {"reason", s.validationNote}};
  } else {
    const ValidationResult& r = s.validation->result;
    ordered_json outputs = ordered_json::array();
    double maxDiff = 0;
    for (const auto& o : r.outputs) {
      maxDiff = std::max(maxDiff, o.maxAbsDiff);
      outputs.push_back({{"name", o.name}, {"verdict", verdictName(o.verdict)}, {"max_abs_diff", o.maxAbsDiff},
                         {"mse", o.mse}, {"cosine_similarity", o.cosine}, {"problems", o.problems}});
    }
    validation = {{"verdict", verdictName(r.verdict)}, {"reference_runner", s.validation->referenceRunner},
                  {"candidate_runner", s.validation->candidateRunner},
                  {"max_abs_diff", maxDiff}, {"problems", r.problems}, {"outputs", outputs}};
  }
  ordered_json json = {{"source", s.source},
                       {"source_format", isTorchScriptPath(s.source) ? "torchscript"
                                         : std::filesystem::path(s.source).extension() == ".kir" ? "kir" : "onnx"},
                       {"output", s.output},
                       {"target", s.target},
                       {"opset", s.opset ? ordered_json(*s.opset) : ordered_json(nullptr)},
                       {"pipeline", s.pipeline},
                       {"metadata", metadata},
                       {"validation", validation}};
  return writeFileAtomically(path, json.dump(2) + "\n");
}

}  // namespace kiln::tools
