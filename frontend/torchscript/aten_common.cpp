// The converter table, and what converters of several families share: lowering input lists,
// PyTorch's type promotion.

#include <c10/core/ScalarType.h>

#include "frontend/torchscript/aten_converters.h"
#include "frontend/torchscript/tensor_conversion.h"

namespace kiln::torchscript {

const ConverterTable& atenConverters() {
  static const ConverterTable table = [] {
    ConverterTable t;
    registerElementwiseConverters(t);
    registerActivationConverters(t);
    registerNnConverters(t);
    registerSpatialConverters(t);
    registerShapeConverters(t);
    registerCreationConverters(t);
    registerReduceConverters(t);
    registerRnnConverters(t);
    registerAttentionConverters(t);
    return t;
  }();
  return table;
}

const AtenConverter* findConverter(const std::string& kind) {
  const ConverterTable& table = atenConverters();
  if (auto it = table.find(kind); it != table.end()) return &it->second;
  // In-place variants compute the same values; a trace already routes later uses to the result.
  if (kind.size() > 1 && kind.back() == '_' && kind[kind.size() - 2] != '_')
    if (auto it = table.find(kind.substr(0, kind.size() - 1)); it != table.end()) return &it->second;
  return nullptr;
}

Expected<std::vector<Value*>> lowerInputs(LoweringContext& ctx, const torch::jit::Node& node,
                                          std::initializer_list<size_t> indices) {
  std::vector<Value*> out;
  for (size_t i : indices) {
    if (i >= node.inputs().size()) return ctx.error("expects an input #" + std::to_string(i));
    auto v = ctx.tensor(node.input(i));
    if (!v) return v.takeStatus();
    out.push_back(*v);
  }
  return out;
}

namespace {

enum class Category { Bool = 0, Integral = 1, Floating = 2 };

Category categoryOf(DType d) {
  if (d == DType::Bool) return Category::Bool;
  if (d == DType::Float32 || d == DType::Float64 || d == DType::Float16 || d == DType::BFloat16)
    return Category::Floating;
  return Category::Integral;
}

DType promotePair(DType a, DType b) {
  if (a == DType::Undefined) return b;
  if (b == DType::Undefined) return a;
  auto ta = dtypeToTorch(a), tb = dtypeToTorch(b);
  if (!ta || !tb) return a;
  return dtypeFromTorch(c10::promoteTypes(*ta, *tb)).value_or(a);
}

}  // namespace

// c10's rule: dimensioned tensors set the dtype; a 0-dim tensor of a higher category promotes
// with it; a Python number of a higher category gives that category's default dtype.
Expected<DType> promotedDType(LoweringContext& ctx, const std::vector<const torch::jit::Value*>& args) {
  DType tensors = DType::Undefined, zeroDim = DType::Undefined, numbers = DType::Undefined;
  for (const torch::jit::Value* tv : args) {
    auto v = ctx.tensor(tv);
    if (!v) return v.takeStatus();
    DType d = (*v)->dtype();
    switch (ctx.roleOf(tv, *v)) {
      case PromotionRole::Tensor: tensors = promotePair(tensors, d); break;
      case PromotionRole::ZeroDim: zeroDim = promotePair(zeroDim, d); break;
      case PromotionRole::Number:
        numbers = numbers == DType::Undefined || categoryOf(d) > categoryOf(numbers) ? d : numbers;
        break;
    }
  }
  DType result = tensors;
  if (zeroDim != DType::Undefined)
    result = result == DType::Undefined ? zeroDim
             : categoryOf(zeroDim) > categoryOf(result) ? promotePair(result, zeroDim) : result;
  if (numbers != DType::Undefined) {
    if (result == DType::Undefined) {
      result = numbers;
    } else if (categoryOf(numbers) > categoryOf(result)) {
      result = categoryOf(numbers) == Category::Floating ? DType::Float32 : DType::Int64;
    }
  }
  return result;
}

}  // namespace kiln::torchscript

namespace kiln::torchscript {

const torch::jit::Value* namedInput(const torch::jit::Node& node, std::string_view name) {
  const c10::FunctionSchema* schema = node.maybeSchema();
  if (!schema) return nullptr;
  const auto& args = schema->arguments();
  for (size_t i = 0; i < args.size() && i < node.inputs().size(); ++i)
    if (args[i].name() == name) return node.input(i);
  return nullptr;
}

Expected<std::vector<int64_t>> spatialInts(LoweringContext& ctx, const torch::jit::Value* tv, size_t spatial,
                                           std::vector<int64_t> fallback) {
  if (!tv || ctx.isNone(tv)) return fallback;
  auto v = ctx.constInts(tv);
  if (!v) return v.takeStatus();
  if (v->empty()) return fallback;
  if (v->size() == 1) return std::vector<int64_t>(spatial, (*v)[0]);
  if (v->size() != spatial)
    return ctx.error("expects " + std::to_string(spatial) + " values, got " + std::to_string(v->size()));
  return v.take();
}

}  // namespace kiln::torchscript
