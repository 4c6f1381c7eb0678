#include "passes/dynamize_builder.h"

#include "ir/tensor.h"

#include <set>

namespace kiln {

bool ShapeBuilder::canBuild(const Dim& d) const {
  if (d.isStatic()) return true;
  if (d.isUnknown()) return false;
  for (const auto& t : d.expr()->terms())
    for (const auto& s : t.symbols)
      if (!sources_.count(s)) return false;
  return true;
}

Node* ShapeBuilder::insertionPoint() const {
  return last_ ? last_->next() : graph_.nodes().front();
}

Node* ShapeBuilder::create(std::string op, std::vector<Value*> inputs, std::string_view outputHint) {
  Node* n = rw_.createNode(graph_, insertionPoint(), "", std::move(op), std::move(inputs),
                           {std::string(outputHint)});
  built_.insert(n);
  last_ = n;
  return n;
}

void ShapeBuilder::moveToEnd(Node* node) {
  std::set<const Node*> moving{node};
  std::vector<Node*> order{node};
  for (Node* n = node->next(); n && n != insertionPoint(); n = n->next()) {
    bool usesMoving = false;
    for (Value* v : n->inputs()) usesMoving = usesMoving || (v && moving.count(v->producer()));
    if (usesMoving && built_.count(n)) {
      moving.insert(n);
      order.push_back(n);
    }
  }
  for (Node* n : order) {
    if (n == last_) continue;  // already the last: everything it needs precedes it
    Node* at = insertionPoint();
    rw_.moveBefore(n, at);
    last_ = n;
  }
}

Value* ShapeBuilder::constant(std::vector<int64_t> dims, const std::vector<int64_t>& values, std::string_view hint) {
  Value* v = rw_.createConstant(graph_, insertionPoint(), Tensor::fromVector<int64_t>(DType::Int64, std::move(dims), values), hint);
  built_.insert(v->producer());
  last_ = v->producer();
  return v;
}

Value* ShapeBuilder::symbol(const std::string& name) {
  const SymbolSource& src = sources_.at(name);
  Value*& shape = shapes_[src.input];
  if (!shape) {
    shape = create("Shape", {src.input}, src.input->name() + "_shape")->output(0);
    shape->setType(Type::tensor(DType::Int64, Shape({Dim(static_cast<int64_t>(src.input->shape().rank()))})));
  }
  Value* index = constant({1}, {src.axis}, name + "_axis");
  Value* v = create("Gather", {shape, index}, name)->output(0);
  v->setType(Type::tensor(DType::Int64, Shape({Dim(1)})));
  return v;
}

Value* ShapeBuilder::dim(const Dim& d) {
  std::string key = d.str();
  if (auto it = dims_.find(key); it != dims_.end()) return it->second;
  Value* out = nullptr;
  auto typed = [](Value* v) {
    v->setType(Type::tensor(DType::Int64, Shape({Dim(1)})));
    return v;
  };
  if (d.isStatic()) {
    out = constant({1}, {d.value()}, "size_" + std::to_string(d.value()));
  } else if (auto s = d.asSymbol()) {
    out = symbol(std::string(*s));
  } else {
    // Sum of coeff * product(symbols), built term by term from the symbols' Gathers.
    Value* sum = nullptr;
    for (const auto& term : d.expr()->terms()) {
      Value* t = nullptr;
      for (const auto& s : term.symbols) {
        Value* sv = dim(Dim::symbol(s));
        t = t ? typed(create("Mul", {t, sv}, "size_mul")->output(0)) : sv;
      }
      if (!t) t = dim(Dim(term.coeff));
      else if (term.coeff != 1) t = typed(create("Mul", {t, dim(Dim(term.coeff))}, "size_mul")->output(0));
      sum = sum ? typed(create("Add", {sum, t}, "size_add")->output(0)) : t;
    }
    out = sum;
  }
  dims_[key] = out;
  return out;
}

Value* ShapeBuilder::shape(const std::vector<Dim>& dims) {
  std::vector<Value*> pieces;
  std::vector<int64_t> run;
  auto flush = [&] {
    if (run.empty()) return;
    pieces.push_back(constant({static_cast<int64_t>(run.size())}, run, "shape_part"));
    run.clear();
  };
  for (const Dim& d : dims) {
    if (d.isStatic()) {
      run.push_back(d.value());
      continue;
    }
    flush();
    pieces.push_back(dim(d));
  }
  flush();
  if (pieces.empty()) return constant({0}, {}, "shape");
  if (pieces.size() == 1) return pieces[0];
  Node* concat = create("Concat", pieces, "shape");
  rw_.setAttr(concat, "axis", Attribute(int64_t{0}));
  concat->output(0)->setType(Type::tensor(DType::Int64, Shape({Dim(static_cast<int64_t>(dims.size()))})));
  return concat->output(0);
}

Value* ShapeBuilder::scalar(const Dim& d) {
  if (d.isStatic()) return constant({}, {d.value()}, "size_" + std::to_string(d.value()));
  Value* empty = constant({0}, {}, "scalar_shape");
  Value* v = create("Reshape", {dim(d), empty}, "size_scalar")->output(0);
  v->setType(Type::tensor(DType::Int64, Shape::scalar()));
  return v;
}

}  // namespace kiln
