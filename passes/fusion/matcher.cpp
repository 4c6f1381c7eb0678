// The pattern matcher: a backtracking walk from the root down the operands. Each step takes a
// continuation (the rest of the match), so a choice made early (an operand order, a oneOf
// alternative, a capture binding) is revisited when something later fails, not only when the
// subtree itself fails.

#include <algorithm>
#include <cmath>

#include "ir/op_registry.h"
#include "passes/fusion/pattern.h"
#include "passes/pass_utils.h"

namespace kiln::fusion {

// ---- building patterns ------------------------------------------------------------------

P P::as(std::string name) const {
  auto n = std::make_shared<PatNode>(*n_);
  n->name = std::move(name);
  return P(n);
}

P P::where(std::string description, std::function<bool(const Node&, const Match&)> fn) const {
  auto n = std::make_shared<PatNode>(*n_);
  n->checks.push_back({std::move(description), std::move(fn), nullptr});
  return P(n);
}

P P::whereValue(std::string description, std::function<bool(const Value&, const Match&)> fn) const {
  auto n = std::make_shared<PatNode>(*n_);
  n->checks.push_back({std::move(description), nullptr, std::move(fn)});
  return P(n);
}

P P::withMoreInputs() const {
  auto n = std::make_shared<PatNode>(*n_);
  n->trailingOptional = true;
  return P(n);
}

namespace {
P makeOp(std::string domain, std::string opType, std::vector<P> operands) {
  auto n = std::make_shared<PatNode>();
  n->kind = PatNode::Kind::Op;
  n->domain = std::move(domain);
  n->opType = std::move(opType);
  for (P& p : operands) n->operands.push_back(p.ptr());
  return P(n);
}
}  // namespace

P op(std::string opType, std::vector<P> operands) { return makeOp("", std::move(opType), std::move(operands)); }
P kilnOp(std::string opType, std::vector<P> operands) { return makeOp("kiln", std::move(opType), std::move(operands)); }

P capture(std::string name) {
  auto n = std::make_shared<PatNode>();
  n->name = std::move(name);
  return P(n);
}

P scalar(double value) {
  char text[48];
  std::snprintf(text, sizeof text, "constant scalar ~= %g", value);
  return capture().whereValue(text, [value](const Value& v, const Match&) {
    const Tensor* t = constantTensor(&v);
    if (!t || t->numElements() != 1 || !isFloat(t->dtype())) return false;
    double x = t->scalarAsDouble(0);
    return std::abs(x - value) <= 1e-4 * std::max(1.0, std::abs(value));
  });
}

P anyScalar(std::string name) {
  return capture(std::move(name)).whereValue("is a constant scalar", [](const Value& v, const Match&) {
    const Tensor* t = constantTensor(&v);
    return t && t->numElements() == 1 && isFloat(t->dtype());
  });
}

P constant(std::string name) {
  return capture(std::move(name)).whereValue("is a constant", [](const Value& v, const Match&) {
    return constantTensor(&v) != nullptr;
  });
}

P oneOf(std::vector<P> alternatives) {
  auto n = std::make_shared<PatNode>();
  n->kind = PatNode::Kind::OneOf;
  for (P& p : alternatives) n->operands.push_back(p.ptr());
  return P(n);
}

// ---- match results ----------------------------------------------------------------------

Value* Match::value(std::string_view name) const {
  for (const auto& [n, v] : values_)
    if (n == name) return v;
  return nullptr;
}

Node* Match::node(std::string_view name) const {
  for (const auto& [n, v] : namedNodes_)
    if (n == name) return v;
  return nullptr;
}

// ---- matching ---------------------------------------------------------------------------

using Continuation = std::function<bool()>;

class Matcher {
 public:
  Matcher(const FusionPattern& pattern, Node* root) : pattern_(pattern) { m_.root_ = root; }

  bool run(const PatNode& rootPattern) {
    return matchValue(rootPattern, m_.root_->output(0), [&] { return finish(); });
  }
  Match take() { return std::move(m_); }
  const NearMiss& miss() const { return miss_; }

 private:
  void fail(std::string condition, const Node* at) {
    size_t depth = m_.nodes_.size();
    if (depth >= miss_.depth) miss_ = {std::move(condition), at, depth};
  }

  bool checksPass(const PatNode& p, const Value& v, const Node* n) {
    for (const Check& c : p.checks) {
      bool ok = c.onNode ? (n && c.onNode(*n, m_)) : c.onValue(v, m_);
      if (!ok) {
        fail(c.description, n ? n : v.producer());
        return false;
      }
    }
    return true;
  }

