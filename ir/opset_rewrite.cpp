#include "ir/opset_rewrite.h"

#include <algorithm>
#include <cstring>

#include "ir/float16.h"
#include "ir/op_registry.h"

namespace kiln::opset {

// ---- names -----------------------------------------------------------------------------

namespace {
void collectNames(const Graph& g, std::unordered_set<std::string>& used) {
  for (Value* v : g.inputs()) used.insert(v->name());
  for (Node* n : g.nodes()) {
    if (!n->name().empty()) used.insert(n->name());
    for (size_t i = 0; i < n->numOutputs(); ++i)
      if (Value* o = n->output(i)) used.insert(o->name());
    for (Graph* sub : n->subgraphs()) collectNames(*sub, used);
  }
}
}  // namespace

NameGen::NameGen(const Model& model) {
  collectNames(*model.graph, used_);
  for (const auto& f : model.functions)
    if (f.body) collectNames(*f.body, used_);
}

std::string NameGen::fresh(std::string_view base) {
  std::string name(base.empty() ? "v" : base);
  if (used_.insert(name).second) return name;
  for (int i = 1;; ++i) {
    std::string candidate = name + "_" + std::to_string(i);
    if (used_.insert(candidate).second) return candidate;
  }
}

// ---- reading ---------------------------------------------------------------------------

const Tensor* constantTensor(const Value* v) {
  if (!v || !v->producer()) return nullptr;
  const Node* p = v->producer();
  if (!(p->domain().empty() || p->domain() == "ai.onnx") || p->opType() != "Constant") return nullptr;
  const Attribute* a = p->attr("value");
  if (!a || a->kind() != AttrKind::Tensor || !a->t().hasData() || a->t().isElided()) return nullptr;
  return &a->t();
}

std::optional<std::vector<int64_t>> constantInts(const Value* v) {
  const Tensor* t = constantTensor(v);
  if (!t || !isInteger(t->dtype())) return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(t->numElements()));
  for (int64_t k = 0; k < t->numElements(); ++k) out.push_back(t->scalarAsInt(k));
  return out;
}

std::optional<std::vector<double>> constantDoubles(const Value* v) {
  const Tensor* t = constantTensor(v);
  if (!t || !(isFloat(t->dtype()) || isInteger(t->dtype()) || t->dtype() == DType::Bool)) return std::nullopt;
  std::vector<double> out;
  out.reserve(static_cast<size_t>(t->numElements()));
  for (int64_t k = 0; k < t->numElements(); ++k) out.push_back(t->scalarAsDouble(k));
  return out;
}

std::optional<int64_t> knownRank(const Value* v) {
  if (!v) return std::nullopt;
  if (const Tensor* t = constantTensor(v)) return static_cast<int64_t>(t->rank());
  if (!v->type().isTensor() || !v->shape().isRanked()) return std::nullopt;
  return static_cast<int64_t>(v->shape().rank());
}

DType knownDType(const Value* v) {
  if (!v) return DType::Undefined;
  if (v->type().isTensor() && v->dtype() != DType::Undefined) return v->dtype();
  if (const Tensor* t = constantTensor(v)) return t->dtype();
  return DType::Undefined;
}

std::optional<std::vector<int64_t>> staticDims(const Value* v) {
  if (!v) return std::nullopt;
  if (const Tensor* t = constantTensor(v)) return t->dims();
  if (!v->type().isTensor()) return std::nullopt;
  return v->shape().staticDims();
}

const Attribute* rawAttr(const Node& n, std::string_view name) { return n.attributes().find(name); }

int64_t rawInt(const Node& n, std::string_view name, int64_t fallback) {
  const Attribute* a = rawAttr(n, name);
  return a && a->kind() == AttrKind::Int ? a->i() : fallback;
}

float rawFloat(const Node& n, std::string_view name, float fallback) {
  const Attribute* a = rawAttr(n, name);
  if (a && a->kind() == AttrKind::Float) return a->f();
  if (a && a->kind() == AttrKind::Int) return static_cast<float>(a->i());
  return fallback;
}

std::string rawString(const Node& n, std::string_view name, std::string_view fallback) {
  const Attribute* a = rawAttr(n, name);
  return a && a->kind() == AttrKind::String ? a->s() : std::string(fallback);
}

std::optional<std::vector<int64_t>> rawInts(const Node& n, std::string_view name) {
  const Attribute* a = rawAttr(n, name);
  if (!a) return std::nullopt;
  if (a->kind() == AttrKind::Ints) return a->ints();
  if (a->kind() == AttrKind::Int) return std::vector<int64_t>{a->i()};
  return std::nullopt;
}

std::optional<std::vector<float>> rawFloats(const Node& n, std::string_view name) {
  const Attribute* a = rawAttr(n, name);
  if (!a) return std::nullopt;
  if (a->kind() == AttrKind::Floats) return a->floats();
  if (a->kind() == AttrKind::Float) return std::vector<float>{a->f()};
  return std::nullopt;
}

// ---- building --------------------------------------------------------------------------

Tensor int64Tensor(const std::vector<int64_t>& values, bool scalar) {
  std::vector<int64_t> dims;
  if (!scalar) dims.push_back(static_cast<int64_t>(values.size()));
  return Tensor::fromVector(DType::Int64, dims, values);
}

Tensor floatTensor(const std::vector<float>& values, bool scalar) {
  std::vector<int64_t> dims;
  if (!scalar) dims.push_back(static_cast<int64_t>(values.size()));
  return Tensor::fromVector(DType::Float32, dims, values);
}

