#include "frontend/onnx/import_context.h"

#include <onnx/onnx_pb.h>

namespace kiln::onnx_frontend {

std::string normalizeDomain(std::string_view domain) {
  return domain == "ai.onnx" ? std::string() : std::string(domain);
}

std::string displayDomain(std::string_view domain) {
  return domain.empty() ? std::string("ai.onnx") : std::string(domain);
}

bool isOnnxDomain(std::string_view d) { return d.empty() || d == "ai.onnx.ml"; }

std::string nodeLabel(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? "#" + std::to_string(index) : node.name();
}

Status atNode(Status status, const std::string& label, const std::string& op) {
  if (!status.isOk() && status.diagnostic().node.empty() && status.diagnostic().op.empty()) {
    status.diagnostic().node = label;
    status.diagnostic().op = op;
  }
  return status;
}

}  // namespace kiln::onnx_frontend
