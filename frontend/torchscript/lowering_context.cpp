#include "frontend/torchscript/lowering_context.h"

#include <limits>

#include "frontend/torchscript/tensor_conversion.h"
#include "ir/op_registry.h"

namespace kiln::torchscript {

void LoweringContext::setCurrent(const torch::jit::Node* node, std::string location) {
  current_ = node;
  location_ = std::move(location);
}

Node* LoweringContext::emitNode(const std::string& op, std::vector<Value*> inputs,
                                std::vector<std::pair<std::string, Attribute>> attrs, size_t numOutputs) {
  Node* n = graph_->createNode("", op, std::move(inputs));
  std::string base = current_ ? std::string(current_->kind().toUnqualString()) : op;
  n->setName(base + "_" + std::to_string(nodeCount_++));
  n->location() = Location{file_, location_, {}};
  n->setSchema(OpRegistry::builtin().lookup("", op));
  for (auto& [name, a] : attrs) n->setAttr(std::move(name), std::move(a));
  for (size_t i = 0; i < numOutputs; ++i) n->addOutput(n->name() + (i ? "_" + std::to_string(i) : ""));
  // Inference failures surface again, with context, in the pipeline's shape-infer pass; here
  // types only help converters choose (dtype promotion, ranks).
  (void)session_.inferNode(*n);
  return n;
}

Value* LoweringContext::constant(Tensor t) {
  Type type = Type::tensor(t.dtype(), Shape(std::vector<Dim>(t.dims().begin(), t.dims().end())));
  Node* n = graph_->createNode("", "Constant", {});
  n->setName("const_" + std::to_string(nodeCount_++));
  n->location() = Location{file_, location_, {}};
  n->setSchema(OpRegistry::builtin().lookup("", "Constant"));
  n->setAttr("value", Attribute(std::move(t)));
  return n->addOutput(n->name(), std::move(type));
}

Value* LoweringContext::i64s(const std::vector<int64_t>& values) {
  return constant(Tensor::fromVector<int64_t>(DType::Int64, {static_cast<int64_t>(values.size())}, values));
}

Value* LoweringContext::i64(int64_t value) { return constant(Tensor::fromVector<int64_t>(DType::Int64, {}, {value})); }

Value* LoweringContext::scalar(double value, DType dtype) {
  if (dtype == DType::Int64) return i64(static_cast<int64_t>(value));
  if (dtype == DType::Float64) return constant(Tensor::fromVector<double>(DType::Float64, {}, {value}));
  Value* f = constant(Tensor::fromVector<float>(DType::Float32, {}, {static_cast<float>(value)}));
  return cast(f, dtype);
}

Value* LoweringContext::cast(Value* v, DType dtype) {
  if (v->dtype() == dtype || dtype == DType::Undefined) return v;
  return emit("Cast", {v}, {{"to", static_cast<int64_t>(dtype)}});
}

Value* LoweringContext::toVector(Value* v) {
  if (rankOf(v) == 1) return v;
  return emit("Reshape", {cast(v, DType::Int64), i64s({1})});
}

std::optional<int64_t> LoweringContext::rankOf(const Value* v) {
  if (!v->type().isTensor() || !v->shape().isRanked()) return std::nullopt;
  return static_cast<int64_t>(v->shape().rank());
}

std::optional<int64_t> LoweringContext::staticDim(const Value* v, int64_t axis) {
  auto rank = rankOf(v);
  if (!rank) return std::nullopt;
  if (axis < 0) axis += *rank;
  if (axis < 0 || axis >= *rank) return std::nullopt;
  const Dim& d = v->shape()[axis];
  return d.isStatic() ? std::optional<int64_t>(d.value()) : std::nullopt;
}

PromotionRole LoweringContext::roleOf(const torch::jit::Value* tv, const Value* v) const {
  auto kind = tv->type()->kind();
  if (kind == c10::TypeKind::IntType || kind == c10::TypeKind::FloatType || kind == c10::TypeKind::BoolType ||
      kind == c10::TypeKind::NumberType)
    return PromotionRole::Number;
  return rankOf(v) == 0 ? PromotionRole::ZeroDim : PromotionRole::Tensor;
}

bool LoweringContext::isNone(const torch::jit::Value* tv) const {
  return tv->type()->kind() == c10::TypeKind::NoneType ||
         (tv->node()->kind() == c10::prim::Constant && !tv->node()->hasAttributes() &&
          tv->type()->kind() == c10::TypeKind::OptionalType);
}

std::optional<c10::IValue> LoweringContext::constantOf(const torch::jit::Value* tv) const {
  return torch::jit::toIValue(tv);
}

Expected<int64_t> LoweringContext::constInt(const torch::jit::Value* tv) const {
  auto iv = constantOf(tv);
  if (iv && iv->isInt()) return iv->toInt();
  if (iv && iv->isBool()) return int64_t(iv->toBool());
  return error("argument '" + tv->debugName() + "' must be a constant int");
}

Expected<double> LoweringContext::constDouble(const torch::jit::Value* tv) const {
  auto iv = constantOf(tv);
  if (iv && iv->isDouble()) return iv->toDouble();
  if (iv && iv->isInt()) return double(iv->toInt());
  if (iv && iv->isBool()) return double(iv->toBool());
  return error("argument '" + tv->debugName() + "' must be a constant number");
}

Expected<bool> LoweringContext::constBool(const torch::jit::Value* tv) const {
  auto iv = constantOf(tv);
  if (iv && iv->isBool()) return iv->toBool();
  if (iv && iv->isInt()) return iv->toInt() != 0;
  return error("argument '" + tv->debugName() + "' must be a constant bool");
}

Expected<std::vector<int64_t>> LoweringContext::constInts(const torch::jit::Value* tv) const {
  auto iv = constantOf(tv);
  if (iv && iv->isIntList()) return iv->toIntVector();
  if (iv && iv->isInt()) return std::vector<int64_t>{iv->toInt()};
  return error("argument '" + tv->debugName() + "' must be a constant int list");
}

Expected<std::string> LoweringContext::constString(const torch::jit::Value* tv) const {
  auto iv = constantOf(tv);
  if (iv && iv->isString()) return iv->toStringRef();
  return error("argument '" + tv->debugName() + "' must be a constant string");
}

Expected<std::optional<DType>> LoweringContext::constDType(const torch::jit::Value* tv) const {
  if (isNone(tv)) return std::optional<DType>();
  auto iv = constantOf(tv);
  if (iv && iv->isNone()) return std::optional<DType>();
  if (!iv || !iv->isInt()) return error("argument '" + tv->debugName() + "' must be a constant dtype");
  auto d = dtypeFromTorch(static_cast<c10::ScalarType>(iv->toInt()));
  if (!d) return error(std::string("dtype ") + c10::toString(static_cast<c10::ScalarType>(iv->toInt())) + " is not supported");
  return std::optional<DType>(*d);
}

Value* LoweringContext::materializeConstant(const torch::jit::Value* tv, const c10::IValue& iv) {
  if (iv.isTensor()) {
    auto t = tensorFromTorch(iv.toTensor());
    return t ? constant(t.take()) : nullptr;
  }
  if (iv.isDouble()) return constant(Tensor::fromVector<float>(DType::Float32, {}, {float(iv.toDouble())}));
  if (iv.isInt()) return i64(iv.toInt());
  if (iv.isBool()) return constant(Tensor::fromVector<uint8_t>(DType::Bool, {}, {uint8_t(iv.toBool())}));
  if (iv.isIntList()) return i64s(iv.toIntVector());
  if (iv.isDoubleList()) {
    std::vector<float> f;
    for (double d : iv.toDoubleVector()) f.push_back(float(d));
    return constant(Tensor::fromVector<float>(DType::Float32, {int64_t(f.size())}, f));
  }
  (void)tv;
  return nullptr;
}

Expected<Value*> LoweringContext::tensor(const torch::jit::Value* tv) {
  if (auto it = values_.find(tv); it != values_.end()) return it->second;
  if (tv->type()->kind() == c10::TypeKind::ListType &&
      tv->type()->castRaw<c10::ListType>()->getElementType()->kind() == c10::TypeKind::IntType)
    return intList(tv);
  if (auto iv = constantOf(tv)) {
    if (Value* v = materializeConstant(tv, *iv)) {
      values_[tv] = v;
      return v;
    }
    return error("constant '" + tv->debugName() + "' of type " + tv->type()->repr_str() + " cannot be used as a tensor");
  }
  return error("value '" + tv->debugName() + "' (" + tv->type()->repr_str() + ", from " +
               tv->node()->kind().toQualString() + ") has no lowering");
}

Expected<std::vector<Value*>> LoweringContext::tensorList(const torch::jit::Value* tv) {
  if (auto it = lists_.find(tv); it != lists_.end()) return it->second;
  const torch::jit::Node* n = tv->node();
  if (n->kind() != c10::prim::ListConstruct) {
    if (auto iv = constantOf(tv); iv && iv->isList()) {
      // A folded Tensor[] or Tensor?[] (index lists with None entries).
      std::vector<Value*> out;
      for (const c10::IValue& item : iv->toListRef()) {
        if (item.isNone()) {
          out.push_back(nullptr);
          continue;
        }
        if (!item.isTensor()) return error("list '" + tv->debugName() + "' holds a non-tensor");
        auto kt = tensorFromTorch(item.toTensor());
        if (!kt) return kt.takeStatus();
        out.push_back(constant(kt.take()));
      }
      lists_[tv] = out;
      return out;
    }
    return error("list '" + tv->debugName() + "' from " + n->kind().toQualString() + " is not supported");
  }
  std::vector<Value*> out;
  for (const torch::jit::Value* in : n->inputs()) {
    if (isNone(in)) {
      out.push_back(nullptr);
      continue;
    }
    auto v = tensor(in);
    if (!v) return v.takeStatus();
    out.push_back(*v);
  }
  lists_[tv] = out;
  return out;
}

Expected<Value*> LoweringContext::intList(const torch::jit::Value* tv, bool minusOneAsOne) {
  auto adjust = [minusOneAsOne](int64_t v) { return minusOneAsOne && v == -1 ? int64_t{1} : v; };
  if (!minusOneAsOne)
    if (auto it = values_.find(tv); it != values_.end()) return it->second;
  if (auto iv = constantOf(tv); iv && (iv->isIntList() || iv->isInt())) {
    std::vector<int64_t> ints = iv->isInt() ? std::vector<int64_t>{iv->toInt()} : iv->toIntVector();
    for (int64_t& d : ints) d = adjust(d);
    Value* v = i64s(ints);
    if (!minusOneAsOne) values_[tv] = v;
    return v;
  }
  const torch::jit::Node* n = tv->node();
  if (n->kind() != c10::prim::ListConstruct) return error("int list '" + tv->debugName() + "' is not supported");
  // Constant runs stay one constant; dynamic sizes (aten::size results) stay computed.
  std::vector<Value*> parts;
  std::vector<int64_t> run;
  auto flush = [&] {
    if (!run.empty()) parts.push_back(i64s(run));
    run.clear();
  };
  for (const torch::jit::Value* in : n->inputs()) {
    if (auto iv = constantOf(in); iv && iv->isInt()) {
      run.push_back(adjust(iv->toInt()));
      continue;
    }
    flush();
    auto v = tensor(in);
    if (!v) return v.takeStatus();
    parts.push_back(toVector(*v));
  }
  flush();
  Value* out = parts.size() == 1 ? parts[0] : emit("Concat", parts, {{"axis", int64_t{0}}});
  if (!minusOneAsOne) values_[tv] = out;
  return out;
}

Status LoweringContext::error(const std::string& message) const {
  Diagnostic d{.file = file_, .message = message};
  if (current_) {
    d.op = current_->kind().toQualString();
    d.node = location_.empty() ? d.op : location_;
  }
  return Status(std::move(d));
}

}  // namespace kiln::torchscript
