// Elementwise math: unary functions, casts, broadcasting binary arithmetic, comparisons and
// logic, Where, and the variadic Max/Min/Mean/Sum.

#include <algorithm>

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

constexpr OpTrait kPureElementwise = OpTrait::Elementwise | OpTrait::Pure;

struct UnaryOp {
  const char* name;
  int version;
  const char* summary;
};

// Same type in, same type out.
constexpr UnaryOp kUnaryOps[] = {
    {"Abs", 13, "Absolute value."},
    {"Neg", 13, "Negation."},
    {"Exp", 13, "Natural exponential."},
    {"Log", 13, "Natural logarithm."},
    {"Sqrt", 13, "Square root."},
    {"Reciprocal", 13, "1 / x."},
    {"Sin", 7, "Sine."},
    {"Cos", 7, "Cosine."},
    {"Tan", 7, "Tangent."},
    {"Asin", 7, "Arcsine."},
    {"Acos", 7, "Arccosine."},
    {"Atan", 7, "Arctangent."},
    {"Sinh", 9, "Hyperbolic sine."},
    {"Cosh", 9, "Hyperbolic cosine."},
    {"Asinh", 9, "Inverse hyperbolic sine."},
    {"Acosh", 9, "Inverse hyperbolic cosine."},
    {"Atanh", 9, "Inverse hyperbolic tangent."},
    {"Tanh", 13, "Hyperbolic tangent."},
    {"Erf", 13, "Gauss error function."},
    {"Floor", 13, "Round down to an integer."},
    {"Ceil", 13, "Round up to an integer."},
    {"Round", 11, "Round to the nearest integer, halves to even."},
    {"Sign", 13, "-1, 0 or 1 by the sign of x."},
    {"Not", 1, "Logical not."},
};

/// Which symbolic computation a binary op performs on tracked shape values.
enum class ShapeArith { None, Add, Sub, Mul, Div };

/// Shape arithmetic such as `Shape(x)[1] * 2` or `Div(hidden, heads)`: tracks the symbolic
/// result so that a Reshape fed by it keeps its named dims.
void trackArithmetic(InferenceContext& ctx, ShapeArith op) {
  if (op == ShapeArith::None) return;
  auto a = inputShapeValue(ctx, 0);
  auto b = inputShapeValue(ctx, 1);
  if (!a || !b || a->empty() || b->empty()) return;
  if (a->size() != b->size() && a->size() != 1 && b->size() != 1) return;
  size_t n = std::max(a->size(), b->size());
  std::vector<Dim> out;
  for (size_t i = 0; i < n; ++i) {
    const Dim& x = (*a)[a->size() == 1 ? 0 : i];
    const Dim& y = (*b)[b->size() == 1 ? 0 : i];
    switch (op) {
      case ShapeArith::Add: out.push_back(x + y); break;
      case ShapeArith::Sub: out.push_back(x - y); break;
      case ShapeArith::Mul: out.push_back(x * y); break;
      case ShapeArith::Div:
        // Integer Div truncates; only exact or static quotients are tracked.
        if (x.isStatic() && y.isStatic() && y.value() != 0) out.push_back(Dim(x.value() / y.value()));
        else out.push_back(exactDiv(x, y));
        break;
      case ShapeArith::None: break;
    }
  }
  setOutputShapeValue(ctx, 0, std::move(out));
}

/// Equal and Where over tracked shape tensors, with booleans as 0/1 dims: torch exports
/// `x.expand(b, -1)` as Where(Equal(shape, -1), ones, shape), which this resolves.
void trackEqual(InferenceContext& ctx) {
  auto a = inputShapeValue(ctx, 0);
  auto b = inputShapeValue(ctx, 1);
  if (!a || !b || a->empty() || b->empty() || (a->size() != b->size() && a->size() != 1 && b->size() != 1)) return;
  // A named size is never negative.
  auto provablyDifferent = [](const Dim& x, const Dim& y) {
    return (x.isStatic() && y.isStatic() && x.value() != y.value()) ||
           (x.asSymbol() && y.isStatic() && y.value() < 0) || (y.asSymbol() && x.isStatic() && x.value() < 0);
  };
  std::vector<Dim> out;
  for (size_t i = 0; i < std::max(a->size(), b->size()); ++i) {
    const Dim& x = (*a)[a->size() == 1 ? 0 : i];
    const Dim& y = (*b)[b->size() == 1 ? 0 : i];
    out.push_back(x.provablyEqual(y) ? Dim(1) : provablyDifferent(x, y) ? Dim(0) : Dim());
  }
  setOutputShapeValue(ctx, 0, std::move(out));
}

