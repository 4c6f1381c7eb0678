#include "ir/ops/families.h"

namespace kiln {

void registerControlFlowOps(OpRegistry& registry) {
  registry.add({.domain = "", .name = "Constant", .sinceVersion = 19,
                .summary = "A constant tensor (canonical form: the `value` attribute).",
                .minInputs = 0, .maxInputs = 0,
                .attributes = {{"value", AttrKind::Tensor, true, std::nullopt}},
                .inferShapes = [](InferenceContext& ctx) {
                  const Tensor& t = ctx.node().attr("value")->t();
                  std::vector<Dim> dims(t.dims().begin(), t.dims().end());
                  ctx.setOutputType(0, Type::tensor(t.dtype(), Shape(dims)));
                  return Status::ok();
                },
                .traits = OpTrait::Pure});
}

}  // namespace kiln