  bool matchValue(const PatNode& p, Value* v, const Continuation& k) {
    if (!v) return false;
    switch (p.kind) {
      case PatNode::Kind::Capture: return matchCapture(p, v, k);
      case PatNode::Kind::OneOf:
        for (const auto& alt : p.operands)
          if (matchValue(*alt, v, k)) return true;
        return false;
      case PatNode::Kind::Op: return matchOp(p, v, k);
    }
    return false;
  }

  bool matchCapture(const PatNode& p, Value* v, const Continuation& k) {
    if (!p.name.empty()) {
      if (Value* bound = m_.value(p.name)) {
        if (bound != v) fail("'" + p.name + "' is the same value at each use", v->producer());
        return bound == v && k();
      }
    }
    if (!checksPass(p, *v, nullptr)) return false;
    if (p.name.empty()) return k();
    m_.values_.emplace_back(p.name, v);
    if (k()) return true;
    m_.values_.pop_back();
    return false;
  }

  bool matchOp(const PatNode& p, Value* v, const Continuation& k) {
    Node* n = v->producer();
    std::string want = p.domain.empty() ? p.opType : p.domain + "." + p.opType;
    if (!n || v->index() != 0 || n->qualifiedOp() != want || (p.domain.empty() && !isOnnxOp(*n, p.opType))) {
      if (!m_.nodes_.empty()) fail("operand is " + want, n ? n : m_.nodes_.back());
      return false;
    }
    if (!p.name.empty())
      if (Node* bound = m_.node(p.name)) return bound == n && k();
    if (std::find(m_.nodes_.begin(), m_.nodes_.end(), n) != m_.nodes_.end()) return false;
    size_t arity = p.operands.size();
    if (n->numInputs() < arity || (!p.trailingOptional && n->numInputs() != arity)) {
      fail(want + " has " + std::to_string(arity) + " inputs", n);
      return false;
    }
    m_.nodes_.push_back(n);
    if (!p.name.empty()) m_.namedNodes_.emplace_back(p.name, n);
    bool ok = checksPass(p, *v, n) && matchOperands(p, n, k);
    if (!ok) {
      if (!p.name.empty()) m_.namedNodes_.pop_back();
      m_.nodes_.pop_back();
    }
    return ok;
  }

  bool matchOperands(const PatNode& p, Node* n, const Continuation& k) {
    std::vector<size_t> order(p.operands.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (tryOrder(p, n, order, 0, k)) return true;
    const OpSchema* schema = n->schema();
    if (order.size() == 2 && schema && schema->has(OpTrait::Commutative)) {
      std::swap(order[0], order[1]);
      return tryOrder(p, n, order, 0, k);
    }
    return false;
  }

  bool tryOrder(const PatNode& p, Node* n, const std::vector<size_t>& order, size_t i, const Continuation& k) {
    if (i == order.size()) return k();
    return matchValue(*p.operands[i], n->input(order[i]), [&] { return tryOrder(p, n, order, i + 1, k); });
  }

  /// The whole pattern matched: interior values must not escape it, then the preconditions.
  bool finish() {
    for (Node* n : m_.nodes_) {
      if (n == m_.root_) continue;
      for (size_t o = 0; o < n->numOutputs(); ++o) {
        const Value* out = n->output(o);
        if (!out) continue;
        for (const Use& u : out->uses()) {
          bool inside = u.user && std::find(m_.nodes_.begin(), m_.nodes_.end(), u.user) != m_.nodes_.end();
          if (!inside) {
            fail("intermediate %" + out->name() + " has no use outside the pattern", n);
            return false;
          }
        }
      }
    }
    if (pattern_.precondition) {
      if (auto f = pattern_.precondition(m_)) {
        fail(f->condition, f->at ? f->at : m_.root_);
        return false;
      }
    }
    return true;
  }

  const FusionPattern& pattern_;
  Match m_;
  NearMiss miss_;
};

std::optional<Match> matchPattern(const FusionPattern& pattern, Node* root, NearMiss* miss) {
  NearMiss best;
  for (const P& alt : pattern.roots) {
    Matcher m(pattern, root);
    if (m.run(*alt)) return m.take();
    if (m.miss().depth >= best.depth && !m.miss().condition.empty()) best = m.miss();
  }
  if (miss) *miss = best;
  return std::nullopt;
}

}  // namespace kiln::fusion
