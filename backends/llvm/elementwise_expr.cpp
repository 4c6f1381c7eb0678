#include "backends/llvm/elementwise_expr.h"

#include <map>

#include "backends/llvm/scalar_ops.h"

namespace kiln::llvmjit {
namespace {

DType operandType(const Node& node) {
  // Where's data type is that of its second operand; every other op's is its first.
  const size_t i = node.domain().empty() && node.opType() == "Where" ? 1 : 0;
  const Value* v = node.input(i);
  return v && v->type().isTensor() ? v->dtype() : DType::Undefined;
}

bool checkOp(const Node& node, std::string* whyNot) {
  const Value* out = node.output(0);
  if (node.numOutputs() != 1 || !out || !out->type().isTensor()) {
    *whyNot = "not a single-output tensor op";
    return false;
  }
  // Operands share one dtype (Where's condition aside): mixed ones (Pow with an integer
  // exponent) stay with the reference kernel.
  const bool where = node.domain().empty() && node.opType() == "Where";
  for (size_t i = where ? 1 : 0; i < node.numInputs(); ++i)
    if (node.input(i) && node.input(i)->dtype() != operandType(node)) {
      *whyNot = "operands of mixed dtypes";
      return false;
    }
  if (!hasScalarOp(node, operandType(node), out->dtype())) {
    *whyNot = "no generated code for " + node.qualifiedOp() + " on " + std::string(dtypeName(operandType(node)));
    return false;
  }
  return true;
}

}  // namespace

std::optional<ElementwiseExpr> exprFromNode(const Node& node, std::string* whyNot) {
  if (!checkOp(node, whyNot)) return std::nullopt;
  ElementwiseExpr expr;
  ExprTerm root{.op = &node, .dtype = node.output(0)->dtype()};
  for (size_t i = 0; i < node.numInputs(); ++i) {
    const Value* v = node.input(i);
    if (!v) {
      root.operands.push_back(-1);
      expr.leafTypes.push_back(DType::Undefined);
      continue;
    }
    if (!v->type().isTensor() || !CodegenContext::isSupportedDType(v->dtype())) {
      *whyNot = "operand '" + v->name() + "' has no generated dtype";
      return std::nullopt;
    }
    root.operands.push_back(static_cast<int>(expr.terms.size()));
    expr.terms.push_back({.leaf = static_cast<int>(i), .dtype = v->dtype()});
    expr.leafTypes.push_back(v->dtype());
  }
  expr.terms.push_back(root);
  return expr;
}

std::optional<ElementwiseExpr> exprFromGraph(const Graph& body, std::string* whyNot) {
  if (body.numOutputs() != 1) {
    *whyNot = "fused body has " + std::to_string(body.numOutputs()) + " outputs";
    return std::nullopt;
  }
  ElementwiseExpr expr;
  std::map<const Value*, int> termOf;
  for (size_t i = 0; i < body.numInputs(); ++i) {
    const Value* v = body.input(i);
    if (!v->type().isTensor() || !CodegenContext::isSupportedDType(v->dtype())) {
      *whyNot = "fused input '" + v->name() + "' has no generated dtype";
      return std::nullopt;
    }
    termOf[v] = static_cast<int>(expr.terms.size());
    expr.terms.push_back({.leaf = static_cast<int>(i), .dtype = v->dtype()});
    expr.leafTypes.push_back(v->dtype());
  }
  for (const Node* n : body.nodes()) {
    if (!checkOp(*n, whyNot)) return std::nullopt;
    ExprTerm t{.op = n, .dtype = n->output(0)->dtype()};
    for (const Value* v : n->inputs()) {
      if (!v) {
        t.operands.push_back(-1);
        continue;
      }
      auto it = termOf.find(v);
      if (it == termOf.end()) {
        *whyNot = "fused body reads '" + v->name() + "' from outside";
        return std::nullopt;
      }
      t.operands.push_back(it->second);
    }
    termOf[n->output(0)] = static_cast<int>(expr.terms.size());
    expr.terms.push_back(std::move(t));
  }
  auto it = termOf.find(body.output(0));
  if (it == termOf.end() || it->second != static_cast<int>(expr.terms.size()) - 1) {
    *whyNot = "fused body's output is not its last node";
    return std::nullopt;
  }
  return expr;
}

void emitElementwiseKernel(CodegenContext& cg, const std::string& name, const ElementwiseExpr& expr,
                           const BroadcastPlan& plan) {
  auto& b = cg.builder();
  const size_t numLeaves = expr.leafTypes.size();
  const size_t numGroups = plan.groups.size();
  KernelBody k = cg.beginKernel(name, numLeaves + 1, numGroups);
  llvm::Value* out = k.buffers[numLeaves];
  const DType outType = expr.terms.back().dtype;

  // Per operand, its stride along each loop axis: the product of the later loop dims it runs along.
  std::vector<std::vector<llvm::Value*>> strides(numLeaves, std::vector<llvm::Value*>(numGroups));
  for (size_t leaf = 0; leaf < numLeaves; ++leaf) {
    if (!plan.present[leaf]) continue;
    llvm::Value* s = cg.i64(1);
    for (size_t g = numGroups; g-- > 0;) {
      strides[leaf][g] = plan.full[leaf][g] ? s : cg.i64(0);
      if (plan.full[leaf][g]) s = b.CreateNSWMul(s, k.dims[g]);
    }
  }

  // One element: the terms in order, leaves loaded at their offsets.
  auto evaluate = [&](const std::vector<llvm::Value*>& leafIndex) {
    std::vector<llvm::Value*> values(expr.terms.size(), nullptr);
    for (size_t t = 0; t < expr.terms.size(); ++t) {
      const ExprTerm& term = expr.terms[t];
      if (term.leaf >= 0) {
        values[t] = cg.loadElement(k.buffers[term.leaf], leafIndex[term.leaf], term.dtype);
        continue;
      }
      std::vector<llvm::Value*> args;
      std::vector<DType> types;
      for (int o : term.operands) {
        args.push_back(o >= 0 ? values[o] : nullptr);
        types.push_back(o >= 0 ? expr.terms[o].dtype : DType::Undefined);
      }
      values[t] = emitScalarOp(cg, *term.op, args, types, term.dtype);
    }
    return values.back();
  };

  if (numGroups == 1) {
    cg.forLoop(k.begin, k.end, [&](llvm::Value* i) {
      std::vector<llvm::Value*> index(numLeaves, nullptr);
      for (size_t leaf = 0; leaf < numLeaves; ++leaf)
        if (plan.present[leaf]) index[leaf] = plan.full[leaf][0] ? i : cg.i64(0);
      cg.storeElement(evaluate(index), out, i, outType);
    });
  } else {
    llvm::Value* inner = k.dims[numGroups - 1];
    cg.forLoop(k.begin, k.end, [&](llvm::Value* row) {
      // Offsets of this row in each operand: the row index decomposed over the outer loop dims.
      std::vector<llvm::Value*> base(numLeaves, cg.i64(0));
      llvm::Value* rest = row;
      for (size_t g = numGroups - 1; g-- > 0;) {
        llvm::Value* coord = g == 0 ? rest : b.CreateURem(rest, k.dims[g]);
        if (g > 0) rest = b.CreateUDiv(rest, k.dims[g]);
        for (size_t leaf = 0; leaf < numLeaves; ++leaf)
          if (plan.present[leaf] && plan.full[leaf][g])
            base[leaf] = b.CreateNSWAdd(base[leaf], b.CreateNSWMul(coord, strides[leaf][g]));
      }
      llvm::Value* outBase = b.CreateNSWMul(row, inner);
      cg.forLoop(cg.i64(0), inner, [&](llvm::Value* j) {
        std::vector<llvm::Value*> index(numLeaves, nullptr);
        for (size_t leaf = 0; leaf < numLeaves; ++leaf)
          if (plan.present[leaf])
            index[leaf] = plan.full[leaf][numGroups - 1] ? b.CreateNSWAdd(base[leaf], j) : base[leaf];
        cg.storeElement(evaluate(index), out, b.CreateNSWAdd(outBase, j), outType);
      }, "j");
    });
  }
  cg.finishKernel();
}

}  // namespace kiln::llvmjit
