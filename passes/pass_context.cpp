#include "passes/pass_context.h"

namespace kiln {

void Statistics::add(std::string_view pass, std::string_view counter, int64_t n) {
  auto key = std::make_pair(std::string(pass), std::string(counter));
  counters_[key] += n;
}

int64_t Statistics::get(std::string_view pass, std::string_view counter) const {
  auto it = counters_.find(std::make_pair(std::string(pass), std::string(counter)));
  return it == counters_.end() ? 0 : it->second;
}

const OpSchema* PassContext::schemaOf(const Node& node) const {
  if (node.schema()) return node.schema();
  std::string_view domain = node.domain() == "ai.onnx" ? std::string_view() : std::string_view(node.domain());
  return registry_->lookup(domain, node.opType());
}

bool PassContext::reserveConstantBytes(int64_t delta) {
  int64_t next = static_cast<int64_t>(constantBytes_) + delta;
  if (next < 0) next = 0;
  if (delta > 0 && budget_ && static_cast<uint64_t>(next) > *budget_) return false;
  constantBytes_ = static_cast<uint64_t>(next);
  return true;
}

void PassContext::warn(Diagnostic d) {
  d.severity = Severity::Warning;
  if (d.file.empty()) d.file = file_;
  warnings_.push_back(std::move(d));
}

}  // namespace kiln
