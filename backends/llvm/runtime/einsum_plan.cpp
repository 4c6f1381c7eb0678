#include "backends/llvm/einsum_plan.h"

#include <algorithm>
#include <set>

#include "backends/reference/einsum_equation.h"

namespace kiln::llvmjit {

std::vector<int> EinsumContraction::result() const {
  std::vector<int> r = batch;
  r.insert(r.end(), m.begin(), m.end());
  r.insert(r.end(), n.begin(), n.end());
  return r;
}

size_t EinsumPlan::strideSlot(size_t i, size_t axis) const {
  size_t slot = labels.size();
  for (size_t j = 0; j < i; ++j) slot += operands[j].size();
  return slot + axis;
}

size_t EinsumPlan::dimsCount() const { return strideSlot(operands.size(), 0); }

Expected<EinsumPlan> planEinsum(const Node& node, const std::vector<int64_t>& ranks) {
  const Attribute* a = node.attr("equation");
  if (!a || a->kind() != AttrKind::String) return Status::error("Einsum has no equation");
  auto parsed = reference::parseEinsumEquation(a->s(), ranks);
  if (!parsed) return parsed.status();
  const reference::EinsumEquation& eq = *parsed;
  EinsumPlan plan;
  auto id = [&](int label) {
    auto it = std::find(plan.labels.begin(), plan.labels.end(), label);
    if (it != plan.labels.end()) return static_cast<int>(it - plan.labels.begin());
    plan.labels.push_back(label);
    return static_cast<int>(plan.labels.size() - 1);
  };
  for (const auto& term : eq.inputs) {
    std::vector<int> ids;
    for (int l : term) {
      const int i = id(l);
      if (std::find(ids.begin(), ids.end(), i) != ids.end())
        return Status::error("a label repeated within one operand (a diagonal) is not generated");
      ids.push_back(i);
    }
    plan.operands.push_back(std::move(ids));
  }
  for (int l : eq.output) plan.output.push_back(id(l));
  if (plan.operands.empty()) return Status::error("Einsum has no operands");

  std::vector<int> current = plan.operands[0];
  const size_t count = plan.operands.size();
  for (size_t i = 1; i < std::max<size_t>(count, 2); ++i) {
    const std::vector<int> other = i < count ? plan.operands[i] : std::vector<int>{};
    std::set<int> later(plan.output.begin(), plan.output.end());
    for (size_t j = i + 1; j < count; ++j) later.insert(plan.operands[j].begin(), plan.operands[j].end());
    auto in = [](const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); };
    EinsumContraction c;
    for (int l : current) {
      if (!later.count(l)) c.k.push_back(l);
      else if (in(other, l)) c.batch.push_back(l);
      else c.m.push_back(l);
    }
    for (int l : other) {
      if (in(current, l)) continue;
      (later.count(l) ? c.n : c.k).push_back(l);
    }
    current = c.result();
    plan.steps.push_back(std::move(c));
  }
  return plan;
}

}  // namespace kiln::llvmjit
