// Recurrent layers: LSTM, GRU and RNN (v14 form, with `layout`).

#include "ir/ops/families.h"
#include "ir/ops/op_helpers.h"

namespace kiln {
namespace {

using namespace ops;

/// Y: [seq, dirs, batch, hidden] ([batch, seq, dirs, hidden] with layout = 1); the final
/// states Y_h (and LSTM's Y_c): [dirs, batch, hidden] ([batch, dirs, hidden]).
Status inferRecurrent(InferenceContext& ctx, int64_t gates) {
  DType dtype = firstKnownDtype(ctx, {0, 1, 2});
  const Node& node = ctx.node();
  std::string direction = node.stringAttr("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return ctx.error("unknown direction '" + direction + "'");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  bool batchFirst = node.intAttr("layout", 0) == 1;

  const Shape x = shapeOf(ctx.inputType(0));
  const Shape w = shapeOf(ctx.inputType(1));
  const Shape rec = shapeOf(ctx.inputType(2));
  if (x.isRanked() && x.rank() != 3) return ctx.error("input must have rank 3, got " + x.str());
  for (const Shape* s : {&w, &rec}) {
    if (!s->isRanked()) continue;
    if (s->rank() != 3) return ctx.error(std::string(s == &w ? "W" : "R") + " must have rank 3, got " + s->str());
    if ((*s)[0].isStatic() && (*s)[0].value() != dirs)
      return ctx.error(std::string(s == &w ? "W" : "R") + " " + s->str() + " does not have " +
                       std::to_string(dirs) + " direction(s) for direction '" + direction + "'");
  }
  Dim hidden;
  if (const Attribute* a = node.attr("hidden_size"); a && a->kind() == AttrKind::Int) hidden = Dim(a->i());
  Dim fromR = rec.isRanked() ? rec[2] : Dim();
  if (hidden.isStatic() && fromR.isStatic() && hidden.value() != fromR.value())
    return ctx.error("hidden_size " + hidden.str() + " does not match R " + rec.str());
  if (hidden.isUnknown()) hidden = fromR;
  if (hidden.isUnknown() && w.isRanked()) hidden = exactDiv(w[1], Dim(gates));

  Dim seq = x.isRanked() ? x[batchFirst ? 1 : 0] : Dim();
  Dim batch = x.isRanked() ? x[batchFirst ? 0 : 1] : Dim();
  Shape y = batchFirst ? Shape({batch, seq, Dim(dirs), hidden}) : Shape({seq, Dim(dirs), batch, hidden});
  Shape state = batchFirst ? Shape({batch, Dim(dirs), hidden}) : Shape({Dim(dirs), batch, hidden});
  ctx.setOutputType(0, Type::tensor(dtype, y));
  for (size_t i = 1; i < ctx.node().numOutputs(); ++i) ctx.setOutputType(i, Type::tensor(dtype, state));
  return Status::ok();
}

std::vector<AttrSpec> recurrentAttributes(std::vector<std::string> defaultActivations) {
  return {attrOptional("activation_alpha", AttrKind::Floats), attrOptional("activation_beta", AttrKind::Floats),
          defaultActivations.empty() ? attrOptional("activations", AttrKind::Strings)
                                     : attrStrings("activations", std::move(defaultActivations)),
          attrOptional("clip", AttrKind::Float), attrString("direction", "forward"),
          attrOptional("hidden_size", AttrKind::Int), attrInt("layout", 0)};
}

}  // namespace

void registerRnnOps(OpRegistry& r) {
  std::vector<AttrSpec> lstmAttrs = recurrentAttributes({});
  lstmAttrs.insert(lstmAttrs.end() - 1, attrInt("input_forget", 0));  // before layout: sorted
  r.add({.domain = "", .name = "LSTM", .sinceVersion = 14,
         .summary = "Long short-term memory over a sequence; inputs X W R [B seq_lens h0 c0 P].",
         .minInputs = 3, .maxInputs = 8, .minOutputs = 0, .maxOutputs = 3,
         .attributes = std::move(lstmAttrs),
         .inferShapes = [](InferenceContext& ctx) { return inferRecurrent(ctx, 4); },
         .traits = OpTrait::Pure});
  std::vector<AttrSpec> gruAttrs = recurrentAttributes({});
  gruAttrs.push_back(attrInt("linear_before_reset", 0));
  r.add({.domain = "", .name = "GRU", .sinceVersion = 14,
         .summary = "Gated recurrent unit over a sequence; inputs X W R [B seq_lens h0].",
         .minInputs = 3, .maxInputs = 6, .minOutputs = 0, .maxOutputs = 2,
         .attributes = std::move(gruAttrs),
         .inferShapes = [](InferenceContext& ctx) { return inferRecurrent(ctx, 3); },
         .traits = OpTrait::Pure});
  r.add({.domain = "", .name = "RNN", .sinceVersion = 14,
         .summary = "Elman recurrent network over a sequence; inputs X W R [B seq_lens h0].",
         .minInputs = 3, .maxInputs = 6, .minOutputs = 0, .maxOutputs = 2,
         .attributes = recurrentAttributes({"Tanh", "Tanh"}),
         .inferShapes = [](InferenceContext& ctx) { return inferRecurrent(ctx, 1); },
         .traits = OpTrait::Pure});
}

}  // namespace kiln
