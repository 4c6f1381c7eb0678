// Shape-chain ops: Shape (writes the runtime dims it receives), ConstantOfShape (a fill),
// Cast (a flat conversion loop), Expand (a broadcast copy), and integer Div (the elementwise
// kernel plus a divisor check in its launch).

#include <algorithm>
#include <cstring>

#include "backends/llvm/axis_split.h"
#include "backends/llvm/codegen_table.h"
#include "backends/llvm/launches_shape.h"

namespace kiln::llvmjit {
namespace {

bool rankedTensor(const Value* v) {
  return v && v->type().isTensor() && v->shape().isRanked() && CodegenContext::isSupportedDType(v->dtype());
}

/// Float to integer as the reference Cast: NaN and values outside int64 become INT64_MIN
/// (x86's answer), truncated to the target width; uint64 also takes [2^63, 2^64).
llvm::Value* floatToInt(CodegenContext& cg, llvm::Value* v, DType to) {
  auto& b = cg.builder();
  llvm::Type* f = v->getType();
  llvm::Value* lo = llvm::ConstantFP::get(f, -9223372036854775808.0);
  llvm::Value* hi = llvm::ConstantFP::get(f, 9223372036854775808.0);
  llvm::Value* inRange = b.CreateAnd(b.CreateFCmpOGE(v, lo), b.CreateFCmpOLT(v, hi));
  llvm::Value* r = b.CreateSelect(inRange, b.CreateFPToSI(v, b.getInt64Ty()), cg.i64(INT64_MIN));
  if (to == DType::UInt64) {
    llvm::Value* upper = b.CreateAnd(b.CreateFCmpOGE(v, hi), b.CreateFCmpOLT(v, llvm::ConstantFP::get(f, 18446744073709551616.0)));
    r = b.CreateSelect(upper, b.CreateFPToUI(v, b.getInt64Ty()), r);
  }
  return b.CreateTrunc(r, cg.valueType(to));
}

/// One element converted from `from` to `to` (both value types; bool is i1).
llvm::Value* convert(CodegenContext& cg, llvm::Value* v, DType from, DType to) {
  auto& b = cg.builder();
  llvm::Type* t = cg.valueType(to);
  if (from == to) return v;
  if (to == DType::Bool)
    return isFloat(from) ? b.CreateFCmpUNE(v, llvm::ConstantFP::get(v->getType(), 0.0))
                         : b.CreateICmpNE(v, llvm::ConstantInt::get(v->getType(), 0));
  if (from == DType::Bool) return isFloat(to) ? b.CreateUIToFP(v, t) : b.CreateZExt(v, t);
  if (isFloat(from) && isFloat(to)) return b.CreateFPCast(v, t);
  if (isFloat(from)) return floatToInt(cg, v, to);
  if (isFloat(to)) return isSigned(from) ? b.CreateSIToFP(v, t) : b.CreateUIToFP(v, t);
  return b.CreateIntCast(v, t, isSigned(from));
}

/// An LLVM constant holding element 0 of `t` as dtype `dtype` (value type).
llvm::Value* constantElement(CodegenContext& cg, const Tensor& t, DType dtype) {
  llvm::Type* type = cg.valueType(dtype);
  const std::byte* p = t.rawData();
  auto read = [&](auto zero) {
    decltype(zero) v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  switch (dtype) {
    case DType::Float32: return llvm::ConstantFP::get(type, read(float{}));
    case DType::Float64: return llvm::ConstantFP::get(type, read(double{}));
    case DType::Bool: return llvm::ConstantInt::get(type, read(uint8_t{}) != 0);
    case DType::Int8: return llvm::ConstantInt::get(type, static_cast<uint64_t>(read(int8_t{})), true);
    case DType::UInt8: return llvm::ConstantInt::get(type, read(uint8_t{}));
    case DType::Int16: return llvm::ConstantInt::get(type, static_cast<uint64_t>(read(int16_t{})), true);
    case DType::UInt16: return llvm::ConstantInt::get(type, read(uint16_t{}));
    case DType::Int32: return llvm::ConstantInt::get(type, static_cast<uint64_t>(read(int32_t{})), true);
    case DType::UInt32: return llvm::ConstantInt::get(type, read(uint32_t{}));
    case DType::Int64: return llvm::ConstantInt::get(type, static_cast<uint64_t>(read(int64_t{})), true);
    case DType::UInt64: return llvm::ConstantInt::get(type, read(uint64_t{}));
    default: return nullptr;
  }
}

std::unique_ptr<KernelLaunch> emitShapeOf(CodegenContext& cg, const Node& node, const std::string& name,
                                          std::string* whyNot) {
  const Value* x = node.input(0);
  if (!x || !x->type().isTensor() || !x->shape().isRanked()) {
    *whyNot = "input rank unknown";
    return nullptr;
  }
  const auto rank = static_cast<int64_t>(x->shape().rank());
  auto clampAxis = [&](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank); };
  const int64_t start = clampAxis(node.intAttr("start", 0));
  const int64_t end = std::max(start, clampAxis(node.intAttr("end", rank)));
  const auto n = static_cast<size_t>(end - start);
  KernelBody k = cg.beginKernel(name, 2, n);
  for (size_t i = 0; i < n; ++i) cg.storeElement(k.dims[i], k.buffers[1], cg.i64(static_cast<int64_t>(i)), DType::Int64);
  cg.finishKernel();
  return std::make_unique<ShapeOfLaunch>(static_cast<size_t>(rank), static_cast<size_t>(start), static_cast<size_t>(end));
}

std::unique_ptr<KernelLaunch> emitConstantOfShape(CodegenContext& cg, const Node& node, const std::string& name,
                                                  std::string* whyNot) {
  const DType dtype = node.output(0)->dtype();
  Tensor fill = Tensor::zeros(DType::Float32, {1});
  if (const Attribute* a = node.attr("value")) {
    if (a->kind() != AttrKind::Tensor || a->t().isElided() || a->t().numElements() != 1 || a->t().dtype() != dtype) {
      *whyNot = "value is not a one-element tensor of the result dtype";
      return nullptr;
    }
    fill = a->t();
  }
  if (!node.input(0) || !isInteger(node.input(0)->dtype())) {
    *whyNot = "shape is not an integer tensor";
    return nullptr;
  }
  llvm::Value* value = constantElement(cg, fill, fill.dtype());
  if (fill.dtype() != dtype) value = convert(cg, value, fill.dtype(), dtype);  // the float zero default
  KernelBody k = cg.beginKernel(name, 2, 1);
  cg.forLoop(k.begin, k.end, [&](llvm::Value* i) { cg.storeElement(value, k.buffers[1], i, dtype); });
  cg.finishKernel();
  return std::make_unique<ConstantOfShapeLaunch>();
}

std::unique_ptr<KernelLaunch> emitCast(CodegenContext& cg, const Node& node, const std::string& name,
                                       std::string* whyNot) {
  const Value* x = node.input(0);
  if (!rankedTensor(x)) {
    *whyNot = "input rank or dtype unknown";
    return nullptr;
  }
  const DType from = x->dtype(), to = node.output(0)->dtype();
  KernelBody k = cg.beginKernel(name, 2, 1);
  cg.forLoop(k.begin, k.end, [&](llvm::Value* i) {
    cg.storeElement(convert(cg, cg.loadElement(k.buffers[0], i, from), from, to), k.buffers[1], i, to);
  });
  cg.finishKernel();
  return std::make_unique<SameShapeLaunch>();
}

std::unique_ptr<KernelLaunch> emitExpand(CodegenContext& cg, const Node& node, const std::string& name,
                                         std::string* whyNot) {
  const Value* x = node.input(0);
  const Value* out = node.output(0);
  if (!rankedTensor(x) || !out->shape().isRanked() || !node.input(1) || !isInteger(node.input(1)->dtype())) {
    *whyNot = "input or result rank unknown";
    return nullptr;
  }
  const size_t rank = out->shape().rank();
  const size_t loopRank = std::max<size_t>(rank, 1);
  const DType dtype = x->dtype();
  auto& b = cg.builder();
  KernelBody k = cg.beginKernel(name, 3, 2 * loopRank);
  auto outDim = [&](size_t a) { return k.dims[a]; };
  auto stride = [&](size_t a) { return k.dims[loopRank + a]; };
  cg.forLoop(k.begin, k.end, [&](llvm::Value* row) {
    llvm::Value* base = cg.i64(0);
    llvm::Value* rest = row;
    for (size_t a = loopRank - 1; a-- > 0;) {
      llvm::Value* coord = a == 0 ? rest : b.CreateURem(rest, outDim(a));
      if (a > 0) rest = b.CreateUDiv(rest, outDim(a));
      base = b.CreateNSWAdd(base, b.CreateNSWMul(coord, stride(a)));
    }
    llvm::Value* last = outDim(loopRank - 1);
    llvm::Value* outBase = b.CreateNSWMul(row, last);
    cg.forLoop(cg.i64(0), last, [&](llvm::Value* j) {
      llvm::Value* from = b.CreateNSWAdd(base, b.CreateNSWMul(j, stride(loopRank - 1)));
      cg.storeElement(cg.loadElement(k.buffers[0], from, dtype), k.buffers[2], b.CreateNSWAdd(outBase, j), dtype);
    }, "j");
  }, "row");
  cg.finishKernel();
  return std::make_unique<ExpandLaunch>(rank);
}

}  // namespace

std::unique_ptr<KernelLaunch> emitShapeOps(CodegenContext& cg, const Node& node, const std::string& name,
                                           std::string* whyNot) {
  const std::string& op = node.opType();
  if (op == "Shape") return emitShapeOf(cg, node, name, whyNot);
  if (op == "ConstantOfShape") return emitConstantOfShape(cg, node, name, whyNot);
  if (op == "Cast") return emitCast(cg, node, name, whyNot);
  if (op == "Expand") return emitExpand(cg, node, name, whyNot);
  *whyNot = "no generated code for " + node.qualifiedOp();
  return nullptr;
}

std::unique_ptr<KernelLaunch> emitDivision(CodegenContext& cg, const Node& node, const std::string& name,
                                           std::string* whyNot) {
  auto launch = emitElementwise(cg, node, name, whyNot);
  const Value* divisor = node.input(1);
  if (!launch || !divisor || isFloat(divisor->dtype()) || divisor->dtype() == DType::Bool) return launch;
  auto* elementwise = dynamic_cast<ElementwiseLaunch*>(launch.get());
  if (!elementwise) return launch;
  return std::make_unique<CheckedDivLaunch>(elementwise->plan());
}

}  // namespace kiln::llvmjit
