// Launches as plain integers: `tag, fields...`, vectors as `size, elements...`. A compiled
// library stores one record per generated kernel and decodes them when it is created.

#include "backends/llvm/launch_reader.h"
#include "backends/llvm/launches.h"
#include "backends/llvm/launches_shape.h"

namespace kiln::llvmjit {
namespace {

void put(std::vector<int64_t>& out, LaunchTag tag) { out.push_back(static_cast<int64_t>(tag)); }

void putVector(std::vector<int64_t>& out, const std::vector<int64_t>& v) {
  out.push_back(static_cast<int64_t>(v.size()));
  out.insert(out.end(), v.begin(), v.end());
}

GemmLayout readLayout(LaunchReader& r) {
  GemmLayout layout;
  layout.mr = r.next();
  layout.nr = r.next();
  layout.workspaceFloats = r.next();
  if (layout.mr <= 0 || layout.nr <= 0 || layout.workspaceFloats < 0) r.bad = true;
  return layout;
}

}  // namespace

void ElementwiseLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Elementwise);
  out.push_back(static_cast<int64_t>(plan_.outRank));
  out.push_back(static_cast<int64_t>(plan_.inputRanks.size()));
  for (size_t k = 0; k < plan_.inputRanks.size(); ++k) {
    out.push_back(static_cast<int64_t>(plan_.inputRanks[k]));
    out.push_back(plan_.present[k] ? 1 : 0);
  }
  out.push_back(static_cast<int64_t>(plan_.groups.size()));
  for (size_t g = 0; g < plan_.groups.size(); ++g) {
    out.push_back(static_cast<int64_t>(plan_.groups[g].size()));
    for (size_t axis : plan_.groups[g]) out.push_back(static_cast<int64_t>(axis));
    for (size_t k = 0; k < plan_.full.size(); ++k) out.push_back(plan_.full[k][g] ? 1 : 0);
  }
}

void AxisSplitLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::AxisSplit);
  out.insert(out.end(), {static_cast<int64_t>(rank_), static_cast<int64_t>(first_), static_cast<int64_t>(last_),
                         static_cast<int64_t>(output_), static_cast<int64_t>(reducedSized_.size())});
  for (size_t operand : reducedSized_) out.push_back(static_cast<int64_t>(operand));
  out.push_back(static_cast<int64_t>(axisSized_.size()));
  for (auto [operand, axis] : axisSized_) out.insert(out.end(), {static_cast<int64_t>(operand), static_cast<int64_t>(axis)});
}

void BatchNormLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::BatchNorm);
  out.push_back(static_cast<int64_t>(rank_));
}

void MatMulLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::MatMul);
  out.insert(out.end(), {layout_.mr, layout_.nr, layout_.workspaceFloats});
}

void GemmLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Gemm);
  out.insert(out.end(), {transA_ ? 1 : 0, transB_ ? 1 : 0, layout_.mr, layout_.nr, layout_.workspaceFloats});
}

void ConvLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Conv);
  out.insert(out.end(), {layout_.mr, layout_.nr, layout_.workspaceFloats});
}

void PoolLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Pool);
  putVector(out, kernel_);
}

void CopyLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Copy);
  out.insert(out.end(), {static_cast<int64_t>(rule_.kind), rule_.axis, rule_.allowZero ? 1 : 0});
  putVector(out, rule_.values);
}

void TransposeLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Transpose);
  putVector(out, perm_);
}

void ConcatLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Concat);
  out.insert(out.end(), {static_cast<int64_t>(rank_), static_cast<int64_t>(axis_)});
}

void SliceLaunch::encode(std::vector<int64_t>& out) const {
  put(out, LaunchTag::Slice);
  out.push_back(static_cast<int64_t>(rank_));
  for (const auto* v : {&starts_, &ends_, &axes_, &steps_}) putVector(out, *v);
}

