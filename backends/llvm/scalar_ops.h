#pragma once
// One element of an elementwise op as LLVM IR: the per-element evaluator every elementwise
// kernel (a single node, or a kiln.FusedElementwise expression) is built from.

#include <span>

#include "backends/llvm/codegen_context.h"
#include "ir/node.h"

namespace kiln::llvmjit {

/// Whether `op` (with its attributes) is an elementwise op emitScalarOp can compute for
/// operands of `operandType` (the dtype of the first data operand) giving `resultType`.
bool hasScalarOp(const Node& op, DType operandType, DType resultType);

/// The value of `op` on one element: `args` (null for an omitted optional operand) have the
/// value types of `argTypes`; the result has the value type of `resultType`.
llvm::Value* emitScalarOp(CodegenContext& cg, const Node& op, std::span<llvm::Value* const> args,
                          std::span<const DType> argTypes, DType resultType);

}  // namespace kiln::llvmjit