void trackWhere(InferenceContext& ctx) {
  auto c = inputShapeValue(ctx, 0);
  auto x = inputShapeValue(ctx, 1);
  auto y = inputShapeValue(ctx, 2);
  if (!c || !x || !y) return;
  size_t n = std::max({c->size(), x->size(), y->size()});
  for (const auto* v : {&*c, &*x, &*y})
    if (v->size() != n && v->size() != 1) return;
  std::vector<Dim> out;
  for (size_t i = 0; i < n; ++i) {
    const Dim& cond = (*c)[c->size() == 1 ? 0 : i];
    if (!cond.isStatic()) return;
    out.push_back(cond.value() ? (*x)[x->size() == 1 ? 0 : i] : (*y)[y->size() == 1 ? 0 : i]);
  }
  setOutputShapeValue(ctx, 0, std::move(out));
}

void addBinary(OpRegistry& r, const char* name, int version, const char* summary, OpTrait traits,
               ShapeArith arith, std::vector<AttrSpec> attrs = {}) {
  r.add({.domain = "", .name = name, .sinceVersion = version, .summary = summary,
         .minInputs = 2, .maxInputs = 2,
         .attributes = std::move(attrs),
         .inferShapes = [arith](InferenceContext& ctx) {
           KILN_RETURN_IF_ERROR(inferBroadcast(ctx, DType::Undefined, 0, /*sameDtype=*/true));
           trackArithmetic(ctx, arith);
           return Status::ok();
         },
         .traits = traits});
}

void addComparison(OpRegistry& r, const char* name, int version, const char* summary, OpTrait traits) {
  r.add({.domain = "", .name = name, .sinceVersion = version, .summary = summary,
         .minInputs = 2, .maxInputs = 2,
         .inferShapes = [](InferenceContext& ctx) {
           return inferBroadcast(ctx, DType::Bool, 0, /*sameDtype=*/true);
         },
         .traits = traits});
}

void addVariadic(OpRegistry& r, const char* name, const char* summary) {
  r.add({.domain = "", .name = name, .sinceVersion = 13, .summary = summary,
         .minInputs = 1, .maxInputs = OpSchema::kVariadic,
         .inferShapes = [](InferenceContext& ctx) {
           return inferBroadcast(ctx, DType::Undefined, 0, /*sameDtype=*/true);
         },
         .traits = kPureElementwise | OpTrait::Commutative});
}

Status inferCast(InferenceContext& ctx) {
  auto to = dtypeFromOnnx(static_cast<int32_t>(ctx.node().intAttr("to", 0)));
  DType dtype = to.value_or(DType::Undefined);
  KILN_RETURN_IF_ERROR(inferSameShapeWithDtype(ctx, dtype));
  // Casting shape arithmetic between integer types keeps its value (i64 <-> i32 round trips).
  if (isInteger(dtype))
    if (auto v = inputShapeValue(ctx, 0)) setOutputShapeValue(ctx, 0, std::move(*v));
  return Status::ok();
}

Status inferWhere(InferenceContext& ctx) {
  DType a = firstKnownDtype(ctx, {1});
  DType b = firstKnownDtype(ctx, {2});
  if (a != DType::Undefined && b != DType::Undefined && a != b)
    return ctx.error("operand types differ (" + std::string(dtypeName(a)) + " vs " +
                     std::string(dtypeName(b)) + ")");
  KILN_RETURN_IF_ERROR(inferBroadcast(ctx, a != DType::Undefined ? a : b, 1, /*sameDtype=*/false));
  trackWhere(ctx);
  return Status::ok();
}

}  // namespace

