#include "ir/graph.h"

#include <algorithm>

#include "ir/model.h"
#include "ir/op_registry.h"

namespace kiln {

// ---- Value ------------------------------------------------------------------------------

bool Value::isGraphOutput() const {
  return std::any_of(uses_.begin(), uses_.end(), [](const Use& u) { return u.isGraphOutput(); });
}

void Value::removeUse(const Use& u) {
  auto it = std::find(uses_.begin(), uses_.end(), u);
  KILN_ASSERT(it != uses_.end());
  uses_.erase(it);
}

void Value::replaceAllUsesWith(Value* other) {
  KILN_ASSERT(other != this);
  auto uses = std::move(uses_);
  uses_.clear();
  for (const Use& u : uses) {
    if (u.isGraphOutput())
      u.graph->outputs_[u.index] = other;
    else
      u.user->inputs_[u.index] = other;
    if (other) other->addUse(u);
  }
}

// ---- Node -------------------------------------------------------------------------------

Node::~Node() = default;

std::string Node::qualifiedOp() const { return domain_.empty() ? opType_ : domain_ + "." + opType_; }

void Node::setInput(size_t i, Value* v) {
  KILN_ASSERT(i < inputs_.size());
  if (inputs_[i]) inputs_[i]->removeUse({this, nullptr, static_cast<unsigned>(i)});
  inputs_[i] = v;
  if (v) v->addUse({this, nullptr, static_cast<unsigned>(i)});
}

void Node::addInput(Value* v) {
  inputs_.push_back(v);
  if (v) v->addUse({this, nullptr, static_cast<unsigned>(inputs_.size() - 1)});
}

void Node::truncateInputs(size_t n) {
  while (inputs_.size() > n) {
    if (inputs_.back()) inputs_.back()->removeUse({this, nullptr, static_cast<unsigned>(inputs_.size() - 1)});
    inputs_.pop_back();
  }
}

void Node::dropInputUses() { truncateInputs(0); }

Value* Node::addOutput(std::string name, Type type) {
  if (name.empty()) {
    outputs_.push_back(nullptr);
    return nullptr;
  }
  auto v = std::make_unique<Value>(std::move(name), std::move(type));
  v->producer_ = this;
  v->index_ = static_cast<unsigned>(outputs_.size());
  outputs_.push_back(std::move(v));
  return outputs_.back().get();
}

void Node::setAttr(std::string name, Attribute a) {
  if (a.kind() == AttrKind::Graph) a.g().setParentNode(this);
  if (a.kind() == AttrKind::Graphs)
    for (const auto& g : a.graphs()) g->setParentNode(this);
  attrs_.set(std::move(name), std::move(a));
}

namespace {
const Attribute* attrOrDefault(const Node& n, std::string_view name) {
  if (const Attribute* a = n.attr(name)) return a;
  if (n.schema())
    if (const AttrSpec* spec = n.schema()->findAttr(name); spec && spec->defaultValue)
      return &*spec->defaultValue;
  return nullptr;
}
}  // namespace

int64_t Node::intAttr(std::string_view name, int64_t fallback) const {
  const Attribute* a = attrOrDefault(*this, name);
  return a && a->kind() == AttrKind::Int ? a->i() : fallback;
}

float Node::floatAttr(std::string_view name, float fallback) const {
  const Attribute* a = attrOrDefault(*this, name);
  return a && a->kind() == AttrKind::Float ? a->f() : fallback;
}

std::string Node::stringAttr(std::string_view name, std::string_view fallback) const {
  const Attribute* a = attrOrDefault(*this, name);
  return a && a->kind() == AttrKind::String ? a->s() : std::string(fallback);
}

std::vector<int64_t> Node::intsAttr(std::string_view name, std::vector<int64_t> fallback) const {
  const Attribute* a = attrOrDefault(*this, name);
  return a && a->kind() == AttrKind::Ints ? a->ints() : fallback;
}

std::vector<Graph*> Node::subgraphs() const {
  std::vector<Graph*> out;
  for (const auto& [name, a] : attrs_) {
    if (a.kind() == AttrKind::Graph) out.push_back(&a.g());
    if (a.kind() == AttrKind::Graphs)
      for (const auto& g : a.graphs()) out.push_back(g.get());
  }
  return out;
}

// ---- NodeList ---------------------------------------------------------------------------

NodeList::~NodeList() {
  // Back to front: users die before the values they use, including uses from subgraphs
  // of later nodes, so no use-list is touched after its value is gone.
  while (tail_) {
    Node* n = tail_;
    tail_ = n->prev_;
    n->dropInputUses();
    delete n;
  }
}

void NodeList::insertBefore(Node* pos, Node* n) {
  n->next_ = pos;
  n->prev_ = pos ? pos->prev_ : tail_;
  if (n->prev_) n->prev_->next_ = n;
  else head_ = n;
  if (pos) pos->prev_ = n;
  else tail_ = n;
  ++size_;
}

void NodeList::unlink(Node* n) {
  if (n->prev_) n->prev_->next_ = n->next_;
  else head_ = n->next_;
  if (n->next_) n->next_->prev_ = n->prev_;
  else tail_ = n->prev_;
  n->prev_ = n->next_ = nullptr;
  --size_;
}

// ---- Graph ------------------------------------------------------------------------------

Graph::~Graph() {
  // Graph outputs are uses of values the nodes own; release them before the nodes go.
  for (size_t i = 0; i < outputs_.size(); ++i)
    if (outputs_[i]) outputs_[i]->removeUse({nullptr, this, static_cast<unsigned>(i)});
}

Value* Graph::addInput(std::string name, Type type) {
  auto v = std::make_unique<Value>(std::move(name), std::move(type));
  v->inputOf_ = this;
  v->index_ = static_cast<unsigned>(inputs_.size());
  inputs_.push_back(std::move(v));
  return inputs_.back().get();
}

std::vector<Value*> Graph::inputs() const {
  std::vector<Value*> out;
  for (const auto& v : inputs_) out.push_back(v.get());
  return out;
}

void Graph::eraseInput(size_t i) {
  KILN_ASSERT(!inputs_[i]->hasUses());
  std::erase_if(inputDefaults_, [&](const auto& d) { return d.first == inputs_[i].get(); });
  inputs_.erase(inputs_.begin() + static_cast<std::ptrdiff_t>(i));
  for (size_t k = i; k < inputs_.size(); ++k) inputs_[k]->index_ = static_cast<unsigned>(k);
}

void Graph::addOutput(Value* v) {
  outputs_.push_back(v);
  if (v) v->addUse({nullptr, this, static_cast<unsigned>(outputs_.size() - 1)});
}

void Graph::setOutput(size_t i, Value* v) {
  if (outputs_[i]) outputs_[i]->removeUse({nullptr, this, static_cast<unsigned>(i)});
  outputs_[i] = v;
  if (v) v->addUse({nullptr, this, static_cast<unsigned>(i)});
}

void Graph::eraseOutput(size_t i) {
  // Re-register the uses of the outputs after i, whose indices shift down.
  for (size_t k = i; k < outputs_.size(); ++k)
    if (outputs_[k]) outputs_[k]->removeUse({nullptr, this, static_cast<unsigned>(k)});
  outputs_.erase(outputs_.begin() + static_cast<std::ptrdiff_t>(i));
  for (size_t k = i; k < outputs_.size(); ++k)
    if (outputs_[k]) outputs_[k]->addUse({nullptr, this, static_cast<unsigned>(k)});
}

Node* Graph::createNode(std::string domain, std::string opType, std::vector<Value*> inputs,
                        Node* insertBefore) {
  KILN_ASSERT(!insertBefore || insertBefore->graph_ == this);
  Node* n = new Node(std::move(domain), std::move(opType));
  n->graph_ = this;
  for (Value* v : inputs) n->addInput(v);
  nodes_.insertBefore(insertBefore, n);
  return n;
}

void Graph::moveBefore(Node* n, Node* pos) {
  KILN_ASSERT(n->graph_ == this && n != pos);
  nodes_.unlink(n);
  nodes_.insertBefore(pos, n);
}

void Graph::eraseNode(Node* n) {
  KILN_ASSERT(n->graph_ == this);
  for (const auto& out : n->outputs_) KILN_ASSERT(!out || !out->hasUses());
  n->dropInputUses();
  // Subgraphs may use outer values; destroying them releases those uses (NodeList dtor).
  nodes_.unlink(n);
  delete n;
}

void Graph::walk(const std::function<void(Node*)>& fn) const {
  for (Node* n : nodes_) {
    fn(n);
    for (Graph* g : n->subgraphs()) g->walk(fn);
  }
}

size_t Graph::totalNodeCount() const {
  size_t count = 0;
  walk([&](Node*) { ++count; });
  return count;
}

std::unique_ptr<Graph> Graph::clone(std::unordered_map<const Value*, Value*>* outerMap) const {
  std::unordered_map<const Value*, Value*> local;
  auto& map = outerMap ? *outerMap : local;
  auto lookup = [&](Value* v) -> Value* {
    if (!v) return nullptr;
    auto it = map.find(v);
    return it == map.end() ? v : it->second;  // unmapped: a captured outer value
  };

  auto g = std::make_unique<Graph>(name_);
  g->docString_ = docString_;
  for (const auto& in : inputs_) map[in.get()] = g->addInput(in->name(), in->type());
  for (const auto& [v, t] : inputDefaults_) g->inputDefaults_.emplace_back(map[v], t);
  for (Node* n : nodes_) {
    std::vector<Value*> ins;
    for (Value* v : n->inputs_) ins.push_back(lookup(v));
    Node* c = g->createNode(n->domain_, n->opType_, std::move(ins));
    c->schema_ = n->schema_;
    c->name_ = n->name_;
    c->docString_ = n->docString_;
    c->loc_ = n->loc_;
    for (const auto& out : n->outputs_) {
      Value* o = c->addOutput(out ? out->name() : "", out ? out->type() : Type());
      if (out) map[out.get()] = o;
    }
    for (const auto& [name, a] : n->attrs_) {
      if (a.kind() == AttrKind::Graph) {
        Attribute copy(a.g().clone(&map));
        copy.setRefAttrName(a.refAttrName());
        c->setAttr(name, std::move(copy));
      } else if (a.kind() == AttrKind::Graphs) {
        std::vector<Attribute::GraphPtr> gs;
        for (const auto& sub : a.graphs()) gs.push_back(sub->clone(&map));
        c->setAttr(name, Attribute(std::move(gs)));
      } else {
        c->setAttr(name, a);
      }
    }
  }
  for (Value* v : outputs_) g->addOutput(lookup(v));
  return g;
}

// ---- Model ------------------------------------------------------------------------------

std::optional<int64_t> Model::opsetVersion(std::string_view d) const {
  for (const auto& o : opsets)
    if (o.domain == d) return o.version;
  return std::nullopt;
}

void Model::setOpsetVersion(std::string_view d, int64_t version) {
  for (auto& o : opsets)
    if (o.domain == d) {
      o.version = version;
      return;
    }
  opsets.push_back({std::string(d), version});
}

}  // namespace kiln
