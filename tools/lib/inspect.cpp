#include "tools/lib/inspect.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

namespace kiln::tools {
namespace {

/// Facts gathered once and rendered twice (text and JSON), so the two cannot disagree.
struct ModelFacts {
  std::map<std::string, int64_t> opHistogram;  ///< qualified op -> count, subgraphs included
  int64_t nodeCount = 0;
  int64_t subgraphCount = 0;
  int64_t parameterCount = 0;  ///< elements of all constant tensors
  uint64_t parameterBytes = 0;
  int64_t constantCount = 0;
};

ModelFacts gatherFacts(const Model& model) {
  ModelFacts f;
  model.graph->walk([&](Node* n) {
    ++f.nodeCount;
    f.subgraphCount += static_cast<int64_t>(n->subgraphs().size());
    if (n->domain().empty() && n->opType() == "Constant") {
      if (const Attribute* v = n->attr("value"); v && v->kind() == AttrKind::Tensor) {
        ++f.constantCount;
        f.parameterCount += v->t().numElements();
        f.parameterBytes += v->t().byteSize();
      }
      return;  // constants are weights, not ops
    }
    ++f.opHistogram[n->qualifiedOp()];
  });
  for (const auto& [input, value] : model.graph->inputDefaults()) {
    f.parameterCount += value.numElements();
    f.parameterBytes += value.byteSize();
  }
  return f;
}

std::string opsetText(const Model& m) {
  std::string out;
  for (const auto& o : m.opsets) {
    int64_t v = o.domain.empty() && m.sourceOpset ? m.sourceOpset : o.version;
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", o.domain.empty() ? "ai.onnx" : o.domain, v);
  }
  return out;
}

std::string signatureLine(const Value* v) {
  return fmt::format("  {:<24} {}", v->name(), v->type().str());
}

}  // namespace

std::string inspectText(const Model& m) {
  ModelFacts f = gatherFacts(m);
  std::string out;
  auto line = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) out += fmt::format("{:<13}{}\n", key, value);
  };
  line("model", m.sourcePath);
  line("producer", (m.producerName + " " + m.producerVersion));
  line("ir version", std::to_string(m.irVersion));
  line("opsets", opsetText(m));
  line("graph", m.graph->name());
  line("doc", m.docString);

  out += fmt::format("inputs ({}):\n", m.graph->numInputs());
  for (Value* v : m.graph->inputs()) out += signatureLine(v) + "\n";
  out += fmt::format("outputs ({}):\n", m.graph->numOutputs());
  for (Value* v : m.graph->outputs()) out += signatureLine(v) + "\n";

  if (!m.metadata.empty()) {
    out += fmt::format("metadata ({}):\n", m.metadata.size());
    for (const auto& [k, v] : m.metadata) out += fmt::format("  {} = {}\n", k, v);
  }
  out += fmt::format("parameters   {} in {} tensors, {}\n", f.parameterCount, f.constantCount,
                     formatBytes(f.parameterBytes));
  out += fmt::format("nodes        {} ({} op kinds, {} subgraphs)\n", f.nodeCount - f.constantCount,
                     f.opHistogram.size(), f.subgraphCount);
  if (!m.functions.empty()) {
    out += fmt::format("functions ({}):\n", m.functions.size());
    for (const auto& fn : m.functions) out += fmt::format("  {}.{}\n", fn.domain, fn.name);
  }

  // Most frequent ops first, ties by name: the order a person scans for.
  std::vector<std::pair<std::string, int64_t>> ops(f.opHistogram.begin(), f.opHistogram.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  out += "ops:\n";
  for (const auto& [op, count] : ops) out += fmt::format("  {:<28}{:>6}\n", op, count);
  return out;
}

std::string inspectJson(const Model& m, bool values) {
  ModelFacts f = gatherFacts(m);
  using Json = nlohmann::ordered_json;
  auto valueJson = [](const Value* v) {
    Json dims = Json::array();
    const Type& t = v->type();
    if (t.isTensor() && t.shape().isRanked())
      for (const Dim& d : t.shape().dims()) {
        if (d.isStatic()) dims.push_back(d.value());
        else if (d.isSymbolic()) dims.push_back(d.str());
        else dims.push_back(nullptr);
      }
    Json j{{"name", v->name()}, {"type", t.str()},
           {"dtype", t.isTensor() ? std::string(dtypeName(t.dtype())) : std::string("?")}};
    j["shape"] = t.isTensor() && t.shape().isRanked() ? dims : Json(nullptr);
    return j;
  };

  Json j;
  j["format"] = "kiln-inspect-v1";
  j["model"] = m.sourcePath;
  j["producer"] = {{"name", m.producerName}, {"version", m.producerVersion}};
  j["ir_version"] = m.irVersion;
  j["domain"] = m.domain;
  j["model_version"] = m.modelVersion;
  j["doc_string"] = m.docString;
  Json opsets = Json::object();
  for (const auto& o : m.opsets)
    opsets[o.domain.empty() ? "ai.onnx" : o.domain] = o.domain.empty() && m.sourceOpset ? m.sourceOpset : o.version;
  j["opsets"] = opsets;
  j["graph"] = m.graph->name();
  j["inputs"] = Json::array();
  for (Value* v : m.graph->inputs()) j["inputs"].push_back(valueJson(v));
  j["outputs"] = Json::array();
  for (Value* v : m.graph->outputs()) j["outputs"].push_back(valueJson(v));
  Json meta = Json::object();
  for (const auto& [k, v] : m.metadata) meta[k] = v;
  j["metadata_props"] = meta;
  j["parameters"] = {{"count", f.parameterCount}, {"tensors", f.constantCount}, {"bytes", f.parameterBytes}};
  j["node_count"] = f.nodeCount - f.constantCount;
  j["subgraph_count"] = f.subgraphCount;
  Json hist = Json::object();
  for (const auto& [op, count] : f.opHistogram) hist[op] = count;
  j["op_histogram"] = hist;
  Json fns = Json::array();
  for (const auto& fn : m.functions) fns.push_back(fn.domain + "." + fn.name);
  j["functions"] = fns;
  if (values) {
    Json all = Json::array();
    for (const Node* n : m.graph->nodes())
      for (size_t i = 0; i < n->numOutputs(); ++i)
        if (const Value* v = n->output(i)) {
          Json e = valueJson(v);
          e["op"] = n->qualifiedOp();
          all.push_back(std::move(e));
        }
    j["values"] = std::move(all);
  }
  return j.dump(2) + "\n";
}

}  // namespace kiln::tools
