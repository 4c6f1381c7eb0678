// Reductions over a contiguous run of axes (ReduceSum/Mean/Max/Min/Prod/SumSquare/L1/L2,
// GlobalAveragePool, GlobalMaxPool) as one pass over [outer, reduced, inner]: with inner == 1
// a register accumulator per output (a vectorizable reduction loop), otherwise rows of the
// output accumulated in place so the inner loop runs along contiguous memory.

#include <algorithm>
#include <limits>

#include "backends/llvm/axis_split.h"
#include "backends/llvm/codegen_table.h"

namespace kiln::llvmjit {
namespace {

enum class Combine { Add, Mul, Max, Min };

struct ReduceKind {
  Combine combine;
  bool square = false, absolute = false;  ///< applied to each element first
  bool mean = false, sqrt = false;        ///< applied to the result
};

std::optional<ReduceKind> kindOf(const std::string& op) {
  if (op == "ReduceSum") return ReduceKind{Combine::Add};
  if (op == "ReduceMean" || op == "GlobalAveragePool") return ReduceKind{Combine::Add, false, false, true};
  if (op == "ReduceMax" || op == "GlobalMaxPool") return ReduceKind{Combine::Max};
  if (op == "ReduceMin") return ReduceKind{Combine::Min};
  if (op == "ReduceProd") return ReduceKind{Combine::Mul};
  if (op == "ReduceSumSquare") return ReduceKind{Combine::Add, true};
  if (op == "ReduceL1") return ReduceKind{Combine::Add, false, true};
  if (op == "ReduceL2") return ReduceKind{Combine::Add, true, false, false, true};
  return std::nullopt;
}

/// The reduced axes [first, last) of a node, or why they are not a contiguous run.
std::optional<std::pair<size_t, size_t>> reducedAxes(const Node& node, size_t rank, std::string* whyNot) {
  const std::string& op = node.opType();
  std::vector<int64_t> axes;
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    if (rank < 2) return std::nullopt;
    return std::pair<size_t, size_t>{2, rank};
  }
  if (const Attribute* a = node.attr("axes"); a && a->kind() == AttrKind::Ints) {
    axes = a->ints();
  } else if (node.input(1)) {
    auto c = constantInts(node.input(1));
    if (!c) {
      *whyNot = "axes are not a constant";
      return std::nullopt;
    }
    axes = *c;
  }
  if (axes.empty()) {
    if (node.intAttr("noop_with_empty_axes", 0) != 0) {
      *whyNot = "noop_with_empty_axes";
      return std::nullopt;
    }
    return std::pair<size_t, size_t>{0, rank};
  }
  for (int64_t& a : axes) {
    if (a < 0) a += static_cast<int64_t>(rank);
    if (a < 0 || a >= static_cast<int64_t>(rank)) {
      *whyNot = "axis out of range";
      return std::nullopt;
    }
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (axes.back() - axes.front() + 1 != static_cast<int64_t>(axes.size())) {
    *whyNot = "reduced axes are not contiguous";
    return std::nullopt;
  }
  return std::pair<size_t, size_t>{static_cast<size_t>(axes.front()), static_cast<size_t>(axes.back()) + 1};
}

}  // namespace

std::unique_ptr<KernelLaunch> emitReduction(CodegenContext& cg, const Node& node, const std::string& name,
                                            std::string* whyNot) {
  const Value* x = node.input(0);
  const Value* y = node.output(0);
  auto kind = kindOf(node.opType());
  if (!kind || !x || !y || !x->type().isTensor() || !x->shape().isRanked()) {
    *whyNot = "input rank unknown";
    return nullptr;
  }
  const DType dtype = x->dtype();
  if (dtype != DType::Float32 && dtype != DType::Float64) {
    *whyNot = "no generated code for " + node.opType() + " on " + std::string(dtypeName(dtype));
    return nullptr;
  }
  const size_t rank = x->shape().rank();
  auto axes = reducedAxes(node, rank, whyNot);
  if (!axes) return nullptr;
  const bool global = node.opType().rfind("Global", 0) == 0;
  const bool keep = global || node.intAttr("keepdims", 1) != 0;

  auto& b = cg.builder();
  llvm::Type* t = cg.valueType(dtype);
  KernelBody k = cg.beginKernel(name, node.numInputs() + 1, 3);
  llvm::Value* in = k.buffers[0];
  llvm::Value* out = k.buffers[node.numInputs()];
  llvm::Value *reduced = k.dims[1], *inner = k.dims[2];
  // Sums may be reassociated so the loop vectorizer can split them into vector lanes.
  llvm::FastMathFlags reassoc;
  reassoc.setAllowReassoc();
  b.setFastMathFlags(reassoc);

  const double inf = std::numeric_limits<double>::infinity();
  llvm::Value* init = llvm::ConstantFP::get(t, kind->combine == Combine::Add   ? 0.0
                                               : kind->combine == Combine::Mul ? 1.0
                                               : kind->combine == Combine::Max ? -inf
                                                                               : inf);
  auto element = [&](llvm::Value* v) {
    if (kind->square) v = b.CreateFMul(v, v);
    if (kind->absolute) v = b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, v);
    return v;
  };
  auto combine = [&](llvm::Value* acc, llvm::Value* v) -> llvm::Value* {
    switch (kind->combine) {
      case Combine::Add: return b.CreateFAdd(acc, v);
      case Combine::Mul: return b.CreateFMul(acc, v);
      case Combine::Max: return b.CreateMaxNum(acc, v);
      case Combine::Min: return b.CreateMinNum(acc, v);
    }
    return acc;
  };
  auto finish = [&](llvm::Value* acc) {
    if (kind->mean) acc = b.CreateFDiv(acc, b.CreateSIToFP(reduced, t));
    if (kind->sqrt) acc = b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, acc);
    return acc;
  };

  llvm::Function* fn = k.function;
  auto* rowCase = llvm::BasicBlock::Create(cg.context(), "inner1", fn);
  auto* blockCase = llvm::BasicBlock::Create(cg.context(), "innerN", fn);
  auto* done = llvm::BasicBlock::Create(cg.context(), "done", fn);
  b.CreateCondBr(b.CreateICmpEQ(inner, cg.i64(1)), rowCase, blockCase);

  b.SetInsertPoint(rowCase);  // one accumulator per output element
  cg.forLoop(k.begin, k.end, [&](llvm::Value* o) {
    llvm::Value* base = b.CreateNSWMul(o, reduced);
    llvm::Value* acc = cg.reduceLoop(cg.i64(0), reduced, init, [&](llvm::Value* r, llvm::Value* a) {
      return combine(a, element(cg.loadElement(in, b.CreateNSWAdd(base, r), dtype)));
    });
    cg.storeElement(finish(acc), out, o, dtype);
  }, "o");
  b.CreateBr(done);

  b.SetInsertPoint(blockCase);  // accumulate a row of `inner` outputs along contiguous memory
  cg.forLoop(k.begin, k.end, [&](llvm::Value* o) {
    llvm::Value* outBase = b.CreateNSWMul(o, inner);
    llvm::Value* inBase = b.CreateNSWMul(outBase, reduced);
    cg.forLoop(cg.i64(0), inner, [&](llvm::Value* i) {
      cg.storeElement(init, out, b.CreateNSWAdd(outBase, i), dtype);
    }, "init");
    cg.forLoop(cg.i64(0), reduced, [&](llvm::Value* r) {
      llvm::Value* rowBase = b.CreateNSWAdd(inBase, b.CreateNSWMul(r, inner));
      cg.forLoop(cg.i64(0), inner, [&](llvm::Value* i) {
        llvm::Value* at = b.CreateNSWAdd(outBase, i);
        llvm::Value* v = element(cg.loadElement(in, b.CreateNSWAdd(rowBase, i), dtype));
        cg.storeElement(combine(cg.loadElement(out, at, dtype), v), out, at, dtype);
      }, "i");
    }, "r");
    cg.forLoop(cg.i64(0), inner, [&](llvm::Value* i) {
      llvm::Value* at = b.CreateNSWAdd(outBase, i);
      cg.storeElement(finish(cg.loadElement(out, at, dtype)), out, at, dtype);
    }, "fin");
  }, "o");
  b.CreateBr(done);

  b.SetInsertPoint(done);
  b.clearFastMathFlags();
  cg.finishKernel();
  using Output = AxisSplitLaunch::Output;
  return std::make_unique<AxisSplitLaunch>(rank, axes->first, axes->second,
                                           keep ? Output::ReducedKeepDims : Output::Reduced);
}

}  // namespace kiln::llvmjit
