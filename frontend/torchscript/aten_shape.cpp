// Shapes and views: size/numel (kept as computed values), reshapes, permutations, expand,
// repeat, squeeze, concatenation, splits, slicing, indexing.

#include <limits>

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

using torch::jit::Node;

Expected<int64_t> rankOrError(LoweringContext& ctx, Value* v) {
  auto r = LoweringContext::rankOf(v);
  if (!r) return ctx.error("the input rank must be known");
  return *r;
}

int64_t normalized(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

// size(self, dim) -> Gather(Shape(self), dim): stays dynamic; size(self) -> Shape(self)
Status lowerSize(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  Value* shape = ctx.emit("Shape", {*x});
  if (n.inputs().size() == 1) {
    ctx.define(n.output(), shape);
    return Status::ok();
  }
  auto dim = ctx.tensor(n.input(1));
  if (!dim) return dim.takeStatus();
  ctx.define(n.output(), ctx.emit("Gather", {shape, ctx.cast(*dim, DType::Int64)}, {{"axis", int64_t{0}}}));
  return Status::ok();
}

Status lowerNumel(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  ctx.define(n.output(), ctx.emit("Size", {*x}));
  return Status::ok();
}

Status lowerReshape(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto shape = ctx.intList(n.input(1));
  if (!x) return x.takeStatus();
  if (!shape) return shape.takeStatus();
  ctx.define(n.output(), ctx.emit("Reshape", {*x, *shape}));
  return Status::ok();
}

Status lowerViewAs(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 1});
  if (!xs) return xs.takeStatus();
  ctx.define(n.output(), ctx.emit("Reshape", {(*xs)[0], ctx.emit("Shape", {(*xs)[1]})}));
  return Status::ok();
}

// flatten(self, start, end): Reshape to shape[:start] + [-1] + shape[end+1:]
Status lowerFlatten(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  auto rank = rankOrError(ctx, *x);
  auto start = ctx.constInt(n.input(1));
  auto end = ctx.constInt(n.input(2));
  if (!rank) return rank.takeStatus();
  if (!start) return start.takeStatus();
  if (!end) return end.takeStatus();
  if (*rank == 0) {
    ctx.define(n.output(), ctx.emit("Reshape", {*x, ctx.i64s({1})}));
    return Status::ok();
  }
  int64_t s = normalized(*start, *rank), e = normalized(*end, *rank);
  Value* shape = ctx.emit("Shape", {*x});
  std::vector<Value*> parts;
  if (s > 0) parts.push_back(ctx.emit("Slice", {shape, ctx.i64s({0}), ctx.i64s({s})}));
  parts.push_back(ctx.i64s({-1}));
  if (e + 1 < *rank) parts.push_back(ctx.emit("Slice", {shape, ctx.i64s({e + 1}), ctx.i64s({*rank})}));
  Value* target = parts.size() == 1 ? parts[0] : ctx.emit("Concat", parts, {{"axis", int64_t{0}}});
  ctx.define(n.output(), ctx.emit("Reshape", {*x, target}));
  return Status::ok();
}

Status lowerPermute(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto dims = ctx.constInts(n.input(1));
  if (!x) return x.takeStatus();
  if (!dims) return dims.takeStatus();
  int64_t rank = static_cast<int64_t>(dims->size());
  for (int64_t& d : *dims) d = normalized(d, rank);
  ctx.define(n.output(), ctx.emit("Transpose", {*x}, {{"perm", *dims}}));
  return Status::ok();
}

Status emitSwap(LoweringContext& ctx, const Node& n, Value* x, int64_t a, int64_t b) {
  auto rank = rankOrError(ctx, x);
  if (!rank) return rank.takeStatus();
  if (*rank < 2) {
    ctx.define(n.output(), x);
    return Status::ok();
  }
  std::vector<int64_t> perm(*rank);
  for (int64_t i = 0; i < *rank; ++i) perm[i] = i;
  std::swap(perm[normalized(a, *rank)], perm[normalized(b, *rank)]);
  ctx.define(n.output(), ctx.emit("Transpose", {x}, {{"perm", perm}}));
  return Status::ok();
}

Status lowerTranspose(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto a = ctx.constInt(n.input(1));
  auto b = ctx.constInt(n.input(2));
  if (!x) return x.takeStatus();
  if (!a) return a.takeStatus();
  if (!b) return b.takeStatus();
  return emitSwap(ctx, n, *x, *a, *b);
}

Status lowerT(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  return emitSwap(ctx, n, *x, 0, 1);
}

