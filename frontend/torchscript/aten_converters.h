#pragma once
// The table of aten (and prim) node converters, one registration function per op family
// (aten_<family>.cpp). A converter lowers one TorchScript node into IR nodes and defines its
// outputs in the LoweringContext.

#include <functional>
#include <string>
#include <unordered_map>

#include "frontend/torchscript/lowering_context.h"

namespace kiln::torchscript {

using AtenConverter = std::function<Status(LoweringContext&, const torch::jit::Node&)>;
/// Keyed by qualified op name (`aten::conv2d`); in-place variants (`aten::relu_`) are looked
/// up without their trailing underscore.
using ConverterTable = std::unordered_map<std::string, AtenConverter>;

void registerElementwiseConverters(ConverterTable& table);
void registerActivationConverters(ConverterTable& table);
void registerNnConverters(ConverterTable& table);
void registerSpatialConverters(ConverterTable& table);
void registerShapeConverters(ConverterTable& table);
void registerCreationConverters(ConverterTable& table);
void registerReduceConverters(ConverterTable& table);
void registerRnnConverters(ConverterTable& table);
void registerAttentionConverters(ConverterTable& table);

/// Every converter (built once).
const ConverterTable& atenConverters();
/// The converter for `kind`, or null when kiln cannot lower it.
const AtenConverter* findConverter(const std::string& kind);

/// The dtype PyTorch's type promotion gives operands `args` of `node` (binary arithmetic,
/// comparison, where, cat).
Expected<DType> promotedDType(LoweringContext& ctx, const std::vector<const torch::jit::Value*>& args);

/// Lowers `node`'s inputs at positions `indices` to IR values.
Expected<std::vector<Value*>> lowerInputs(LoweringContext& ctx, const torch::jit::Node& node,
                                          std::initializer_list<size_t> indices);

}  // namespace kiln::torchscript

namespace kiln::torchscript {

/// The input of `node` bound to schema argument `name` (overloads order arguments
/// differently), or null when the overload has no such argument.
const torch::jit::Value* namedInput(const torch::jit::Node& node, std::string_view name);

/// A constant list argument of spatial sizes (kernel, stride...), one entry per spatial axis:
/// a single entry repeats, an empty list gives `fallback`.
Expected<std::vector<int64_t>> spatialInts(LoweringContext& ctx, const torch::jit::Value* tv, size_t spatial,
                                           std::vector<int64_t> fallback);

}  // namespace kiln::torchscript
