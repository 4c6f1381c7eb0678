#include "frontend/onnx/schema_check.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <climits>
#include <string_view>

#include "ir/op_versions.h"

namespace kiln::onnx_frontend {
namespace {

constexpr int kMany = INT_MAX;

/// Input and output counts of the op versions ONNX added after the libonnx that Debian ships
/// (1.12, opset 17), from onnx/defs for opsets 18-21. Which version is in force at an opset comes
/// from ir/op_versions.h, the table the opset upgrade uses too.
struct LateOp {
  std::string_view name;
  int since;
  int minIn, maxIn, minOut = 1, maxOut = 1;
};

constexpr LateOp kLateOps[] = {
    // opset 18
    {"BitwiseAnd", 18, 2, 2}, {"BitwiseNot", 18, 1, 1}, {"BitwiseOr", 18, 2, 2},
    {"BitwiseXor", 18, 2, 2}, {"CenterCropPad", 18, 2, 2}, {"Col2Im", 18, 3, 3},
    {"GroupNormalization", 18, 3, 3}, {"LpPool", 18, 1, 1}, {"Mish", 18, 1, 1},
    {"OptionalGetElement", 18, 1, 1}, {"OptionalHasElement", 18, 0, 1}, {"Pad", 18, 2, 4},
    {"ReduceL1", 18, 1, 2}, {"ReduceL2", 18, 1, 2}, {"ReduceLogSum", 18, 1, 2},
    {"ReduceLogSumExp", 18, 1, 2}, {"ReduceMax", 18, 1, 2}, {"ReduceMean", 18, 1, 2},
    {"ReduceMin", 18, 1, 2}, {"ReduceProd", 18, 1, 2}, {"ReduceSumSquare", 18, 1, 2},
    {"Resize", 18, 1, 4}, {"ScatterElements", 18, 3, 3}, {"ScatterND", 18, 3, 3},
    {"Split", 18, 1, 2, 1, kMany},
    // opset 19
    {"AveragePool", 19, 1, 1}, {"Cast", 19, 1, 1}, {"CastLike", 19, 2, 2},
    {"Constant", 19, 0, 0}, {"DeformConv", 19, 3, 5}, {"DequantizeLinear", 19, 2, 3},
    {"Equal", 19, 2, 2}, {"Identity", 19, 1, 1}, {"If", 19, 1, 1, 1, kMany},
    {"Loop", 19, 2, kMany, 1, kMany}, {"Pad", 19, 2, 4}, {"QuantizeLinear", 19, 2, 3},
    {"Reshape", 19, 2, 2}, {"Resize", 19, 1, 4}, {"Scan", 19, 1, kMany, 1, kMany},
    {"Shape", 19, 1, 1}, {"Size", 19, 1, 1},
    // opset 20
    {"AffineGrid", 20, 2, 2}, {"ConstantOfShape", 20, 1, 1}, {"DFT", 20, 1, 3},
    {"Gelu", 20, 1, 1}, {"GridSample", 20, 2, 2}, {"ImageDecoder", 20, 1, 1},
    {"IsInf", 20, 1, 1}, {"IsNaN", 20, 1, 1}, {"ReduceMax", 20, 1, 2},
    {"ReduceMin", 20, 1, 2}, {"RegexFullMatch", 20, 1, 1}, {"StringConcat", 20, 2, 2},
    {"StringSplit", 20, 1, 1, 2, 2},
    // opset 21
    {"Cast", 21, 1, 1}, {"CastLike", 21, 2, 2}, {"Constant", 21, 0, 0},
    {"ConstantOfShape", 21, 1, 1}, {"DequantizeLinear", 21, 2, 3}, {"Flatten", 21, 1, 1},
    {"GroupNormalization", 21, 3, 3}, {"Identity", 21, 1, 1}, {"If", 21, 1, 1, 1, kMany},
    {"Loop", 21, 2, kMany, 1, kMany}, {"Pad", 21, 2, 4}, {"QLinearMatMul", 21, 8, 8},
    {"QuantizeLinear", 21, 2, 3}, {"Reshape", 21, 2, 2}, {"Scan", 21, 1, kMany, 1, kMany},
    {"Shape", 21, 1, 1}, {"Size", 21, 1, 1}, {"Squeeze", 21, 1, 2},
    {"Transpose", 21, 1, 1}, {"Unsqueeze", 21, 2, 2},
};

const LateOp* lateOp(std::string_view op, int version) {
  for (const LateOp& l : kLateOps)
    if (l.name == op && l.since == version) return &l;
  return nullptr;
}

Status arity(const onnx::NodeProto& node, int minIn, int maxIn, int minOut, int maxOut) {
  std::string msg = arityMessage(node.op_type(), "input", node.input_size(), minIn, maxIn);
  if (msg.empty()) msg = arityMessage(node.op_type(), "output", node.output_size(), minOut, maxOut);
  return msg.empty() ? Status::ok() : Status::error(msg);
}

/// libonnx messages can span lines (context is appended); diagnostics are one line.
std::string firstLine(std::string s) {
  if (size_t nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '.')) s.pop_back();
  return s;
}

}  // namespace