// expand(self, size): a -1 keeps the input's size; Expand's broadcasting does that for 1.
Status lowerExpand(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto shape = ctx.intList(n.input(1), /*minusOneAsOne=*/true);
  if (!x) return x.takeStatus();
  if (!shape) return shape.takeStatus();
  ctx.define(n.output(), ctx.emit("Expand", {*x, *shape}));
  return Status::ok();
}

Status lowerExpandAs(LoweringContext& ctx, const Node& n) {
  auto xs = lowerInputs(ctx, n, {0, 1});
  if (!xs) return xs.takeStatus();
  ctx.define(n.output(), ctx.emit("Expand", {(*xs)[0], ctx.emit("Shape", {(*xs)[1]})}));
  return Status::ok();
}

// repeat(self, repeats): Tile, after adding the leading axes repeats has beyond self's rank.
Status lowerRepeat(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto reps = ctx.intList(n.input(1));
  if (!x) return x.takeStatus();
  if (!reps) return reps.takeStatus();
  auto rank = rankOrError(ctx, *x);
  if (!rank) return rank.takeStatus();
  auto count = LoweringContext::staticDim(*reps, 0);
  if (!count) return ctx.error("the number of repeats must be static");
  Value* in = *x;
  if (*count > *rank) {
    std::vector<int64_t> axes;
    for (int64_t i = 0; i < *count - *rank; ++i) axes.push_back(i);
    in = ctx.emit("Unsqueeze", {in, ctx.i64s(axes)});
  }
  ctx.define(n.output(), ctx.emit("Tile", {in, *reps}));
  return Status::ok();
}

// squeeze(self) / squeeze(self, dim): PyTorch leaves a dim that is not 1 alone.
Status lowerSqueeze(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  if (n.inputs().size() == 1) {
    ctx.define(n.output(), ctx.emit("Squeeze", {*x}));
    return Status::ok();
  }
  auto dims = ctx.constInts(n.input(1));
  if (!dims) return dims.takeStatus();
  std::vector<int64_t> axes;
  for (int64_t d : *dims) {
    auto size = LoweringContext::staticDim(*x, d);
    if (size && *size != 1) continue;
    axes.push_back(d);
  }
  ctx.define(n.output(), axes.empty() ? *x : ctx.emit("Squeeze", {*x, ctx.i64s(axes)}));
  return Status::ok();
}

Status lowerUnsqueeze(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto dim = ctx.constInt(n.input(1));
  if (!x) return x.takeStatus();
  if (!dim) return dim.takeStatus();
  ctx.define(n.output(), ctx.emit("Unsqueeze", {*x, ctx.i64s({*dim})}));
  return Status::ok();
}

/// cat / stack: operands promoted to one dtype (PyTorch's cat promotes).
Status lowerCat(LoweringContext& ctx, const Node& n, bool stack) {
  auto list = ctx.tensorList(n.input(0));
  auto dim = ctx.constInt(n.input(1));
  if (!list) return list.takeStatus();
  if (!dim) return dim.takeStatus();
  std::vector<const torch::jit::Value*> members(n.input(0)->node()->inputs().begin(), n.input(0)->node()->inputs().end());
  DType dtype = DType::Undefined;
  if (n.input(0)->node()->kind() == c10::prim::ListConstruct) {
    auto d = promotedDType(ctx, members);
    if (!d) return d.takeStatus();
    dtype = *d;
  }
  std::vector<Value*> parts;
  for (Value* v : *list) {
    Value* p = ctx.cast(v, dtype);
    if (stack) p = ctx.emit("Unsqueeze", {p, ctx.i64s({*dim})});
    parts.push_back(p);
  }
  // For stack, a negative dim counts in the stacked rank, which Unsqueeze already made.
  ctx.define(n.output(), parts.size() == 1 ? parts[0] : ctx.emit("Concat", parts, {{"axis", *dim}}));
  return Status::ok();
}

/// The pieces of a split along `dim` with static `sizes`.
Status emitSplit(LoweringContext& ctx, const Node& n, Value* x, int64_t dim, const std::vector<int64_t>& sizes,
                 bool squeeze) {
  kiln::Node* split = ctx.emitNode("Split", {x, ctx.i64s(sizes)}, {{"axis", dim}}, sizes.size());
  std::vector<Value*> pieces;
  for (size_t i = 0; i < sizes.size(); ++i) {
    Value* p = split->output(i);
    if (squeeze) p = ctx.emit("Squeeze", {p, ctx.i64s({dim})});
    pieces.push_back(p);
  }
  if (n.outputs().size() == 1 && n.output()->type()->kind() == c10::TypeKind::ListType) {
    ctx.defineList(n.output(), std::move(pieces));
  } else {
    if (n.outputs().size() != pieces.size()) return ctx.error("split into an unexpected number of outputs");
    for (size_t i = 0; i < pieces.size(); ++i) ctx.define(n.output(i), pieces[i]);
  }
  return Status::ok();
}

