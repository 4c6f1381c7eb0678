#include "backends/onnx/emitter.h"
#include "ir/kiln_expand.h"
#include "ir/model_clone.h"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "backends/onnx/atomic_file_stream.h"
#include "backends/onnx/onnx_checker.h"
#include "backends/onnx/ort_contrib.h"
#include "backends/onnx/opset_adapt.h"
#include "backends/onnx/proto_graph.h"
#include "backends/onnx/proto_tensor.h"
#include "ir/atomic_file.h"

namespace kiln::onnx_backend {

namespace onnx = ::ONNX_NAMESPACE;

namespace {

/// kiln's canonical op forms are the newest at or below opset 21, so it can write 1..21.
constexpr int64_t kMaxTargetOpset = 21;
/// The IR version that came with opset 21 (ONNX 1.16); newer ones are not written.
constexpr int64_t kNewestIrVersion = 10;
/// Protobuf cannot serialize or parse a message of 2 GiB or more.
constexpr uint64_t kProtoLimit = (uint64_t{1} << 31) - 1;
/// Room left for everything but tensor bytes (nodes, names, value_info) when deciding whether
/// a model fits in one proto.
constexpr uint64_t kProtoHeadroom = uint64_t{64} << 20;
/// When a model must use external data but no threshold was given, tensors over this many
/// bytes leave the proto (the default of onnx.external_data_helper).
constexpr uint64_t kDefaultExternalThreshold = 1024;

/// Lowest IR version a model at default-domain `opset` may carry: the IR version of the ONNX
/// release that introduced that opset (onnx.helper.VERSION_TABLE).
int64_t minIrVersionForOpset(int64_t opset) {
  if (opset <= 8) return 3;
  if (opset == 9) return 4;
  if (opset == 10) return 5;
  if (opset == 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/// Keeps the model's IR version when it suits the target opset. Lower bound: the version
/// the opset requires, at least 4 (initializers that are not graph inputs, which top-level
/// Constants become) and 8 with model-local functions. Upper bound: what the linked checker
/// accepts when it knows the target opset (a newer IR version would only make it refuse an
/// otherwise valid model), else the newest IR version kiln writes.
int64_t chooseIrVersion(const Model& model, int64_t target) {
  int64_t lo = std::max<int64_t>(minIrVersionForOpset(target), 4);
  if (!model.functions.empty()) lo = std::max<int64_t>(lo, 8);
  int64_t hi = target <= checkerMaxOpset() ? checkerMaxIrVersion() : kNewestIrVersion;
  hi = std::max(hi, lo);
  return std::clamp(model.irVersion, lo, hi);
}

void collectDomains(const Graph& g, std::set<std::string>& domains) {
  g.walk([&](Node* n) { domains.insert(n->domain()); });
}

/// Every domain a node uses needs an opset import (the checker insists). The default domain
/// is at the target everywhere, function bodies included: their nodes are in canonical form,
/// adapted like the main graph. Other domains without an import get version 1 (custom
/// domains and model-local function domains are not versioned in practice).
void completeOpsetImports(Model& model, int64_t target) {
  model.setOpsetVersion("", target);
  std::set<std::string> used;
  collectDomains(*model.graph, used);
  for (Function& f : model.functions) {
    std::set<std::string> inBody;
    if (f.body) collectDomains(*f.body, inBody);
    if (inBody.count("") || std::any_of(f.opsets.begin(), f.opsets.end(),
                                        [](const OpsetImport& o) { return o.domain.empty(); })) {
      auto it = std::find_if(f.opsets.begin(), f.opsets.end(),
                             [](const OpsetImport& o) { return o.domain.empty(); });
      if (it == f.opsets.end()) f.opsets.push_back({"", target});
      else it->version = target;
    }
    for (const std::string& d : inBody)
      if (!d.empty() && std::none_of(f.opsets.begin(), f.opsets.end(),
                                     [&](const OpsetImport& o) { return o.domain == d; }))
        f.opsets.push_back({d, model.opsetVersion(d).value_or(1)});
    used.insert(inBody.begin(), inBody.end());
  }
  for (const std::string& d : used)
    if (!model.opsetVersion(d)) model.setOpsetVersion(d, 1);
}

uint64_t tensorBytes(const Graph& g) {
  uint64_t total = 0;
  for (const auto& [v, t] : g.inputDefaults()) total += t.byteSize();
  for (const Node* n : g.nodes())
    for (const auto& [name, a] : n->attributes()) {
      if (a.kind() == AttrKind::Tensor) total += a.t().byteSize();
      if (a.kind() == AttrKind::Tensors)
        for (const Tensor& t : a.tensors()) total += t.byteSize();
      if (a.kind() == AttrKind::Graph) total += tensorBytes(a.g());
      if (a.kind() == AttrKind::Graphs)
        for (const auto& sub : a.graphs()) total += tensorBytes(*sub);
    }
  return total;
}

uint64_t tensorBytes(const Model& m) {
  uint64_t total = tensorBytes(*m.graph);
  for (const Function& f : m.functions)
    if (f.body) total += tensorBytes(*f.body);
  return total;
}

/// The model in the target opset's form, with its opset imports and IR version settled.
struct Prepared {
  Model model;
  int64_t target = 0;
};

Expected<Prepared> prepare(const Model& model, const EmitOptions& options) {
  int64_t target = options.targetOpset.value_or(
      model.sourceOpset > 0 ? model.sourceOpset : model.opsetVersion("").value_or(kMaxTargetOpset));
  if (target < 1 || target > kMaxTargetOpset)
    return Status::error("cannot write ONNX opset " + std::to_string(target) +
                         ": kiln writes opsets 1 to " + std::to_string(kMaxTargetOpset));
  if (!model.graph) return Status::error("model has no graph");
  // The caller's model is const and may be emitted again at another opset: adapt a copy.
  // Tensors are shared by the copy, so weights are not duplicated.
  Prepared p{cloneModel(model), target};
  // For ONNX Runtime, fused ops it has a contrib kernel for become that kernel first.
  if (options.runtime == TargetRuntime::OnnxRuntime) {
    auto lowered = lowerToOnnxRuntimeContribOps(p.model);
    if (!lowered) return lowered.takeStatus().inFile(model.sourcePath);
  }
  // kiln-domain fused ops are written as the standard ops they stand for; adaptation then
  // expresses those at the target opset.
  KILN_RETURN_IF_ERROR(expandKilnOps(p.model).inFile(model.sourcePath));
  KILN_RETURN_IF_ERROR(adaptToOpset(p.model, target));
  completeOpsetImports(p.model, target);
  p.model.irVersion = chooseIrVersion(p.model, target);
  return p;
}

Status buildModelProto(const Model& m, onnx::ModelProto& proto, ExternalDataLayout* external,
                       DeferredRawData* deferred = nullptr) {
  proto.set_ir_version(m.irVersion);
  proto.set_producer_name(m.producerName.empty() ? "kiln" : m.producerName);
  if (!m.producerVersion.empty()) proto.set_producer_version(m.producerVersion);
  if (!m.domain.empty()) proto.set_domain(m.domain);
  if (m.modelVersion != 0) proto.set_model_version(m.modelVersion);
  if (!m.docString.empty()) proto.set_doc_string(m.docString);
  for (const OpsetImport& o : m.opsets) {
    auto* op = proto.add_opset_import();
    op->set_domain(o.domain);
    op->set_version(o.version);
  }
  for (const auto& [key, value] : m.metadata) {
    auto* entry = proto.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  }
  KILN_RETURN_IF_ERROR(writeMainGraphProto(*m.graph, *proto.mutable_graph(), external, deferred));
  for (const Function& f : m.functions)
    KILN_RETURN_IF_ERROR(writeFunctionProto(f, *proto.add_functions(), external));
  return Status::ok();
}

Status checkProtoSize(const onnx::ModelProto& proto) {
  uint64_t size = proto.ByteSizeLong();
  if (size > kProtoLimit)
    return Status::error("the model proto would take " + formatBytes(size) +
                         ", over protobuf's 2 GiB limit, even with large tensors stored outside it");
  return Status::ok();
}

Status serializeTo(const onnx::ModelProto& proto, AtomicFileWriter& out) {
  AtomicFileStream stream(out);
  bool ok;
  {
    google::protobuf::io::CopyingOutputStreamAdaptor adaptor(&stream, 1 << 20);
    ok = proto.SerializeToZeroCopyStream(&adaptor);
    ok = adaptor.Flush() && ok;
  }
  if (!stream.status()) return std::move(stream.status());
  if (!ok) return Diagnostic{.file = out.path(), .message = "cannot serialize the model proto"};
  return Status::ok();
}

/// Why the checker would refuse `type` on a model input or output, or nullopt. It wants a
/// full description there (element type, and a shape for tensors) but cannot say which value
/// lacks it, so kiln says so first.
std::optional<std::string> interfaceTypeProblem(const Type& type) {
  switch (type.kind()) {
    case Type::Kind::Unknown:
      return "has no type";
    case Type::Kind::Tensor:
      if (type.dtype() == DType::Undefined) return "has no element type (" + type.str() + ")";
      if (!type.shape().isRanked()) return "has no shape (" + type.str() + ")";
      return std::nullopt;
    case Type::Kind::Sequence:
    case Type::Kind::Optional:
      if (type.element().isUnknown()) return "has no element type (" + type.str() + ")";
      return std::nullopt;
  }
  return std::nullopt;
}

Status checkInterfaceTypes(const Graph& g) {
  auto problem = [](const char* what, const Value* v) -> Status {
    if (auto why = interfaceTypeProblem(v->type()))
      return Status::error("emitted model fails the ONNX checker: model " + std::string(what) + " '" +
                           v->name() + "' " + *why +
                           "; ONNX requires the type and rank of every model input and output");
    return Status::ok();
  };
  for (const Value* v : g.inputs()) KILN_RETURN_IF_ERROR(problem("input", v));
  for (const Value* v : g.outputs())
    if (v) KILN_RETURN_IF_ERROR(problem("output", v));
  return Status::ok();
}

bool shouldCheck(const EmitOptions& options, int64_t target) {
  // The checker refuses opsets newer than it knows; ONNX Runtime judges those in tests.
  return options.check && target <= checkerMaxOpset();
}

/// Writes the data file, then the model, each atomically (data first, so a model on disk
/// never points at missing data). With checking on, a probe copy of the model that points at
/// the temporary data file is checked before anything is renamed into place.
Status writeWithExternalData(onnx::ModelProto& proto, ExternalDataLayout& layout,
                             const std::string& path, bool check) {
  std::string fileName = std::filesystem::path(path).filename().string();
  auto data = AtomicFileWriter::open(path + ".data");
  if (!data) return data.takeStatus();
  KILN_RETURN_IF_ERROR(layout.writeTo(*data));

  if (check) {
    layout.setLocation(std::filesystem::path(data->tempPath()).filename().string());
    auto probe = AtomicFileWriter::open(path);
    if (!probe) return probe.takeStatus();
    KILN_RETURN_IF_ERROR(serializeTo(proto, *probe));
    Status st = runOnnxChecker(proto, probe->tempPath(), &layout);
    if (!st) return st.inFile(path);
  }

  layout.setLocation(fileName + ".data");
  auto model = AtomicFileWriter::open(path);
  if (!model) return model.takeStatus();
  KILN_RETURN_IF_ERROR(serializeTo(proto, *model));
  KILN_RETURN_IF_ERROR(data->commit());
  return model->commit();
}

}  // namespace

Expected<std::string> emitModelBytes(const Model& model, const EmitOptions& options) {
  if (options.externalDataThreshold)
    return Status::error("external data needs a model file beside it: use emitModelFile");
  auto prepared = prepare(model, options);
  if (!prepared) return prepared.takeStatus();
  const Model& m = prepared->model;
  if (uint64_t bytes = tensorBytes(m); bytes > kProtoLimit - kProtoHeadroom)
    return Status::error("the model holds " + formatBytes(bytes) +
                         " of tensor data, too much for one protobuf (2 GiB); write it to a "
                         "file, where large tensors go to external data");

  bool check = shouldCheck(options, prepared->target);
  if (check) KILN_RETURN_IF_ERROR(checkInterfaceTypes(*m.graph));
  onnx::ModelProto proto;
  KILN_RETURN_IF_ERROR(buildModelProto(m, proto, nullptr));
  KILN_RETURN_IF_ERROR(checkProtoSize(proto));
  if (check) KILN_RETURN_IF_ERROR(runOnnxChecker(proto, "", nullptr));
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) return Status::error("cannot serialize the model proto");
  return bytes;
}

Status emitModelFile(const Model& model, const std::string& path, const EmitOptions& options) {
  auto prepared = prepare(model, options);
  if (!prepared) return prepared.takeStatus().inFile(path);
  const Model& m = prepared->model;

  std::optional<uint64_t> threshold = options.externalDataThreshold;
  if (!threshold && tensorBytes(m) > kProtoLimit - kProtoHeadroom) threshold = kDefaultExternalThreshold;
  std::optional<ExternalDataLayout> layout;
  if (threshold) layout.emplace(*threshold);

  bool check = shouldCheck(options, prepared->target);
  Status st = check ? checkInterfaceTypes(*m.graph) : Status::ok();
  onnx::ModelProto proto;
  // Without a data file, large weights are written straight from the model's tensors.
  DeferredRawData deferred;
  if (st) st = buildModelProto(m, proto, layout ? &*layout : nullptr, layout ? nullptr : &deferred);
  if (st) st = checkProtoSize(proto);
  if (!st) return st.inFile(path);

  if (layout && !layout->empty()) return writeWithExternalData(proto, *layout, path, check);
  if (check) {
    st = runOnnxChecker(proto, "", nullptr);
    if (!st) return st.inFile(path);
  }
  return writeFileAtomically(path, [&](AtomicFileWriter& out) { return deferred.writeModel(proto, out); });
}

}  // namespace kiln::onnx_backend