Expected<std::unique_ptr<KernelLaunch>> decodeLaunch(std::span<const int64_t>& codes, const Node& node) {
  LaunchReader r{codes};
  std::unique_ptr<KernelLaunch> launch;
  const auto tag = static_cast<LaunchTag>(r.next());
  switch (tag) {
    case LaunchTag::Elementwise: {
      BroadcastPlan plan;
      plan.outRank = r.size();
      const size_t operands = r.size();
      for (size_t k = 0; k < operands && !r.bad; ++k) {
        plan.inputRanks.push_back(r.size());
        plan.present.push_back(r.next() != 0);
      }
      plan.full.assign(operands, {});
      const size_t groups = r.size();
      for (size_t g = 0; g < groups && !r.bad; ++g) {
        std::vector<size_t> axes(r.size());
        for (size_t& a : axes) a = r.size();
        plan.groups.push_back(std::move(axes));
        for (size_t k = 0; k < operands; ++k) plan.full[k].push_back(r.next() != 0);
      }
      launch = std::make_unique<ElementwiseLaunch>(std::move(plan));
      break;
    }
    case LaunchTag::AxisSplit: {
      const size_t rank = r.size(), first = r.size(), last = r.size();
      auto output = static_cast<AxisSplitLaunch::Output>(r.next());
      auto a = std::make_unique<AxisSplitLaunch>(rank, first, last, output);
      const size_t reduced = r.size();
      for (size_t i = 0; i < reduced && !r.bad; ++i) a->requireReducedSize(r.size());
      const size_t axisSized = r.size();
      for (size_t i = 0; i < axisSized && !r.bad; ++i) {
        const size_t operand = r.size();
        a->requireAxisSize(operand, r.size());
      }
      launch = std::move(a);
      break;
    }
    case LaunchTag::BatchNorm: launch = std::make_unique<BatchNormLaunch>(r.size()); break;
    case LaunchTag::MatMul: launch = std::make_unique<MatMulLaunch>(readLayout(r)); break;
    case LaunchTag::Gemm: {
      const bool ta = r.next() != 0, tb = r.next() != 0;
      launch = std::make_unique<GemmLaunch>(ta, tb, readLayout(r));
      break;
    }
    case LaunchTag::Conv: launch = std::make_unique<ConvLaunch>(node, readLayout(r)); break;
    case LaunchTag::GroupedConv: {
      const int64_t group = r.next();
      launch = std::make_unique<GroupedConvLaunch>(node, group, r.next() != 0);
      break;
    }
    case LaunchTag::Pool: launch = std::make_unique<PoolLaunch>(node, r.vector()); break;
    case LaunchTag::Copy: {
      ReshapeRule rule;
      rule.kind = static_cast<ReshapeRule::Kind>(r.next());
      rule.axis = r.next();
      rule.allowZero = r.next() != 0;
      rule.values = r.vector();
      launch = std::make_unique<CopyLaunch>(std::move(rule));
      break;
    }
    case LaunchTag::Transpose: launch = std::make_unique<TransposeLaunch>(r.vector()); break;
    case LaunchTag::Concat: {
      const size_t rank = r.size();
      launch = std::make_unique<ConcatLaunch>(rank, r.size());
      break;
    }
    case LaunchTag::Slice: {
      const size_t rank = r.size();
      auto starts = r.vector(), ends = r.vector(), axes = r.vector(), steps = r.vector();
      launch = std::make_unique<SliceLaunch>(rank, std::move(starts), std::move(ends), std::move(axes), std::move(steps));
      break;
    }
    case LaunchTag::Recurrent: {
      const int64_t gates = r.next(), dirs = r.next();
      launch = std::make_unique<RecurrentLaunch>(gates, dirs, r.next() != 0);
      break;
    }
    case LaunchTag::Einsum: launch = std::make_unique<EinsumLaunch>(node, r.vector()); break;
    default:
      if (!r.bad && isShapeFamilyTag(tag)) launch = decodeShapeFamilyLaunch(tag, codes, node);
      else r.bad = true;
  }
  if (r.bad || !launch)
    return Status::nodeError(node.name(), node.qualifiedOp(), "stored kernel launch is malformed");
  return launch;
}

}  // namespace kiln::llvmjit
