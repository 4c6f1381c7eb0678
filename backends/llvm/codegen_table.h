#pragma once
// Which op gets which emitter: one entry per op kind. An emitter writes one kernel function
// into the module and returns its launch (the shape side), or says why it cannot (the runtime
// then runs the reference kernel and lists the node as a fallback).

#include <memory>
#include <string>

#include "backends/llvm/codegen_context.h"
#include "backends/llvm/kernel_abi.h"
#include "ir/node.h"

namespace kiln::llvmjit {

using Emitter = std::unique_ptr<KernelLaunch> (*)(CodegenContext& cg, const Node& node, const std::string& name,
                                                   std::string* whyNot);

/// The emitter for (domain, op), or null when kiln has no generated code for that op at all.
Emitter findEmitter(const std::string& domain, const std::string& op);

// Emitters per family (one file each).
std::unique_ptr<KernelLaunch> emitElementwise(CodegenContext&, const Node&, const std::string&, std::string*);
std::unique_ptr<KernelLaunch> emitFusedElementwise(CodegenContext&, const Node&, const std::string&, std::string*);
std::unique_ptr<KernelLaunch> emitReduction(CodegenContext&, const Node&, const std::string&, std::string*);
std::unique_ptr<KernelLaunch> emitSoftmax(CodegenContext&, const Node&, const std::string&, std::string*);
std::unique_ptr<KernelLaunch> emitNormalization(CodegenContext&, const Node&, const std::string&, std::string*);
/// Slice with constant starts/ends/axes/steps.
std::unique_ptr<KernelLaunch> emitSlice(CodegenContext&, const Node&, const std::string&, std::string*);
/// MaxPool, AveragePool (2-D).
std::unique_ptr<KernelLaunch> emitPool(CodegenContext&, const Node&, const std::string&, std::string*);
/// Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat.
std::unique_ptr<KernelLaunch> emitDataMovement(CodegenContext&, const Node&, const std::string&, std::string*);
/// MatMul, Gemm, Conv through the packed GEMM generator of backends/llvm/gemm (emit_gemm.cpp).
std::unique_ptr<KernelLaunch> emitGemmFamily(CodegenContext&, const Node&, const std::string&, std::string*);
/// Grouped / depthwise Conv and kiln.FusedConv with group > 1 as a direct kernel
/// (emit_grouped_conv.cpp).
std::unique_ptr<KernelLaunch> emitGroupedConv(CodegenContext&, const Node&, const std::string&, std::string*);
/// Conv and kiln.FusedConv: group > 1 to emitGroupedConv, group-1 Conv to emitGemmFamily.
std::unique_ptr<KernelLaunch> emitConvFamily(CodegenContext&, const Node&, const std::string&, std::string*);
/// Shape, ConstantOfShape, Cast, Expand (emit_shape_ops.cpp).
std::unique_ptr<KernelLaunch> emitShapeOps(CodegenContext&, const Node&, const std::string&, std::string*);
/// Div: elementwise, with a divisor check for integers (emit_shape_ops.cpp).
std::unique_ptr<KernelLaunch> emitDivision(CodegenContext&, const Node&, const std::string&, std::string*);
/// Gather, ScatterND (emit_gather.cpp).
std::unique_ptr<KernelLaunch> emitIndexed(CodegenContext&, const Node&, const std::string&, std::string*);
/// Pad: constant, reflect, edge (emit_pad.cpp).
std::unique_ptr<KernelLaunch> emitPad(CodegenContext&, const Node&, const std::string&, std::string*);

/// LSTM, GRU, RNN: input projection GEMM, per-step recurrent GEMM and gate kernel (emit_rnn.cpp).
std::unique_ptr<KernelLaunch> emitRecurrent(CodegenContext&, const Node&, const std::string&, std::string*);
/// Einsum as gathers and batched GEMMs (emit_einsum.cpp).
std::unique_ptr<KernelLaunch> emitEinsum(CodegenContext&, const Node&, const std::string&, std::string*);

}  // namespace kiln::llvmjit