Expected<int64_t> staticAxisSize(LoweringContext& ctx, Value* x, int64_t dim) {
  auto size = LoweringContext::staticDim(x, dim);
  if (!size) return ctx.error("the size of the split axis must be static");
  return *size;
}

// split(self, split_size | sizes, dim), split_with_sizes, chunk(self, chunks, dim), unbind(self, dim)
Status lowerSplit(LoweringContext& ctx, const Node& n) {
  std::string kind = n.kind().toUnqualString();
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  auto dim = ctx.constInt(n.input(kind == "unbind" ? 1 : 2));
  if (!dim) return dim.takeStatus();
  auto total = staticAxisSize(ctx, *x, *dim);
  if (!total) return total.takeStatus();
  std::vector<int64_t> sizes;
  if (kind == "unbind") {
    sizes.assign(*total, 1);
    return emitSplit(ctx, n, *x, *dim, sizes, true);
  }
  auto arg = ctx.constantOf(n.input(1));
  if (arg && arg->isIntList()) {
    sizes = arg->toIntVector();
  } else {
    auto k = ctx.constInt(n.input(1));
    if (!k) return k.takeStatus();
    if (*k <= 0) return ctx.error("split size must be positive");
    // chunk(k): pieces of ceil(total / k); split(s): pieces of s; the last one is smaller.
    int64_t piece = kind == "chunk" || kind == "unsafe_chunk" ? (*total + *k - 1) / *k : *k;
    for (int64_t done = 0; done < *total; done += piece) sizes.push_back(std::min(piece, *total - done));
  }
  return emitSplit(ctx, n, *x, *dim, sizes, false);
}

Value* boundVector(LoweringContext& ctx, Value* v) { return ctx.toVector(v); }

// slice(self, dim, start?, end?, step)
Status lowerSlice(LoweringContext& ctx, const Node& n) {
  if (n.input(0)->type()->kind() == c10::TypeKind::ListType) return ctx.error("slicing a list is not supported");
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  auto dim = ctx.constInt(n.input(1));
  auto step = ctx.constInt(n.input(4));
  if (!dim) return dim.takeStatus();
  if (!step) return step.takeStatus();
  auto bound = [&](size_t i, int64_t fallback) -> Expected<Value*> {
    if (ctx.isNone(n.input(i))) return ctx.i64s({fallback});
    auto b = ctx.tensor(n.input(i));
    if (!b) return b.takeStatus();
    return boundVector(ctx, *b);
  };
  auto start = bound(2, 0);
  auto end = bound(3, std::numeric_limits<int64_t>::max());
  if (!start) return start.takeStatus();
  if (!end) return end.takeStatus();
  ctx.define(n.output(), ctx.emit("Slice", {*x, *start, *end, ctx.i64s({*dim}), ctx.i64s({*step})}));
  return Status::ok();
}

/// select(self, dim, index) -> Gather (a 0-D index drops the axis);
/// gather(self, dim, index, sparse_grad) -> GatherElements.
AtenConverter gatherAlong(std::string op) {
  return [op](LoweringContext& ctx, const Node& n) -> Status {
    auto x = ctx.tensor(n.input(0));
    auto dim = ctx.constInt(n.input(1));
    auto index = ctx.tensor(n.input(2));
    if (!x) return x.takeStatus();
    if (!dim) return dim.takeStatus();
    if (!index) return index.takeStatus();
    ctx.define(n.output(), ctx.emit(op, {*x, ctx.cast(*index, DType::Int64)}, {{"axis", *dim}}));
    return Status::ok();
  };
}

// narrow(self, dim, start, length) = slice(self, dim, start, start + length)
Status lowerNarrow(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto dim = ctx.constInt(n.input(1));
  auto start = ctx.tensor(n.input(2));
  auto length = ctx.tensor(n.input(3));
  if (!x) return x.takeStatus();
  if (!dim) return dim.takeStatus();
  if (!start) return start.takeStatus();
  if (!length) return length.takeStatus();
  Value* s = boundVector(ctx, *start);
  Value* e = ctx.emit("Add", {s, boundVector(ctx, *length)});
  ctx.define(n.output(), ctx.emit("Slice", {*x, s, e, ctx.i64s({*dim})}));
  return Status::ok();
}

