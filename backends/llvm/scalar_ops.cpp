#include "backends/llvm/scalar_ops.h"

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>

namespace kiln::llvmjit {
namespace {

using Args = std::span<llvm::Value* const>;

/// What emitting one op sees.
struct OpEmit {
  CodegenContext& cg;
  const Node& node;
  Args args;
  std::span<const DType> argTypes;
  DType type;  ///< dtype of the first operand (what arithmetic runs in)

  llvm::IRBuilder<>& b() const { return cg.builder(); }
  llvm::Type* t() const { return cg.valueType(type); }
  llvm::Value* c(double v) const {
    return isFloat(type) ? llvm::ConstantFP::get(t(), v)
                         : llvm::ConstantInt::get(t(), static_cast<uint64_t>(static_cast<int64_t>(v)), true);
  }
  float attr(const char* name, float fallback) const { return node.floatAttr(name, fallback); }
  llvm::Value* call(llvm::Intrinsic::ID id, std::initializer_list<llvm::Value*> operands) const {
    return b().CreateIntrinsic(id, {t()}, operands);
  }
  llvm::Value* libm(const char* f32Name, const char* f64Name, llvm::Value* x) const {
    return b().CreateCall(cg.mathFunction(type == DType::Float64 ? f64Name : f32Name, t()), {x});
  }
  bool isSignedInt() const { return isSigned(type) && !isFloat(type); }
  llvm::Value* gt(llvm::Value* x, llvm::Value* y) const {
    if (isFloat(type)) return b().CreateFCmpOGT(x, y);
    return isSignedInt() ? b().CreateICmpSGT(x, y) : b().CreateICmpUGT(x, y);
  }
  llvm::Value* lt(llvm::Value* x, llvm::Value* y) const {
    if (isFloat(type)) return b().CreateFCmpOLT(x, y);
    return isSignedInt() ? b().CreateICmpSLT(x, y) : b().CreateICmpULT(x, y);
  }
  llvm::Value* max(llvm::Value* x, llvm::Value* y) const {
    return isFloat(type) ? b().CreateMaxNum(x, y) : b().CreateSelect(gt(x, y), x, y);
  }
  llvm::Value* min(llvm::Value* x, llvm::Value* y) const {
    return isFloat(type) ? b().CreateMinNum(x, y) : b().CreateSelect(lt(x, y), x, y);
  }
  llvm::Value* exp(llvm::Value* x) const { return call(llvm::Intrinsic::exp, {x}); }
  llvm::Value* sigmoid(llvm::Value* x) const {
    return b().CreateFDiv(c(1), b().CreateFAdd(c(1), exp(b().CreateFNeg(x))));
  }
};

enum Types : unsigned { kFloat = 1, kSignedInt = 2, kUnsignedInt = 4, kBool = 8, kInt = kSignedInt | kUnsignedInt,
                        kNumeric = kFloat | kInt, kAny = kNumeric | kBool };

struct ScalarOp {
  unsigned types;  ///< operand dtypes it is generated for
  std::function<llvm::Value*(const OpEmit&)> emit;
};

unsigned typeClass(DType t) {
  if (t == DType::Float32 || t == DType::Float64) return kFloat;
  if (t == DType::Bool) return kBool;
  if (isInteger(t)) return isSigned(t) ? kSignedInt : kUnsignedInt;
  return 0;
}

/// Folds a variadic op (Sum, Max, Min) over its operands.
llvm::Value* fold(const OpEmit& e, const std::function<llvm::Value*(llvm::Value*, llvm::Value*)>& f) {
  llvm::Value* acc = e.args[0];
  for (size_t i = 1; i < e.args.size(); ++i) acc = f(acc, e.args[i]);
  return acc;
}

const std::map<std::string, ScalarOp, std::less<>>& table() {
  static const std::map<std::string, ScalarOp, std::less<>> ops = {
      // ---- arithmetic (numpy broadcasting handled by the loop nest) ----
      {"Add", {kNumeric, [](const OpEmit& e) {
         return isFloat(e.type) ? e.b().CreateFAdd(e.args[0], e.args[1]) : e.b().CreateAdd(e.args[0], e.args[1]); }}},
      {"Sub", {kNumeric, [](const OpEmit& e) {
         return isFloat(e.type) ? e.b().CreateFSub(e.args[0], e.args[1]) : e.b().CreateSub(e.args[0], e.args[1]); }}},
      {"Mul", {kNumeric, [](const OpEmit& e) {
         return isFloat(e.type) ? e.b().CreateFMul(e.args[0], e.args[1]) : e.b().CreateMul(e.args[0], e.args[1]); }}},
      // Integer division never traps here: divisors 0 and -1 are replaced by 1 (the launch
      // reports a zero divisor before the call; x / -1 is -x, wrapping for the minimum).
      {"Div", {kNumeric, [](const OpEmit& e) -> llvm::Value* {
         if (isFloat(e.type)) return e.b().CreateFDiv(e.args[0], e.args[1]);
         llvm::Value* d = e.args[1];
         if (!e.isSignedInt()) return e.b().CreateUDiv(e.args[0], e.b().CreateSelect(e.b().CreateICmpEQ(d, e.c(0)), e.c(1), d));
         llvm::Value* minusOne = e.b().CreateICmpEQ(d, e.c(-1));
         llvm::Value* safe = e.b().CreateSelect(e.b().CreateOr(minusOne, e.b().CreateICmpEQ(d, e.c(0))), e.c(1), d);
         return e.b().CreateSelect(minusOne, e.b().CreateNeg(e.args[0]), e.b().CreateSDiv(e.args[0], safe)); }}},
      {"Pow", {kFloat, [](const OpEmit& e) { return e.call(llvm::Intrinsic::pow, {e.args[0], e.args[1]}); }}},
      {"Sum", {kNumeric, [](const OpEmit& e) {
         return fold(e, [&](llvm::Value* x, llvm::Value* y) {
           return isFloat(e.type) ? e.b().CreateFAdd(x, y) : e.b().CreateAdd(x, y); }); }}},
      {"Mean", {kFloat, [](const OpEmit& e) {
         llvm::Value* s = fold(e, [&](llvm::Value* x, llvm::Value* y) { return e.b().CreateFAdd(x, y); });
         return e.b().CreateFDiv(s, e.c(static_cast<double>(e.args.size()))); }}},
      {"Max", {kNumeric, [](const OpEmit& e) { return fold(e, [&](llvm::Value* x, llvm::Value* y) { return e.max(x, y); }); }}},
      {"Min", {kNumeric, [](const OpEmit& e) { return fold(e, [&](llvm::Value* x, llvm::Value* y) { return e.min(x, y); }); }}},
      {"Neg", {kFloat | kSignedInt, [](const OpEmit& e) {
         return isFloat(e.type) ? e.b().CreateFNeg(e.args[0]) : e.b().CreateNeg(e.args[0]); }}},
      {"Abs", {kNumeric, [](const OpEmit& e) -> llvm::Value* {
         if (isFloat(e.type)) return e.call(llvm::Intrinsic::fabs, {e.args[0]});
         if (!e.isSignedInt()) return e.args[0];
         return e.b().CreateSelect(e.lt(e.args[0], e.c(0)), e.b().CreateNeg(e.args[0]), e.args[0]); }}},
      {"Sign", {kFloat | kSignedInt, [](const OpEmit& e) {
         llvm::Value* pos = e.b().CreateSelect(e.gt(e.args[0], e.c(0)), e.c(1), e.c(0));
         return e.b().CreateSelect(e.lt(e.args[0], e.c(0)), e.c(-1), pos); }}},
      {"Reciprocal", {kFloat, [](const OpEmit& e) { return e.b().CreateFDiv(e.c(1), e.args[0]); }}},
      {"Sqrt", {kFloat, [](const OpEmit& e) { return e.call(llvm::Intrinsic::sqrt, {e.args[0]}); }}},
      {"Exp", {kFloat, [](const OpEmit& e) { return e.exp(e.args[0]); }}},
      {"Log", {kFloat, [](const OpEmit& e) { return e.call(llvm::Intrinsic::log, {e.args[0]}); }}},
      {"Ceil", {kFloat, [](const OpEmit& e) { return e.call(llvm::Intrinsic::ceil, {e.args[0]}); }}},
      {"Floor", {kFloat, [](const OpEmit& e) { return e.call(llvm::Intrinsic::floor, {e.args[0]}); }}},
      {"Round", {kFloat, [](const OpEmit& e) { return e.call(llvm::Intrinsic::roundeven, {e.args[0]}); }}},
      {"Sin", {kFloat, [](const OpEmit& e) { return e.call(llvm::Intrinsic::sin, {e.args[0]}); }}},
      {"Cos", {kFloat, [](const OpEmit& e) { return e.call(llvm::Intrinsic::cos, {e.args[0]}); }}},
      {"Tanh", {kFloat, [](const OpEmit& e) { return e.libm("tanhf", "tanh", e.args[0]); }}},
      {"Erf", {kFloat, [](const OpEmit& e) { return e.libm("erff", "erf", e.args[0]); }}},
      {"Identity", {kAny, [](const OpEmit& e) { return e.args[0]; }}},
      // ---- activations ----
      {"Relu", {kFloat | kSignedInt, [](const OpEmit& e) { return e.max(e.args[0], e.c(0)); }}},
      {"LeakyRelu", {kFloat, [](const OpEmit& e) {
         llvm::Value* x = e.args[0];
         return e.b().CreateSelect(e.lt(x, e.c(0)), e.b().CreateFMul(x, e.c(e.attr("alpha", 0.01f))), x); }}},
      {"PRelu", {kFloat, [](const OpEmit& e) {
         llvm::Value* x = e.args[0];
         return e.b().CreateSelect(e.lt(x, e.c(0)), e.b().CreateFMul(x, e.args[1]), x); }}},
      {"Elu", {kFloat, [](const OpEmit& e) {
         llvm::Value* x = e.args[0];
         llvm::Value* neg = e.b().CreateFMul(e.c(e.attr("alpha", 1.0f)), e.b().CreateFSub(e.exp(x), e.c(1)));
         return e.b().CreateSelect(e.lt(x, e.c(0)), neg, x); }}},
      {"Selu", {kFloat, [](const OpEmit& e) {
         llvm::Value* x = e.args[0];
         const double alpha = e.attr("alpha", 1.67326319217681884765625f);
         const double gamma = e.attr("gamma", 1.05070102214813232421875f);
         llvm::Value* neg = e.b().CreateFSub(e.b().CreateFMul(e.c(alpha), e.exp(x)), e.c(alpha));
         return e.b().CreateFMul(e.c(gamma), e.b().CreateSelect(e.gt(x, e.c(0)), x, neg)); }}},
      {"Sigmoid", {kFloat, [](const OpEmit& e) { return e.sigmoid(e.args[0]); }}},
      {"HardSigmoid", {kFloat, [](const OpEmit& e) {
         llvm::Value* y = e.b().CreateFAdd(e.b().CreateFMul(e.c(e.attr("alpha", 0.2f)), e.args[0]), e.c(e.attr("beta", 0.5f)));
         return e.min(e.max(y, e.c(0)), e.c(1)); }}},
      {"HardSwish", {kFloat, [](const OpEmit& e) {
         llvm::Value* y = e.b().CreateFAdd(e.b().CreateFMul(e.c(1.0 / 6.0), e.args[0]), e.c(0.5));
         return e.b().CreateFMul(e.args[0], e.min(e.max(y, e.c(0)), e.c(1))); }}},
      {"Softplus", {kFloat, [](const OpEmit& e) {
         // log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow for large x.
         llvm::Value* x = e.args[0];
         llvm::Value* t = e.exp(e.b().CreateFNeg(e.call(llvm::Intrinsic::fabs, {x})));
         return e.b().CreateFAdd(e.max(x, e.c(0)), e.libm("log1pf", "log1p", t)); }}},
      {"Softsign", {kFloat, [](const OpEmit& e) {
         return e.b().CreateFDiv(e.args[0], e.b().CreateFAdd(e.c(1), e.call(llvm::Intrinsic::fabs, {e.args[0]}))); }}},
      {"Gelu", {kFloat, [](const OpEmit& e) {
         llvm::Value* x = e.args[0];
         llvm::Value* inner;
         if (e.node.stringAttr("approximate", "none") == "tanh") {
           // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
           llvm::Value* x3 = e.b().CreateFMul(e.b().CreateFMul(x, x), x);
           llvm::Value* u = e.b().CreateFMul(e.c(std::sqrt(2.0 / M_PI)), e.b().CreateFAdd(x, e.b().CreateFMul(e.c(0.044715), x3)));
           inner = e.libm("tanhf", "tanh", u);
         } else {
           inner = e.libm("erff", "erf", e.b().CreateFMul(x, e.c(M_SQRT1_2)));
         }
         return e.b().CreateFMul(e.b().CreateFMul(e.c(0.5), x), e.b().CreateFAdd(e.c(1), inner)); }}},
      {"Clip", {kNumeric, [](const OpEmit& e) {
         llvm::Value* x = e.args[0];
         if (e.args.size() > 1 && e.args[1]) x = e.max(x, e.args[1]);
         if (e.args.size() > 2 && e.args[2]) x = e.min(x, e.args[2]);
         return x; }}},
      // ---- comparisons and logic (bool results) ----
      {"Equal", {kAny, [](const OpEmit& e) {
         return isFloat(e.type) ? e.b().CreateFCmpOEQ(e.args[0], e.args[1]) : e.b().CreateICmpEQ(e.args[0], e.args[1]); }}},
      {"Less", {kNumeric, [](const OpEmit& e) { return e.lt(e.args[0], e.args[1]); }}},
      {"Greater", {kNumeric, [](const OpEmit& e) { return e.gt(e.args[0], e.args[1]); }}},
      {"LessOrEqual", {kNumeric, [](const OpEmit& e) { return e.b().CreateNot(e.gt(e.args[0], e.args[1])); }}},
      {"GreaterOrEqual", {kNumeric, [](const OpEmit& e) { return e.b().CreateNot(e.lt(e.args[0], e.args[1])); }}},
      {"Not", {kBool, [](const OpEmit& e) { return e.b().CreateNot(e.args[0]); }}},
      {"And", {kBool, [](const OpEmit& e) { return e.b().CreateAnd(e.args[0], e.args[1]); }}},
      {"Or", {kBool, [](const OpEmit& e) { return e.b().CreateOr(e.args[0], e.args[1]); }}},
      {"Xor", {kBool, [](const OpEmit& e) { return e.b().CreateXor(e.args[0], e.args[1]); }}},
      {"IsNaN", {kFloat, [](const OpEmit& e) { return e.b().CreateFCmpUNO(e.args[0], e.args[0]); }}},
  };
  return ops;
}

/// Where(cond, x, y): the data type is that of x, not of the bool condition.
bool isWhere(const Node& op) { return op.domain().empty() && op.opType() == "Where"; }

}  // namespace

bool hasScalarOp(const Node& op, DType operandType, DType resultType) {
  if (!op.domain().empty()) return false;
  if (!CodegenContext::isSupportedDType(operandType) || !CodegenContext::isSupportedDType(resultType)) return false;
  if (isWhere(op)) return true;
  auto it = table().find(op.opType());
  return it != table().end() && (it->second.types & typeClass(operandType)) != 0;
}

llvm::Value* emitScalarOp(CodegenContext& cg, const Node& op, std::span<llvm::Value* const> args,
                          std::span<const DType> argTypes, DType resultType) {
  if (isWhere(op)) return cg.builder().CreateSelect(args[0], args[1], args[2]);
  const ScalarOp& entry = table().find(op.opType())->second;
  OpEmit e{cg, op, args, argTypes, argTypes.empty() ? resultType : argTypes[0]};
  return entry.emit(e);
}

}  // namespace kiln::llvmjit