std::string arityMessage(const std::string& op, const char* what, int count, int min, int max) {
  if (count >= min && count <= max) return "";
  auto plural = [&](int n) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
  std::string expects;
  if (min == max) expects = plural(min);
  else if (max == kMany) expects = "at least " + plural(min);
  else expects = std::to_string(min) + " to " + plural(max);
  return op + " expects " + expects + ", got " + std::to_string(count);
}

Status checkOnnxNode(const onnx::NodeProto& node, const std::string& domain, int64_t opset, bool verifyAttributes) {
  const std::string& op = node.op_type();
  const auto& ranges = ONNX_NAMESPACE::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto range = ranges.find(domain);
  int64_t libonnxMax = range == ranges.end() ? 0 : range->second.second;
  int version = static_cast<int>(std::min<int64_t>(opset, INT_MAX));

  if (domain.empty() && opset > libonnxMax && opset <= kCanonicalOpset) {
    // The installed libonnx predates this opset: its schema for the op may be an older version.
    int since = sinceVersionAt(op, opset);
    if (since == 0 && opRemovedAt(op) == 0)
      return Status::error("unknown op '" + op + "' in domain 'ai.onnx' at opset " + std::to_string(opset));
    if (since > libonnxMax) {
      const LateOp* late = lateOp(op, since);
      return late ? arity(node, late->minIn, late->maxIn, late->minOut, late->maxOut) : Status::ok();
    }
  }
  const ONNX_NAMESPACE::OpSchema* schema = ONNX_NAMESPACE::OpSchemaRegistry::Schema(op, version, domain);
  // Past what both libonnx and the table know (a newer ai.onnx.ml, default-domain opsets beyond
  // kiln's canonical 21), an op libonnx has never heard of is left to the later stages.
  bool beyondKnowledge = opset > libonnxMax && (!domain.empty() || opset > kCanonicalOpset);
  if (!schema) {
    if (beyondKnowledge) return Status::ok();
    return Status::error("unknown op '" + op + "' in domain '" + displayDomain(domain) + "' at opset " +
                         std::to_string(opset));
  }
  if (schema->Deprecated())
    return Status::error("op '" + op + "' is deprecated at opset " + std::to_string(opset) + " (since opset " +
                         std::to_string(schema->SinceVersion()) + ")");
  KILN_RETURN_IF_ERROR(arity(node, schema->min_input(), schema->max_input(), schema->min_output(),
                             schema->max_output()));
  if (!verifyAttributes || beyondKnowledge) return Status::ok();
  try {
    schema->Verify(node);
  } catch (const std::exception& e) {
    return Status::error(firstLine(e.what()));
  }
  return Status::ok();
}

}  // namespace kiln::onnx_frontend