std::optional<Tensor> numericTensor(DType dtype, std::vector<int64_t> dims, std::span<const double> values) {
  if (!(isFloat(dtype) || isInteger(dtype) || dtype == DType::Bool)) return std::nullopt;
  Tensor t = Tensor::zeros(dtype, std::move(dims));
  if (t.numElements() != static_cast<int64_t>(values.size())) return std::nullopt;
  std::byte* out = t.mutableRawData();
  size_t size = dtypeSize(dtype);
  for (size_t i = 0; i < values.size(); ++i) {
    double x = values[i];
    std::byte* p = out + i * size;
    auto store = [p]<typename T>(T v) { std::memcpy(p, &v, sizeof(T)); };
    switch (dtype) {
      case DType::Float32: store(static_cast<float>(x)); break;
      case DType::Float64: store(x); break;
      case DType::Float16: store(floatToHalf(static_cast<float>(x))); break;
      case DType::BFloat16: store(floatToBfloat16(static_cast<float>(x))); break;
      case DType::Int8: store(static_cast<int8_t>(x)); break;
      case DType::Int16: store(static_cast<int16_t>(x)); break;
      case DType::Int32: store(static_cast<int32_t>(x)); break;
      case DType::Int64: store(static_cast<int64_t>(x)); break;
      case DType::UInt8: store(static_cast<uint8_t>(x)); break;
      case DType::UInt16: store(static_cast<uint16_t>(x)); break;
      case DType::UInt32: store(static_cast<uint32_t>(x)); break;
      case DType::UInt64: store(static_cast<uint64_t>(x)); break;
      case DType::Bool: store(static_cast<uint8_t>(x != 0)); break;
      default: return std::nullopt;
    }
  }
  return t;
}

Builder::Builder(NameGen& names, Node* anchor) : names_(names), anchor_(anchor) {
  KILN_ASSERT(anchor && anchor->graph());
  base_ = anchor->name();
  if (base_.empty() && anchor->numOutputs() > 0 && anchor->output(0)) base_ = anchor->output(0)->name();
  if (base_.empty()) base_ = anchor->opType();
}

Value* Builder::constant(Tensor t, std::string_view hint) {
  Node* c = graph().createNode("", "Constant", {}, anchor_);
  c->setSchema(OpRegistry::builtin().lookup("", "Constant"));
  std::string name = names_.fresh(base_ + "_" + std::string(hint));
  c->setName(name);
  c->location() = anchor_->location();
  std::vector<Dim> dims(t.dims().begin(), t.dims().end());
  Type type = Type::tensor(t.dtype(), Shape(dims));
  c->setAttr("value", Attribute(std::move(t)));
  return c->addOutput(name, std::move(type));
}

Node* Builder::node(std::string opType, std::vector<Value*> inputs, std::string_view hint, size_t numOutputs) {
  Node* n = graph().createNode("", opType, std::move(inputs), anchor_);
  n->setSchema(OpRegistry::builtin().lookup("", opType));
  std::string name = names_.fresh(base_ + "_" + std::string(hint));
  n->setName(name);
  n->location() = anchor_->location();
  for (size_t i = 0; i < numOutputs; ++i) n->addOutput(i == 0 ? name : names_.fresh(name + "_" + std::to_string(i)));
  created_.push_back(n);
  return n;
}

Node* rebuildNode(Node* old, std::string opType, std::vector<Value*> inputs, size_t numOutputs) {
  Graph& g = *old->graph();
  Node* n = g.createNode(old->domain().empty() ? "" : old->domain(), opType, std::move(inputs), old);
  n->setSchema(OpRegistry::builtin().lookup(n->domain(), opType));
  n->setName(old->name());
  n->setDocString(old->docString());
  n->location() = old->location();
  for (const auto& [name, a] : old->attributes()) n->setAttr(name, a);
  for (size_t i = 0; i < old->numOutputs(); ++i) {
    Value* o = old->output(i);
    if (i >= numOutputs) {
      KILN_ASSERT(unused(o));
      continue;
    }
    Value* fresh = n->addOutput(o ? o->name() : "", o ? o->type() : Type());
    if (o) o->replaceAllUsesWith(fresh);
  }
  for (size_t i = old->numOutputs(); i < numOutputs; ++i) n->addOutput("");
  g.eraseNode(old);
  return n;
}

void replaceNodeWith(Node* old, const std::vector<Value*>& outputs) {
  std::string name = old->name();
  for (size_t i = 0; i < old->numOutputs(); ++i) {
    Value* o = old->output(i);
    if (!o) continue;
    Value* repl = i < outputs.size() ? outputs[i] : nullptr;
    if (!repl) {
      KILN_ASSERT(unused(o));
      continue;
    }
    o->replaceAllUsesWith(repl);
    // The replacement takes the old name (graph outputs are known by it) and its type.
    std::string oldName = o->name();
    o->setName(repl->name());
    repl->setName(oldName);
    if (!o->type().isUnknown()) repl->setType(o->type());
  }
  old->graph()->eraseNode(old);
}

void eraseUnusedConstants(const std::vector<Value*>& values) {
  // Collect first: a constant may feed several of `values`, and erasing frees its outputs.
  std::vector<Node*> producers;
  for (Value* v : values) {
    Node* p = v ? v->producer() : nullptr;
    if (p && p->opType() == "Constant" && std::find(producers.begin(), producers.end(), p) == producers.end())
      producers.push_back(p);
  }
  for (Node* p : producers) {
    bool allUnused = true;
    for (size_t i = 0; i < p->numOutputs(); ++i) allUnused = allUnused && unused(p->output(i));
    if (allUnused) p->graph()->eraseNode(p);
  }
}

}  // namespace kiln::opset
