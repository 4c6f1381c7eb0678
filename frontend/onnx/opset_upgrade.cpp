#include "frontend/onnx/opset_upgrade.h"

#include <algorithm>
#include <map>

#include "frontend/onnx/upgrade_steps.h"
#include "ir/op_versions.h"

namespace kiln::onnx_frontend {

// ---- helpers shared by the family files ---------------------------------------------------

void setInputAt(Node* node, size_t index, Value* v) {
  while (node->numInputs() <= index) node->addInput(nullptr);
  node->setInput(index, v);
}

Status attrToInt64Input(UpgradeContext& ctx, Node* node, std::string_view name, size_t index) {
  const Attribute* a = opset::rawAttr(*node, name);
  if (!a) return Status::ok();
  if (!a->refAttrName().empty())
    return Status::error("attribute '" + std::string(name) + "' refers to a function attribute; it cannot become an input");
  auto values = opset::rawInts(*node, name);
  if (!values) return Status::error("attribute '" + std::string(name) + "' is not an integer list");
  opset::Builder b(ctx.names, node);
  setInputAt(node, index, b.int64s(*values, std::string(name)));
  node->attributes().erase(name);
  return Status::ok();
}

Value* scalarLike(opset::Builder& b, double value, Value* like, std::string_view hint) {
  DType dtype = opset::knownDType(like);
  if (dtype != DType::Undefined)
    if (auto t = opset::numericTensor(dtype, {}, std::span<const double>(&value, 1))) return b.constant(std::move(*t), hint);
  // The element type is not known yet: CastLike gives the constant the type of `like` at run
  // time, which is exactly what the old attribute meant.
  Value* f = b.constant(opset::floatTensor({static_cast<float>(value)}, true), std::string(hint) + "_f32");
  return b.op("CastLike", {f, like}, hint);
}

const std::vector<UpgradeStep>& allUpgradeSteps() {
  static const std::vector<UpgradeStep> steps = [] {
    std::vector<UpgradeStep> all;
    for (auto family : {elementwiseUpgrades, shapeUpgrades, reduceUpgrades, nnUpgrades, resizeUpgrades})
      for (auto& s : family()) all.push_back(std::move(s));
    std::stable_sort(all.begin(), all.end(), [](const UpgradeStep& a, const UpgradeStep& b) {
      return a.op != b.op ? a.op < b.op : a.version < b.version;
    });
    return all;
  }();
  return steps;
}

namespace {

class Upgrader {
 public:
  Upgrader(opset::NameGen& names, std::vector<Diagnostic>& errors) : names_(names), errors_(errors) {
    for (const auto& s : allUpgradeSteps()) byOp_[s.op].push_back(&s);
  }

  void upgradeGraph(Graph& g, int64_t opset) {
    std::vector<Node*> snapshot(g.nodes().begin(), g.nodes().end());
    for (Node* n : snapshot) {
      if (isDefaultDomain(n->domain())) upgradeNode(n, opset);
      for (Graph* sub : n->subgraphs()) upgradeGraph(*sub, opset);
    }
  }

 private:
  void fail(const Node& n, std::string message) {
    errors_.push_back({.node = n.name(), .op = n.qualifiedOp(), .message = std::move(message)});
  }

  void upgradeNode(Node*& node, int64_t opset) {
    std::string op = node->opType();
    if (!isVersionedOp(op)) return;  // not an ONNX op kiln knows: kept as written
    int version = sinceVersionAt(op, opset);
    if (version == 0) {
      int removed = opRemovedAt(op);
      fail(*node, removed && opset >= removed
                      ? "removed from ONNX at opset " + std::to_string(removed) + " (the model declares opset " + std::to_string(opset) + ")"
                      : "does not exist at opset " + std::to_string(opset) + " (introduced at opset " + std::to_string(firstVersion(op)) + ")");
      return;
    }
    UpgradeContext ctx{names_, opset};
    for (bool again = true; again;) {
      again = false;
      auto it = byOp_.find(op);
      if (it == byOp_.end()) break;
      for (const UpgradeStep* step : it->second) {
        if (step->version <= version || step->version > kCanonicalOpset) continue;
        Status s = step->fn(ctx, node);
        if (!s.isOk()) {
          fail(*node, s.diagnostic().message + " [" + step->rule + "]");
          return;
        }
        version = step->version;
        if (node->opType() != op) {  // replaced by another op: continue along its history
          op = node->opType();
          again = true;
          break;
        }
      }
    }
    if (canonicalVersion(op) == 0) fail(*node, "removed from ONNX at opset " + std::to_string(opRemovedAt(op)) + " and kiln has no replacement for it");
  }

  opset::NameGen& names_;
  std::vector<Diagnostic>& errors_;
  std::map<std::string, std::vector<const UpgradeStep*>, std::less<>> byOp_;
};

std::optional<int64_t> defaultOpset(const std::vector<OpsetImport>& opsets) {
  for (const auto& o : opsets)
    if (isDefaultDomain(o.domain)) return o.version;
  return std::nullopt;
}

Status combine(std::vector<Diagnostic> errors, const std::string& file) {
  if (errors.empty()) return Status::ok();
  if (errors.size() == 1) return Status(std::move(errors.front())).inFile(file);
  std::string message = std::to_string(errors.size()) + " nodes cannot be upgraded to kiln's canonical form:";
  for (const auto& d : errors) message += " node '" + d.node + "' (" + d.op + "): " + d.message + ";";
  message.pop_back();
  return Status::error(std::move(message)).inFile(file);
}

}  // namespace

Status upgradeToCanonical(Model& model) {
  int64_t source = model.sourceOpset;
  if (source == 0) source = defaultOpset(model.opsets).value_or(0);
  if (source == 0) {
    bool usesDefault = false;
    model.graph->walk([&](Node* n) { usesDefault = usesDefault || isDefaultDomain(n->domain()); });
    if (usesDefault) return Status::error("the model uses ONNX operators but imports no default-domain opset").inFile(model.sourcePath);
    return Status::ok();
  }
  if (source < kMinOpset || source > kCanonicalOpset)
    return Status::error("default-domain opset " + std::to_string(source) + " is outside the opsets kiln reads (" +
                         std::to_string(kMinOpset) + ".." + std::to_string(kCanonicalOpset) + ")")
        .inFile(model.sourcePath);
  model.sourceOpset = source;

  opset::NameGen names(model);
  std::vector<Diagnostic> errors;
  Upgrader upgrader(names, errors);
  upgrader.upgradeGraph(*model.graph, source);
  for (auto& f : model.functions) {
    if (!f.body) continue;
    int64_t fopset = defaultOpset(f.opsets).value_or(source);
    upgrader.upgradeGraph(*f.body, fopset);
    for (auto& o : f.opsets)
      if (isDefaultDomain(o.domain)) o.version = kCanonicalOpset;
  }
  KILN_RETURN_IF_ERROR(combine(std::move(errors), model.sourcePath));
  std::erase_if(model.opsets, [](const OpsetImport& o) { return o.domain == "ai.onnx"; });
  model.setOpsetVersion("", kCanonicalOpset);
  return Status::ok();
}

}  // namespace kiln::onnx_frontend