// index(self, indices): one integer index tensor (advanced indexing on one axis) is a Gather.
Status lowerIndex(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  auto indices = ctx.tensorList(n.input(1));
  if (!x) return x.takeStatus();
  if (!indices) return indices.takeStatus();
  int64_t axis = -1;
  for (size_t i = 0; i < indices->size(); ++i) {
    if (!(*indices)[i]) continue;
    if (axis >= 0) return ctx.error("indexing with several index tensors is not supported");
    axis = static_cast<int64_t>(i);
  }
  if (axis < 0) return ctx.error("indexing without an index tensor");
  Value* idx = (*indices)[axis];
  if (idx->dtype() == DType::Bool || idx->dtype() == DType::UInt8)
    return ctx.error("boolean mask indexing is data-dependent and not supported");
  ctx.define(n.output(), ctx.emit("Gather", {*x, ctx.cast(idx, DType::Int64)}, {{"axis", axis}}));
  return Status::ok();
}

Status lowerDim(LoweringContext& ctx, const Node& n) {
  auto x = ctx.tensor(n.input(0));
  if (!x) return x.takeStatus();
  auto rank = rankOrError(ctx, *x);
  if (!rank) return rank.takeStatus();
  ctx.define(n.output(), ctx.i64(*rank));
  return Status::ok();
}

/// prim::ListUnpack / TupleUnpack: of a Tensor[] (split pieces, list literals) or an int[].
Status lowerUnpack(LoweringContext& ctx, const Node& n) {
  const torch::jit::Value* list = n.input(0);
  auto elem = list->type()->kind() == c10::TypeKind::ListType
                  ? list->type()->castRaw<c10::ListType>()->getElementType()->kind()
                  : c10::TypeKind::TensorType;
  if (elem == c10::TypeKind::IntType) {
    auto v = ctx.intList(list);
    if (!v) return v.takeStatus();
    for (size_t i = 0; i < n.outputs().size(); ++i)
      ctx.define(n.output(i), ctx.emit("Gather", {*v, ctx.i64(int64_t(i))}, {{"axis", int64_t{0}}}));
    return Status::ok();
  }
  auto items = ctx.tensorList(list);
  if (!items) return items.takeStatus();
  if (items->size() != n.outputs().size()) return ctx.error("unpacks a list of a different length");
  for (size_t i = 0; i < items->size(); ++i) ctx.define(n.output(i), (*items)[i]);
  return Status::ok();
}

}  // namespace

void registerShapeConverters(ConverterTable& t) {
  t["aten::size"] = lowerSize;
  t["aten::numel"] = lowerNumel;
  t["aten::dim"] = lowerDim;
  t["aten::view"] = lowerReshape;
  t["aten::reshape"] = lowerReshape;
  t["aten::_reshape_alias"] = lowerReshape;
  t["aten::view_as"] = lowerViewAs;
  t["aten::reshape_as"] = lowerViewAs;
  t["aten::flatten"] = lowerFlatten;
  t["aten::permute"] = lowerPermute;
  t["aten::transpose"] = lowerTranspose;
  t["aten::t"] = lowerT;
  t["aten::expand"] = lowerExpand;
  t["aten::expand_as"] = lowerExpandAs;
  t["aten::repeat"] = lowerRepeat;
  t["aten::squeeze"] = lowerSqueeze;
  t["aten::unsqueeze"] = lowerUnsqueeze;
  t["aten::cat"] = [](LoweringContext& ctx, const Node& n) { return lowerCat(ctx, n, false); };
  t["aten::concat"] = t["aten::cat"];
  t["aten::stack"] = [](LoweringContext& ctx, const Node& n) { return lowerCat(ctx, n, true); };
  for (const char* op : {"aten::split", "aten::split_with_sizes", "aten::unsafe_split", "aten::unsafe_split_with_sizes",
                         "aten::chunk", "aten::unsafe_chunk", "aten::unbind"})
    t[op] = lowerSplit;
  t["aten::slice"] = lowerSlice;
  t["aten::select"] = gatherAlong("Gather");
  t["aten::narrow"] = lowerNarrow;
  t["aten::index"] = lowerIndex;
  t["aten::gather"] = gatherAlong("GatherElements");
  t["prim::ListUnpack"] = lowerUnpack;
  t["prim::TupleUnpack"] = lowerUnpack;
}

}  // namespace kiln::torchscript