void registerElementwiseOps(OpRegistry& r) {
  for (const UnaryOp& op : kUnaryOps)
    r.add({.domain = "", .name = op.name, .sinceVersion = op.version, .summary = op.summary,
           .minInputs = 1, .maxInputs = 1,
           .inferShapes = inferSameAsInput,
           .traits = kPureElementwise});

  r.add({.domain = "", .name = "IsNaN", .sinceVersion = 20, .summary = "Whether each element is NaN.",
         .minInputs = 1, .maxInputs = 1,
         .inferShapes = [](InferenceContext& ctx) { return inferSameShapeWithDtype(ctx, DType::Bool); },
         .traits = kPureElementwise});
  r.add({.domain = "", .name = "IsInf", .sinceVersion = 20, .summary = "Whether each element is infinite.",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrInt("detect_negative", 1), attrInt("detect_positive", 1)},
         .inferShapes = [](InferenceContext& ctx) { return inferSameShapeWithDtype(ctx, DType::Bool); },
         .traits = kPureElementwise});
  r.add({.domain = "", .name = "Identity", .sinceVersion = 21, .summary = "The input, unchanged.",
         .minInputs = 1, .maxInputs = 1,
         .inferShapes = [](InferenceContext& ctx) {
           ctx.setOutputType(0, ctx.inputType(0));
           if (auto v = inputShapeValue(ctx, 0)) setOutputShapeValue(ctx, 0, std::move(*v));
           return Status::ok();
         },
         .traits = kPureElementwise});
  r.add({.domain = "", .name = "Clip", .sinceVersion = 13,
         .summary = "Limits values to [min, max]; the bounds are optional scalar inputs.",
         .minInputs = 1, .maxInputs = 3,
         .inferShapes = inferSameAsInput,
         .traits = kPureElementwise});
  r.add({.domain = "", .name = "Cast", .sinceVersion = 21,
         .summary = "Converts to the element type `to` (saturate applies to float8 only).",
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrInt("saturate", 1), attrRequired("to", AttrKind::Int)},
         .inferShapes = inferCast,
         .traits = kPureElementwise});
  r.add({.domain = "", .name = "CastLike", .sinceVersion = 21,
         .summary = "Converts to the element type of the second input.",
         .minInputs = 2, .maxInputs = 2,
         .attributes = {attrInt("saturate", 1)},
         .inferShapes = [](InferenceContext& ctx) {
           return inferSameShapeWithDtype(ctx, firstKnownDtype(ctx, {1}));
         },
         .traits = kPureElementwise});

  OpTrait commutative = kPureElementwise | OpTrait::Commutative;
  addBinary(r, "Add", 14, "a + b, broadcasting.", commutative, ShapeArith::Add);
  addBinary(r, "Sub", 14, "a - b, broadcasting.", kPureElementwise, ShapeArith::Sub);
  addBinary(r, "Mul", 14, "a * b, broadcasting.", commutative, ShapeArith::Mul);
  addBinary(r, "Div", 14, "a / b, broadcasting (integers truncate).", kPureElementwise, ShapeArith::Div);
  addBinary(r, "Mod", 13, "Remainder, with the sign of the divisor unless fmod = 1.", kPureElementwise,
            ShapeArith::None, {attrInt("fmod", 0)});
  addBinary(r, "BitShift", 11, "Unsigned a << b or a >> b by `direction` (LEFT or RIGHT), broadcasting.",
            kPureElementwise, ShapeArith::None, {attrRequired("direction", AttrKind::String)});
  // Pow's exponent may have another element type than its base.
  r.add({.domain = "", .name = "Pow", .sinceVersion = 15, .summary = "a ^ b, broadcasting.",
         .minInputs = 2, .maxInputs = 2,
         .inferShapes = [](InferenceContext& ctx) {
           return inferBroadcast(ctx, DType::Undefined, 0, /*sameDtype=*/false);
         },
         .traits = kPureElementwise});

  r.add({.domain = "", .name = "Equal", .sinceVersion = 19, .summary = "a == b, broadcasting.",
         .minInputs = 2, .maxInputs = 2,
         .inferShapes = [](InferenceContext& ctx) {
           KILN_RETURN_IF_ERROR(inferBroadcast(ctx, DType::Bool, 0, /*sameDtype=*/true));
           trackEqual(ctx);
           return Status::ok();
         },
         .traits = commutative});
  addComparison(r, "Less", 13, "a < b, broadcasting.", kPureElementwise);
  addComparison(r, "LessOrEqual", 16, "a <= b, broadcasting.", kPureElementwise);
  addComparison(r, "Greater", 13, "a > b, broadcasting.", kPureElementwise);
  addComparison(r, "GreaterOrEqual", 16, "a >= b, broadcasting.", kPureElementwise);
  addComparison(r, "And", 7, "Logical and, broadcasting.", commutative);
  addComparison(r, "Or", 7, "Logical or, broadcasting.", commutative);
  addComparison(r, "Xor", 7, "Logical exclusive or, broadcasting.", commutative);

  r.add({.domain = "", .name = "Where", .sinceVersion = 16,
         .summary = "Picks x where the condition holds, else y, broadcasting all three.",
         .minInputs = 3, .maxInputs = 3,
         .inferShapes = inferWhere,
         .traits = kPureElementwise});

  addVariadic(r, "Max", "Elementwise maximum of the inputs, broadcasting.");
  addVariadic(r, "Min", "Elementwise minimum of the inputs, broadcasting.");
  addVariadic(r, "Mean", "Elementwise mean of the inputs, broadcasting.");
  addVariadic(r, "Sum", "Elementwise sum of the inputs, broadcasting.");
}

}  // namespace kiln
