#include "backends/reference/interpreter.h"

#include <exception>
#include <unordered_map>
#include <unordered_set>

#include "backends/reference/tensor_util.h"

namespace kiln::reference {
namespace {

using Scope = std::map<const Value*, const RuntimeValue*>;

/// Gives a kernel error the node's name and op when the kernel did not (helpers deep inside
/// kernels, such as visitDType, do not know them).
Status attachNode(Status s, const Node& node) {
  if (!s.isOk()) {
    auto& d = s.diagnostic();
    if (d.node.empty() && d.op.empty()) {
      d.node = node.name();
      d.op = node.qualifiedOp();
    }
  }
  return s;
}

Status nodeError(const Node& node, std::string message) {
  return Status::nodeError(node.name(), node.qualifiedOp(), std::move(message));
}

/// Constant's tensor, shared with the attribute (no copy). The importer turns
/// value_float/value_ints/... into `value`; the scalar forms are still accepted here so
/// hand-built graphs work too.
Expected<Tensor> constantValue(const Node& node) {
  if (const Attribute* a = node.attr("value"); a && a->kind() == AttrKind::Tensor) {
    if (a->t().isElided()) return nodeError(node, "constant data is elided (not loaded)");
    return a->t();
  }
  if (const Attribute* a = node.attr("value_float"); a && a->kind() == AttrKind::Float)
    return Tensor::fromVector<float>(DType::Float32, {}, {a->f()});
  if (const Attribute* a = node.attr("value_int"); a && a->kind() == AttrKind::Int)
    return Tensor::fromVector<int64_t>(DType::Int64, {}, {a->i()});
  if (const Attribute* a = node.attr("value_floats"); a && a->kind() == AttrKind::Floats)
    return Tensor::fromVector<float>(DType::Float32, {static_cast<int64_t>(a->floats().size())}, a->floats());
  if (const Attribute* a = node.attr("value_ints"); a && a->kind() == AttrKind::Ints)
    return Tensor::fromVector<int64_t>(DType::Int64, {static_cast<int64_t>(a->ints().size())}, a->ints());
  if (const Attribute* a = node.attr("value_string"); a && a->kind() == AttrKind::String)
    return Tensor::fromStrings({}, {a->s()});
  if (const Attribute* a = node.attr("value_strings"); a && a->kind() == AttrKind::Strings)
    return Tensor::fromStrings({static_cast<int64_t>(a->strings().size())}, a->strings());
  return nodeError(node, "Constant has no value attribute");
}

bool isConstant(const Node& node) { return node.domain().empty() && node.opType() == "Constant"; }

bool hasSubgraphs(const Node& node) {
  for (const auto& [name, a] : node.attributes())
    if (a.kind() == AttrKind::Graph || a.kind() == AttrKind::Graphs) return true;
  return false;
}

/// Checks what a kernel produced against the IR: every present output got a value, and a
/// tensor's dtype matches the IR dtype when that is known.
Status checkOutputs(const Node& node, const std::vector<RuntimeValue>& outputs) {
  for (size_t i = 0; i < node.numOutputs(); ++i) {
    const Value* v = node.output(i);
    if (!v) continue;
    const RuntimeValue& rv = outputs[i];
    if (const auto* t = std::get_if<Tensor>(&rv)) {
      if (t->dtype() == DType::Undefined)
        return nodeError(node, "kernel produced no value for output " + std::to_string(i) + " ('" + v->name() + "')");
      if (v->type().isTensor() && v->dtype() != DType::Undefined && v->dtype() != t->dtype())
        return nodeError(node, "output '" + v->name() + "' is " + std::string(dtypeName(t->dtype())) +
                                   " but the IR says " + std::string(dtypeName(v->dtype())));
    } else if (v->type().isTensor()) {
      return nodeError(node, "output '" + v->name() + "' is a sequence but the IR says " + v->type().str());
    }
  }
  return Status::ok();
}

/// Runs the kernel of one node, exceptions (bad_alloc, a kernel's bad_variant_access on a
/// sequence where a tensor was expected) turned into a Status naming the node.
Status invoke(Kernel kernel, KernelContext& ctx) {
  try {
    return attachNode(kernel(ctx), ctx.node);
  } catch (const std::bad_alloc&) {
    return nodeError(ctx.node, "out of memory");
  } catch (const std::bad_variant_access&) {
    return nodeError(ctx.node, "an input is a sequence where a tensor was expected, or the reverse");
  } catch (const std::exception& e) {
    return nodeError(ctx.node, std::string("kernel failed: ") + e.what());
  }
}

bool isHalf(DType t) { return t == DType::Float16 || t == DType::BFloat16; }

/// Runs a kernel that refused f16/bf16 again on those inputs widened to f32, then narrows
/// its f32 outputs back to the half type (to the IR's type when the IR knows it). Kernels
/// then need no half-precision code: the values are those of computing in f32 and rounding
/// once, as ONNX Runtime's CPU provider does for most ops it supports in f16.
Status invokeWidened(Kernel kernel, KernelContext& ctx) {
  DType half = DType::Undefined;
  std::vector<RuntimeValue> widened(ctx.inputs.size());
  std::vector<const RuntimeValue*> args(ctx.inputs.begin(), ctx.inputs.end());
  for (size_t i = 0; i < args.size(); ++i) {
    const auto* t = args[i] ? std::get_if<Tensor>(args[i]) : nullptr;
    if (!t || !isHalf(t->dtype())) continue;
    if (half == DType::Undefined) half = t->dtype();
    auto w = castTensor(*t, DType::Float32);
    if (!w) return w.takeStatus();
    widened[i] = w.take();
    args[i] = &widened[i];
  }
  std::vector<RuntimeValue> results(ctx.outputs.size());
  KernelContext wide{.node = ctx.node, .inputs = args, .outputs = results, .interpreter = ctx.interpreter,
                     .scope = ctx.scope};
  KILN_RETURN_IF_ERROR(invoke(kernel, wide));
  for (size_t i = 0; i < results.size(); ++i) {
    auto* t = std::get_if<Tensor>(&results[i]);
    const Value* v = ctx.node.output(i);
    if (t && t->dtype() == DType::Float32 && v) {
      const DType irType = v->type().isTensor() ? v->dtype() : DType::Undefined;
      const DType target = irType == DType::Undefined ? half : irType;
      if (isHalf(target)) {
        auto n = castTensor(*t, target);
        if (!n) return n.takeStatus();
        results[i] = n.take();
      }
    }
    ctx.outputs[i] = std::move(results[i]);
  }
  return Status::ok();
}

/// invoke(), with the f16/bf16 fallback for kernels that only compute in f32/f64.
Status invokeKernel(Kernel kernel, KernelContext& ctx) {
  Status s = invoke(kernel, ctx);
  if (s.isOk() || !isUnsupportedDType(s)) return s;
  bool anyHalf = false;
  for (const RuntimeValue* v : ctx.inputs)
    if (const auto* t = v ? std::get_if<Tensor>(v) : nullptr) anyHalf = anyHalf || isHalf(t->dtype());
  if (!anyHalf) return s;
  return invokeWidened(kernel, ctx);
}

/// Records in `out` every value that `graph` (nested subgraphs included) reads.
void collectReads(const Graph& graph, std::unordered_set<const Value*>& out) {
  for (const Node* n : graph.nodes()) {
    for (const Value* v : n->inputs())
      if (v) out.insert(v);
    for (const auto& [name, a] : n->attributes()) {
      if (a.kind() == AttrKind::Graph) collectReads(a.g(), out);
      if (a.kind() == AttrKind::Graphs)
        for (const auto& g : a.graphs()) collectReads(*g, out);
    }
  }
  for (const Value* v : graph.outputs()) out.insert(v);
}

}  // namespace

Expected<std::vector<RuntimeValue>> Interpreter::run(const Graph& graph, std::span<const RuntimeValue> inputs,
                                                     const Scope* outer) {
  // Graph inputs with a default (initializers listed as inputs) may be left off at the end.
  if (inputs.size() > graph.numInputs())
    return Status::error("graph '" + graph.name() + "' takes " + std::to_string(graph.numInputs()) +
                         " inputs, got " + std::to_string(inputs.size()));

  // Values visible here: graph inputs and node outputs of this graph; `outer` for the rest.
  std::unordered_map<const Value*, const RuntimeValue*> env;
  std::unordered_map<const Value*, RuntimeValue> produced;  // node-based: stable addresses
  for (size_t i = 0; i < graph.numInputs(); ++i) {
    const Value* v = graph.input(i);
    if (i < inputs.size()) {
      env[v] = &inputs[i];
      continue;
    }
    const Tensor* def = nullptr;
    for (const auto& [dv, t] : graph.inputDefaults())
      if (dv == v) def = &t;
    if (!def) return Status::error("graph '" + graph.name() + "' input '" + v->name() + "' was not given");
    env[v] = &produced.emplace(v, *def).first->second;
  }

  auto lookup = [&](const Value* v) -> const RuntimeValue* {
    if (auto it = env.find(v); it != env.end()) return it->second;
    if (outer)
      if (auto it = outer->find(v); it != outer->end()) return it->second;
    return nullptr;
  };

  // Last node (position) that reads each value, subgraph captures included, so a value is
  // freed as soon as nothing needs it. Graph outputs are never freed.
  std::vector<const Node*> order(graph.nodes().begin(), graph.nodes().end());
  std::unordered_map<const Value*, size_t> lastUse;
  std::unordered_set<const Value*> reads;
  for (size_t i = 0; i < order.size(); ++i) {
    reads.clear();
    for (const Value* v : order[i]->inputs())
      if (v) reads.insert(v);
    if (hasSubgraphs(*order[i]))
      for (const Graph* g : order[i]->subgraphs()) collectReads(*g, reads);
    for (const Value* v : reads) lastUse[v] = i;
  }
  std::unordered_set<const Value*> graphOutputs(graph.outputs().begin(), graph.outputs().end());
  std::vector<std::vector<const Value*>> freeAfter(order.size());
  for (const auto& [v, i] : lastUse)
    if (!graphOutputs.count(v)) freeAfter[i].push_back(v);

  std::vector<const RuntimeValue*> args;
  std::vector<RuntimeValue> results;
  for (size_t i = 0; i < order.size(); ++i) {
    const Node& node = *order[i];
    results.assign(node.numOutputs(), RuntimeValue{});
    if (isConstant(node)) {
      auto t = constantValue(node);
      if (!t) return t.takeStatus();
      if (node.numOutputs() > 0) results[0] = t.take();
    } else {
      Kernel kernel = kernels_.lookup(node.domain(), node.opType());
      if (!kernel) return nodeError(node, "no reference kernel for op '" + node.qualifiedOp() + "'");
      args.assign(node.numInputs(), nullptr);
      for (size_t k = 0; k < node.numInputs(); ++k) {
        const Value* v = node.input(k);
        if (!v) continue;
        args[k] = lookup(v);
        if (!args[k]) return nodeError(node, "input '" + v->name() + "' has no value (used before it is defined)");
      }
      // Subgraph kernels need every visible value; build that map only for them.
      Scope scope;
      const Scope* scopePtr = outer;
      if (hasSubgraphs(node)) {
        if (outer) scope = *outer;
        for (const auto& [v, rv] : env) scope[v] = rv;
        scopePtr = &scope;
      }
      KernelContext ctx{.node = node, .inputs = args, .outputs = results, .interpreter = *this, .scope = scopePtr};
      KILN_RETURN_IF_ERROR(invokeKernel(kernel, ctx));
      if (results.size() != node.numOutputs())
        return nodeError(node, "kernel changed the number of outputs");
    }
    KILN_RETURN_IF_ERROR(checkOutputs(node, results));
    for (size_t k = 0; k < node.numOutputs(); ++k) {
      const Value* v = node.output(k);
      // Outputs nobody reads are dropped at once (unless the graph returns them).
      if (!v || (!lastUse.count(v) && !graphOutputs.count(v))) continue;
      auto [it, inserted] = produced.insert_or_assign(v, std::move(results[k]));
      env[v] = &it->second;
    }
    for (const Value* v : freeAfter[i]) {
      env.erase(v);
      produced.erase(v);  // graph inputs are not in `produced`: nothing to free there
    }
  }

  std::vector<RuntimeValue> outputs;
  outputs.reserve(graph.numOutputs());
  for (const Value* v : graph.outputs()) {
    const RuntimeValue* rv = lookup(v);
    if (!rv) return Status::error("graph '" + graph.name() + "' output '" + v->name() + "' has no value");
    outputs.push_back(*rv);
  }
  return outputs;
}

Expected<std::vector<RuntimeValue>> Interpreter::runNode(const Node& node,
                                                         std::span<const RuntimeValue* const> inputs) {
  std::vector<RuntimeValue> results(node.numOutputs());
  if (isConstant(node)) {
    auto t = constantValue(node);
    if (!t) return t.takeStatus();
    if (!results.empty()) results[0] = t.take();
    return results;
  }
  Kernel kernel = kernels_.lookup(node.domain(), node.opType());
  if (!kernel) return nodeError(node, "no reference kernel for op '" + node.qualifiedOp() + "'");
  for (size_t k = 0; k < node.numInputs(); ++k)
    if (node.input(k) && (k >= inputs.size() || !inputs[k]))
      return nodeError(node, "input " + std::to_string(k) + " was not given");
  // Subgraphs run by this node see only the values of their own graph plus the node's inputs.
  Scope scope;
  for (size_t k = 0; k < node.numInputs() && k < inputs.size(); ++k)
    if (node.input(k) && inputs[k]) scope[node.input(k)] = inputs[k];
  KernelContext ctx{.node = node, .inputs = inputs, .outputs = results, .interpreter = *this, .scope = &scope};
  KILN_RETURN_IF_ERROR(invokeKernel(kernel, ctx));
  KILN_RETURN_IF_ERROR(checkOutputs(node, results));
  return results;
}

Expected<std::vector<Tensor>> runModel(const Model& model, const std::vector<Tensor>& inputs) {
  std::vector<RuntimeValue> args(inputs.begin(), inputs.end());
  Interpreter interpreter;
  auto results = interpreter.run(*model.graph, args);
  if (!results) return results.takeStatus().inFile(model.sourcePath);
  std::vector<Tensor> outputs;
  outputs.reserve(results->size());
  for (size_t i = 0; i < results->size(); ++i) {
    auto* t = std::get_if<Tensor>(&(*results)[i]);
    if (!t)
      return Status::error("output '" + model.graph->output(i)->name() + "' is a sequence, not a tensor")
          .inFile(model.sourcePath);
    outputs.push_back(std::move(*t));
  }
  return outputs;
}

}  // namespace kiln::reference
