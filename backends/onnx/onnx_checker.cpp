#include "backends/onnx/onnx_checker.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "backends/onnx/proto_tensor.h"

namespace kiln::onnx_backend {

namespace onnx = ::ONNX_NAMESPACE;

namespace {

/// Shape inference reads tensor contents only for small shape-like inputs (Reshape's shape,
/// Slice's starts, ...); weights only contribute their dims and type. Bigger tensors than this
/// are inferred from without their bytes.
constexpr size_t kInferenceDataLimit = 64 * 1024;

void forEachTensor(onnx::GraphProto& g, const std::function<void(onnx::TensorProto&)>& fn);

void forEachTensor(onnx::NodeProto& n, const std::function<void(onnx::TensorProto&)>& fn) {
  for (auto& a : *n.mutable_attribute()) {
    if (a.has_t()) fn(*a.mutable_t());
    for (auto& t : *a.mutable_tensors()) fn(t);
    if (a.has_g()) forEachTensor(*a.mutable_g(), fn);
    for (auto& g : *a.mutable_graphs()) forEachTensor(g, fn);
  }
}

void forEachTensor(onnx::GraphProto& g, const std::function<void(onnx::TensorProto&)>& fn) {
  for (auto& t : *g.mutable_initializer()) fn(t);
  for (auto& n : *g.mutable_node()) forEachTensor(n, fn);
}

void forEachTensor(onnx::ModelProto& m, const std::function<void(onnx::TensorProto&)>& fn) {
  forEachTensor(*m.mutable_graph(), fn);
  for (auto& f : *m.mutable_functions())
    for (auto& n : *f.mutable_node()) forEachTensor(n, fn);
}

/// A copy of `proto` for shape inference that shares nothing big: large raw_data is set aside
/// while copying (swapping strings is O(1)), and small external tensors get their bytes back
/// so that strict inference can read shape inputs.
onnx::ModelProto inferenceCopy(onnx::ModelProto& proto, const ExternalDataLayout* external) {
  std::vector<std::pair<onnx::TensorProto*, std::string>> stash;
  forEachTensor(proto, [&](onnx::TensorProto& t) {
    if (t.raw_data().size() > kInferenceDataLimit) {
      stash.emplace_back(&t, std::string());
      stash.back().second.swap(*t.mutable_raw_data());
      t.clear_raw_data();
    }
  });
  onnx::ModelProto copy = proto;
  for (auto& [t, bytes] : stash) t->mutable_raw_data()->swap(bytes);

  if (external)
    forEachTensor(copy, [&](onnx::TensorProto& t) {
      if (t.data_location() != onnx::TensorProto::EXTERNAL) return;
      for (const auto& entry : t.external_data()) {
        if (entry.key() != "offset") continue;
        const Tensor* data = external->tensorAt(std::stoull(entry.value()));
        if (!data || data->byteSize() > kInferenceDataLimit) return;
        t.set_raw_data(data->rawData(), data->byteSize());
        t.clear_external_data();
        t.clear_data_location();
        return;
      }
    });
  return copy;
}

/// The checker's messages span lines ("...\n\n==> Context: Bad node spec ..."); diagnostics
/// are one line.
std::string oneLine(const std::string& text) {
  std::string out;
  bool pendingBreak = false;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      pendingBreak = true;
      continue;
    }
    if (pendingBreak && !out.empty()) out += "; ";
    pendingBreak = false;
    out += c;
  }
  return out;
}

/// The text between `open` and the next `close` after it, if `open` occurs.
std::optional<std::string> between(const std::string& text, const std::string& open, char close) {
  size_t start = text.find(open);
  if (start == std::string::npos) return std::nullopt;
  start += open.size();
  size_t end = text.find(close, start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

/// The checker names the node in its own words; lift that into the diagnostic's node and op.
Status checkerError(const char* what) {
  std::string text = oneLine(what);
  Diagnostic d{.message = "emitted model fails the ONNX checker: " + text};
  // Structural check: "...==> Context: Bad node spec for node. Name: relu0 OpType: Relu".
  if (auto op = between(text, " OpType: ", ' ')) {
    d.op = *op;
    d.node = between(text, "Bad node spec for node. Name: ", ' ').value_or("");
  }
  // Shape inference: "[ShapeInferenceError] (op_type:Relu, node name: relu0): ...".
  if (auto op = between(text, "(op_type:", ',')) {
    d.op = *op;
    d.node = between(text, ", node name: ", ')').value_or("");
  }
  return d;
}

}  // namespace

int64_t checkerMaxOpset() {
  const auto& map = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = map.find(onnx::ONNX_DOMAIN);
  return it == map.end() ? 0 : it->second.second;
}

int64_t checkerMaxIrVersion() { return onnx::IR_VERSION; }

Status runOnnxChecker(onnx::ModelProto& proto, const std::string& modelPath,
                      const ExternalDataLayout* external) {
  try {
    if (modelPath.empty())
      onnx::checker::check_model(proto);
    else
      onnx::checker::check_model(modelPath);
    onnx::ModelProto copy = inferenceCopy(proto, external);
    // check_type + strict mode: what full_check=True asks of onnx.shape_inference.
    onnx::ShapeInferenceOptions options(/*check_type_val=*/true, /*strict_mode_val=*/1,
                                        /*data_prop_val=*/false);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    return checkerError(e.what());
  } catch (...) {
    return checkerError("unknown exception");
  }
  return Status::ok();
}

}  // namespace kiln::onnx_backend
