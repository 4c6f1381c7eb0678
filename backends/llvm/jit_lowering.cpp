// Lowering for code generation: in the JIT's own copy of the graph (also what a model library
// stores), nodes that have no kernel generator are rewritten into standard ops that have one,
// when the rewrite is exact:
//   - kiln-domain fused ops other than FusedElementwise and grouped FusedConv become their
//     expansion (ir/kiln_expand.h, the definition the reference kernels run): a dense
//     FusedConv is Conv, Add and its activation, each generated;
//   - Split with static part sizes becomes one Slice per part;
//   - CastLike becomes Cast to the second operand's element type.
// Anything else keeps its node and runs on its reference kernel, listed as a fallback.

#include "backends/llvm/jit_lowering.h"

#include <numeric>

#include "ir/kiln_expand.h"
#include "ir/shape_inference.h"

namespace kiln::llvmjit {
namespace {

using opset::Builder;

bool lowersByExpansion(const Node& n) {
  if (!hasKilnExpansion(n) || n.opType() == "FusedElementwise") return false;
  return !(n.opType() == "FusedConv" && n.intAttr("group", 1) != 1);
}

/// Part i of Split is Slice [offset_i, offset_i + size_i) on the axis, with every size static.
Status lowerSplit(Node* n, opset::NameGen& names) {
  const auto rank = opset::knownRank(n->input(0));
  if (!rank) return Status::ok();
  int64_t axis = n->intAttr("axis", 0);
  if (axis < 0) axis += *rank;
  if (axis < 0 || axis >= *rank) return Status::ok();
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < n->numOutputs(); ++i) {
    const Value* out = n->output(i);
    if (!out || !out->shape().isRanked() || !out->shape()[static_cast<size_t>(axis)].isStatic()) return Status::ok();
    sizes.push_back(out->shape()[static_cast<size_t>(axis)].value());
  }
  Builder b(names, n);
  Value* axes = b.int64s({axis}, "axes");
  std::vector<Value*> parts;
  std::vector<Node*> created;
  int64_t offset = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    Value* starts = b.int64s({offset}, "start");
    Value* ends = b.int64s({offset + sizes[i]}, "end");
    parts.push_back(b.op("Slice", {n->input(0), starts, ends, axes}, "part"));
    offset += sizes[i];
  }
  created = b.created();
  opset::replaceNodeWith(n, parts);
  for (Node* c : created) KILN_RETURN_IF_ERROR(inferNodeShapes(*c));
  return Status::ok();
}

Status lowerCastLike(Node* n) {
  const DType to = opset::knownDType(n->input(1));
  if (to == DType::Undefined) return Status::ok();
  Node* cast = opset::rebuildNode(n, "Cast", {n->input(0)}, 1);
  cast->setAttr("to", Attribute(static_cast<int64_t>(dtypeToOnnx(to))));
  return inferNodeShapes(*cast);
}

Status lowerGraph(Graph& g, opset::NameGen& names) {
  std::vector<Node*> snapshot(g.nodes().begin(), g.nodes().end());
  for (Node* n : snapshot) {
    for (Graph* sub : n->subgraphs()) KILN_RETURN_IF_ERROR(lowerGraph(*sub, names));
    if (lowersByExpansion(*n)) {
      // An expansion the node's types do not allow (a non-float input) leaves the node as is.
      if (!isFloat(opset::knownDType(n->input(0)))) continue;
      KILN_RETURN_IF_ERROR(expandKilnNode(n, names));
    } else if (n->domain().empty() && n->opType() == "Split") {
      KILN_RETURN_IF_ERROR(lowerSplit(n, names));
    } else if (n->domain().empty() && n->opType() == "CastLike") {
      KILN_RETURN_IF_ERROR(lowerCastLike(n));
    }
  }
  return Status::ok();
}

}  // namespace

Status lowerForCodegen(Graph& graph, opset::NameGen& names) { return lowerGraph(graph, names); }

}  // namespace kiln::llvmjit
