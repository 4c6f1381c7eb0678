// Activation functions, the single-axis Softmax family, and Dropout.

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

constexpr OpTrait kPureElementwise = OpTrait::Elementwise | OpTrait::Pure;

void addActivation(OpRegistry& r, const char* name, int version, const char* summary,
                   std::vector<AttrSpec> attrs = {}) {
  r.add({.domain = "", .name = name, .sinceVersion = version, .summary = summary,
         .minInputs = 1, .maxInputs = 1,
         .attributes = std::move(attrs),
         .inferShapes = inferSameAsInput,
         .traits = kPureElementwise});
}

/// Softmax, LogSoftmax, Hardmax (v13): one axis, default -1; the type is unchanged.
void addAxisNormalizer(OpRegistry& r, const char* name, const char* summary) {
  r.add({.domain = "", .name = name, .sinceVersion = 13, .summary = summary,
         .minInputs = 1, .maxInputs = 1,
         .attributes = {attrInt("axis", -1)},
         .inferShapes = [](InferenceContext& ctx) {
           const Shape shape = shapeOf(ctx.inputType(0));
           int64_t axis = ctx.node().intAttr("axis", -1);
           if (shape.isRanked() && !normalizeAxis(axis, static_cast<int64_t>(shape.rank())))
             return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " +
                              std::to_string(shape.rank()));
           return inferSameAsInput(ctx);
         },
         .traits = OpTrait::Pure});
}

Status inferDropout(InferenceContext& ctx) {
  KILN_RETURN_IF_ERROR(inferSameAsInput(ctx));
  ctx.setOutputType(1, Type::tensor(DType::Bool, shapeOf(ctx.inputType(0))));
  return Status::ok();
}

}  // namespace

void registerActivationOps(OpRegistry& r) {
  addActivation(r, "Sigmoid", 13, "1 / (1 + exp(-x)).");
  addActivation(r, "Relu", 14, "max(x, 0).");
  addActivation(r, "LeakyRelu", 16, "x if x >= 0 else alpha * x.", {attrFloat("alpha", 0.01f)});
  addActivation(r, "Elu", 6, "x if x >= 0 else alpha * (exp(x) - 1).", {attrFloat("alpha", 1.0f)});
  addActivation(r, "Selu", 6, "gamma * (x if x > 0 else alpha * (exp(x) - 1)).",
                {attrFloat("alpha", 1.67326319217681884765625f), attrFloat("gamma", 1.05070102214813232421875f)});
  addActivation(r, "Celu", 12, "max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).", {attrFloat("alpha", 1.0f)});
  addActivation(r, "Softplus", 1, "log(exp(x) + 1).");
  addActivation(r, "Softsign", 1, "x / (1 + |x|).");
  addActivation(r, "HardSigmoid", 6, "max(0, min(1, alpha * x + beta)).",
                {attrFloat("alpha", 0.2f), attrFloat("beta", 0.5f)});
  addActivation(r, "Shrink", 9, "x + bias if x < -lambd, x - bias if x > lambd, else 0.",
                {attrFloat("bias", 0.0f), attrFloat("lambd", 0.5f)});
  addActivation(r, "HardSwish", 14, "x * max(0, min(1, x / 6 + 1 / 2)).");
  addActivation(r, "Mish", 18, "x * tanh(softplus(x)).");
  addActivation(r, "Gelu", 20, "x * Phi(x); approximate = \"tanh\" uses the tanh approximation.",
                {attrString("approximate", "none")});
  addActivation(r, "ThresholdedRelu", 10, "x if x > alpha else 0.", {attrFloat("alpha", 1.0f)});
  r.add({.domain = "", .name = "PRelu", .sinceVersion = 16,
         .summary = "x if x >= 0 else slope * x; slope broadcasts to x.",
         .minInputs = 2, .maxInputs = 2,
         .inferShapes = inferSameAsInput,
         .traits = kPureElementwise});

  addAxisNormalizer(r, "Softmax", "exp(x) / sum(exp(x)) along one axis.");
  addAxisNormalizer(r, "LogSoftmax", "log(softmax(x)) along one axis.");
  addAxisNormalizer(r, "Hardmax", "1 at the first maximum along one axis, 0 elsewhere.");

  // Not Pure: with training_mode set it draws random masks.
  r.add({.domain = "", .name = "Dropout", .sinceVersion = 13,
         .summary = "Identity at inference; with training_mode, zeroes elements with probability ratio.",
         .minInputs = 1, .maxInputs = 3, .minOutputs = 1, .maxOutputs = 2,
         .attributes = {attrOptional("seed", AttrKind::Int)},
         .inferShapes = inferDropout});
}

}  // namespace kiln
