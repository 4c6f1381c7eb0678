#include "ir/verifier.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "ir/parser.h"

namespace kiln {
namespace {

std::string graphLabel(const Graph& g) {
  std::string name = printValueName(g.name());
  return "@" + name.substr(1);
}

/// How diagnostics name a node: its name, else its first output (`%y`).
std::string nodeLabel(const Node& n) {
  if (!n.name().empty()) return n.name();
  for (size_t i = 0; i < n.numOutputs(); ++i)
    if (n.output(i)) return printValueName(n.output(i)->name());
  return "<unnamed>";
}

std::string plural(size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

class Verifier {
 public:
  explicit Verifier(const VerifyOptions& options) : opts_(options) {}

  std::vector<Diagnostic> run(const Graph& root) {
    collect(root);
    std::vector<Enclosing> chain;
    check(root, chain);
    checkUseLists();
    return std::move(out_);
  }

 private:
  /// Where a value is defined: graph inputs at position 0, outputs of the k-th node at k + 1.
  struct Def {
    const Graph* graph;
    size_t pos;
    const Node* producer;
  };
  /// An enclosing graph and the position of the node (in it) that holds the current subgraph.
  struct Enclosing {
    const Graph* graph;
    size_t pos;
    const Node* node;
  };

  void report(const Node* n, std::string message) {
    Diagnostic d{.file = opts_.file, .message = std::move(message)};
    if (n) {
      d.node = nodeLabel(*n);
      d.op = n->qualifiedOp();
    }
    out_.push_back(std::move(d));
  }

  /// First pass: every graph, node and value of the tree, so a use can be told apart as
  /// "defined later" (a cycle), "defined elsewhere in the model" or "not in the model".
  void collect(const Graph& g) {
    graphs_.insert(&g);
    for (size_t i = 0; i < g.numInputs(); ++i) addDef(g.input(i), {&g, 0, nullptr});
    size_t pos = 0;
    for (const Node* n : g.nodes()) {
      ++pos;
      nodes_.emplace(n, &g);
      // Subgraphs first: in the text they come before the node's results, so a clash of
      // names is reported on the one printed second.
      for (const Graph* sub : n->subgraphs()) collect(*sub);
      for (size_t i = 0; i < n->numOutputs(); ++i)
        if (n->output(i)) addDef(n->output(i), {&g, pos, n});
    }
  }

  void addDef(const Value* v, Def d) {
    if (!defs_.emplace(v, d).second) {
      report(d.producer, "value " + printValueName(v->name()) + " is owned twice in the model");
      return;
    }
    allValues_.push_back(v);
    if (v->name().empty()) {
      report(d.producer, d.producer ? "an output value has an empty name"
                                    : "graph " + graphLabel(*d.graph) + ": an input has an empty name");
      return;
    }
    auto [it, fresh] = names_.emplace(v->name(), v);
    if (fresh) return;
    const Def& first = defs_.at(it->second);
    std::string where = first.producer ? "by node '" + nodeLabel(*first.producer) + "' (" +
                                             first.producer->qualifiedOp() + ")"
                                       : "as an input of graph " + graphLabel(*first.graph);
    std::string subject = d.producer ? "value name " : "graph " + graphLabel(*d.graph) + ": input name ";
    report(d.producer, subject + printValueName(v->name()) + " is already defined " + where);
  }

  /// Whether `v` may be used at position `pos` of `g` (enclosed by `chain`); reports if not.
  void checkDominance(const Value* v, const Graph& g, size_t pos, const std::vector<Enclosing>& chain,
                      const Node* user, const std::string& what) {
    auto it = defs_.find(v);
    std::string name = printValueName(v->name());
    if (it == defs_.end()) {
      report(user, what + " uses " + name + ", which is not defined in this model (a detached value)");
      return;
    }
    const Def& d = it->second;
    if (d.graph == &g) {
      if (d.pos < pos) return;
      if (d.producer == user)
        report(user, "cycle: " + what + " uses " + name + ", an output of the same node");
      else
        report(user, "cycle: " + what + " uses " + name + ", which is produced later by node '" +
                         nodeLabel(*d.producer) + "' (" + d.producer->qualifiedOp() + ")");
      return;
    }
    for (auto e = chain.rbegin(); e != chain.rend(); ++e) {
      if (e->graph != d.graph) continue;
      if (d.pos < e->pos) return;
      report(user, "cycle: " + what + " captures " + name + " from graph " + graphLabel(*d.graph) +
                       ", which is defined at or after the enclosing node '" + nodeLabel(*e->node) +
                       "' (" + e->node->qualifiedOp() + ")");
      return;
    }
    report(user, what + " uses " + name + " from graph " + graphLabel(*d.graph) +
                     ", which does not enclose this use");
  }

  static size_t countUse(const Value* v, const Use& u) {
    return static_cast<size_t>(std::count(v->uses().begin(), v->uses().end(), u));
  }

  void check(const Graph& g, std::vector<Enclosing>& chain) {
    std::string gl = "graph " + graphLabel(g);
    for (size_t i = 0; i < g.numInputs(); ++i) {
      const Value* v = g.input(i);
      if (v->inputOf() != &g || v->index() != i || v->producer())
        report(nullptr, gl + ": input " + printValueName(v->name()) + " has stale back-pointers (graph/index)");
    }
    for (const auto& [v, t] : g.inputDefaults()) {
      auto it = defs_.find(v);
      if (it == defs_.end() || it->second.graph != &g || it->second.producer)
        report(nullptr, gl + ": an input default refers to a value that is not an input of this graph");
    }

    size_t pos = 0;
    for (const Node* n : g.nodes()) {
      ++pos;
      checkNode(*n, g, pos, chain);
      for (const Graph* sub : n->subgraphs()) {
        if (sub->parentNode() != n)
          report(n, "subgraph " + graphLabel(*sub) + " does not point back to this node as its parent");
        chain.push_back({&g, pos, n});
        check(*sub, chain);
        chain.pop_back();
      }
    }

    std::unordered_set<std::string> outputNames;
    for (size_t i = 0; i < g.numOutputs(); ++i) {
      const Value* v = g.output(i);
      std::string what = gl + ": output " + std::to_string(i);
      if (!v) {
        report(nullptr, what + " is not set");
        continue;
      }
      if (!outputNames.insert(v->name()).second)
        report(nullptr, gl + ": output " + printValueName(v->name()) + " is listed more than once");
      if (countUse(v, {nullptr, const_cast<Graph*>(&g), static_cast<unsigned>(i)}) != 1)
        report(nullptr, what + " (" + printValueName(v->name()) + ") is missing from the value's use-list");
      checkDominance(v, g, pos + 1, chain, nullptr, what);
    }
  }

  void checkNode(const Node& n, const Graph& g, size_t pos, const std::vector<Enclosing>& chain) {
    if (n.graph() != &g) report(&n, "node's graph pointer does not point to the graph that lists it");
    for (size_t i = 0; i < n.numInputs(); ++i) {
      const Value* v = n.input(i);
      if (!v) continue;
      std::string what = "operand " + std::to_string(i);
      size_t listed = countUse(v, {const_cast<Node*>(&n), nullptr, static_cast<unsigned>(i)});
      if (listed != 1)
        report(&n, what + " (" + printValueName(v->name()) + ") appears " + std::to_string(listed) +
                       " times in the value's use-list, expected once");
      checkDominance(v, g, pos, chain, &n, what);
    }
    for (size_t i = 0; i < n.numOutputs(); ++i) {
      const Value* v = n.output(i);
      if (v && (v->producer() != &n || v->index() != i || v->inputOf()))
        report(&n, "output " + std::to_string(i) + " (" + printValueName(v->name()) +
                       ") has stale back-pointers (producer/index)");
    }

    const OpSchema* s = opts_.registry ? opts_.registry->lookup(n.domain(), n.opType()) : nullptr;
    if (!s) s = n.schema();
    if (!s) {
      if (opts_.requireSchemas && (n.domain().empty() || n.domain() == "kiln"))
        report(&n, "no schema is registered for this op");
      return;
    }
    if (s->domain != n.domain() || s->name != n.opType())
      report(&n, "node carries the schema of " + (s->domain.empty() ? s->name : s->domain + "." + s->name));
    checkArity(n, "input", n.numInputs(), s->minInputs, s->maxInputs,
               [&](size_t i) { return n.input(i) != nullptr; });
    checkArity(n, "output", n.numOutputs(), s->minOutputs, s->maxOutputs,
               [&](size_t i) { return n.output(i) != nullptr; });
    for (const AttrSpec& spec : s->attributes)
      if (spec.required && !n.attr(spec.name)) report(&n, "missing required attribute '" + spec.name + "'");
    for (const auto& [name, a] : n.attributes()) {
      const AttrSpec* spec = s->findAttr(name);
      if (!spec)
        report(&n, "unknown attribute '" + name + "'");
      else if (spec->kind != a.kind())
        report(&n, "attribute '" + name + "' is " + std::string(attrKindName(a.kind())) + ", expected " +
                       std::string(attrKindName(spec->kind)));
    }
  }

  template <typename Present>
  void checkArity(const Node& n, std::string_view what, size_t count, int min, int max, Present&& present) {
    auto c = static_cast<long long>(count);
    if (c < min || c > max) {
      std::string expect = min == max ? "exactly " + std::to_string(min)
                           : max == OpSchema::kVariadic
                               ? "at least " + std::to_string(min)
                               : "between " + std::to_string(min) + " and " + std::to_string(max);
      report(&n, "has " + plural(count, what) + ", expected " + expect);
    }
    for (size_t i = 0; i < std::min<size_t>(count, static_cast<size_t>(std::max(min, 0))); ++i)
      if (!present(i)) report(&n, "required " + std::string(what) + " " + std::to_string(i) + " is omitted");
  }

  /// Every use a value lists must be real: the operand or graph output it names holds the value.
  void checkUseLists() {
    for (const Value* v : allValues_) {
      const Node* owner = defs_.at(v).producer;
      std::string name = printValueName(v->name());
      for (const Use& u : v->uses()) {
        if (u.isGraphOutput()) {
          // Only dereference graphs that are part of the model: others may be gone.
          if (!graphs_.count(u.graph) || u.index >= u.graph->numOutputs() || u.graph->output(u.index) != v)
            report(owner, "use-list of " + name + " names output " + std::to_string(u.index) +
                              " of a graph that does not return it there");
          continue;
        }
        if (!nodes_.count(u.user)) {
          report(owner, "use-list of " + name + " names a node that is not in the model (erased?)");
          continue;
        }
        if (u.user->input(u.index) != v)
          report(u.user, "use-list of " + name + " names operand " + std::to_string(u.index) +
                             " of this node, which does not use it");
      }
    }
  }

  const VerifyOptions& opts_;
  std::vector<Diagnostic> out_;
  std::unordered_map<const Value*, Def> defs_;
  std::vector<const Value*> allValues_;
  std::unordered_map<std::string, const Value*> names_;
  std::unordered_map<const Node*, const Graph*> nodes_;
  std::unordered_set<const Graph*> graphs_;
};

}  // namespace

std::vector<Diagnostic> verifyGraph(const Graph& graph, const VerifyOptions& options) {
  return Verifier(options).run(graph);
}

std::vector<Diagnostic> verifyModel(const Model& model, const VerifyOptions& options) {
  VerifyOptions opts = options;
  if (opts.file.empty()) opts.file = model.sourcePath;
  std::vector<Diagnostic> out;
  auto modelError = [&](std::string message) {
    out.push_back(Diagnostic{.file = opts.file, .message = std::move(message)});
  };
  std::unordered_set<std::string> domains;
  for (const OpsetImport& o : model.opsets)
    if (!domains.insert(o.domain).second)
      modelError("opset of domain " + quoteString(o.domain) + " is imported more than once");
  if (!model.graph) {
    modelError("model has no main graph");
  } else {
    auto d = verifyGraph(*model.graph, opts);
    out.insert(out.end(), d.begin(), d.end());
  }
  std::unordered_set<std::string> functions;
  for (const Function& f : model.functions) {
    std::string label = "function " + (f.domain.empty() ? f.name : f.domain + "." + f.name);
    if (!functions.insert(f.domain + "\n" + f.name).second) modelError(label + " is defined more than once");
    if (!f.body) {
      modelError(label + " has no body");
      continue;
    }
    for (Diagnostic d : verifyGraph(*f.body, opts)) {
      d.message = label + ": " + d.message;
      out.push_back(std::move(d));
    }
  }
  return out;
}

Status verifyRoundTrip(const Model& model, const PrintOptions& options) {
  std::string before = printModel(model, options);
  auto parsed = parseModel(before, "<printed " + (model.sourcePath.empty() ? "model" : model.sourcePath) + ">");
  if (!parsed) return Status::error("printed IR does not parse back: " + parsed.status().str());
  std::string after = printModel(*parsed, options);
  if (before == after) return Status::ok();
  size_t line = 1, start = 0, i = 0;
  for (; i < before.size() && i < after.size() && before[i] == after[i]; ++i)
    if (before[i] == '\n') {
      ++line;
      start = i + 1;
    }
  auto lineAt = [&](const std::string& s) {
    size_t end = s.find('\n', start);
    return s.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  return Status::error("printed IR changes through a parse round trip at line " + std::to_string(line) +
                       ":\n  before: " + lineAt(before) + "\n  after:  " + lineAt(after));
}

Status diagnosticsToStatus(const std::vector<Diagnostic>& diagnostics) {
  if (diagnostics.empty()) return Status::ok();
  Diagnostic d = diagnostics.front();
  if (diagnostics.size() > 1)
    d.message += " (and " + plural(diagnostics.size() - 1, "more problem") + ")";
  return d;
}

}  // namespace kiln
