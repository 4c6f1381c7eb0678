#include "frontend/onnx/model_import.h"

#include <google/protobuf/unknown_field_set.h>
#include <onnx/onnx_pb.h>

#include <algorithm>

#include "frontend/onnx/attribute_import.h"
#include "frontend/onnx/graph_import.h"

namespace kiln::onnx_frontend {
namespace {

/// FunctionProto.attribute_proto (attributes with default values) arrived in ONNX 1.13, after
/// the protobuf classes Debian ships; the parser keeps it as unknown field 11, read from there.
constexpr int kFunctionAttributeProtoField = 11;

Status readOpsets(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& imports, OpsetMap& opsets,
                  std::vector<OpsetImport>* ordered) {
  for (const auto& o : imports) {
    std::string domain = normalizeDomain(o.domain());
    if (o.version() < 1)
      return Status::error("opset import of domain '" + displayDomain(domain) + "' has invalid version " +
                           std::to_string(o.version()));
    auto [it, fresh] = opsets.emplace(domain, o.version());
    if (!fresh && it->second != o.version())
      return Status::error("domain '" + displayDomain(domain) + "' is imported twice, at opsets " +
                           std::to_string(it->second) + " and " + std::to_string(o.version()));
    if (fresh && ordered) ordered->push_back({domain, o.version()});
  }
  return Status::ok();
}

Status readFunctionDefaults(const onnx::FunctionProto& fp, const FunctionKey& key, ImportContext& ctx,
                            const OpsetMap& opsets, std::vector<std::string>& attributeNames) {
  const auto& unknown = fp.GetReflection()->GetUnknownFields(fp);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const auto& field = unknown.field(i);
    if (field.number() != kFunctionAttributeProtoField ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
      continue;
    onnx::AttributeProto proto;
    if (!proto.ParseFromString(field.length_delimited()))
      return Status::error("function '" + fp.name() + "': an attribute default is not a valid AttributeProto");
    LiftEnv env{ctx, opsets, false};
    SubgraphLifter lift = [&](onnx::GraphProto& g) -> Expected<std::unique_ptr<Graph>> {
      auto sub = std::make_unique<Graph>(g.name());
      KILN_RETURN_IF_ERROR(liftGraph(g, *sub, nullptr, env, 1));
      return sub;
    };
    auto a = attributeFromProto(proto, false, lift, ctx);
    if (!a) return a.takeStatus();
    if (std::find(attributeNames.begin(), attributeNames.end(), proto.name()) == attributeNames.end())
      attributeNames.push_back(proto.name());
    ctx.functionDefaults[key].emplace_back(proto.name(), a.take());
  }
  return Status::ok();
}

/// Prefixes errors from inside a function body, whose node names would otherwise read as
/// main-graph nodes.
Status inFunction(Status s, const std::string& name) {
  if (!s.isOk()) s.diagnostic().message = "in function '" + name + "': " + s.diagnostic().message;
  return s;
}

}  // namespace

Expected<Model> liftModel(onnx::ModelProto& proto, ImportContext& ctx) {
  Model m;
  m.irVersion = proto.ir_version();
  m.producerName = proto.producer_name();
  m.producerVersion = proto.producer_version();
  m.domain = proto.domain();
  m.modelVersion = proto.model_version();
  m.docString = proto.doc_string();
  m.sourcePath = ctx.file;
  for (const auto& kv : proto.metadata_props()) m.metadata.emplace_back(kv.key(), kv.value());

  OpsetMap opsets;
  KILN_RETURN_IF_ERROR(readOpsets(proto.opset_import(), opsets, &m.opsets));
  // IR version 1 and 2 files predate opset_import: they are implicitly at opset 1.
  if (opsets.empty() && proto.ir_version() < 3) {
    opsets[""] = 1;
    m.opsets.push_back({"", 1});
  }
  m.sourceOpset = opsets.count("") ? opsets.at("") : 0;

  // Signatures first: a call may come before (or inside) the definition it calls.
  for (const auto& fp : proto.functions()) {
    if (fp.name().empty()) return Status::error("a model-local function has no name");
    FunctionKey key{normalizeDomain(fp.domain()), fp.name()};
    if (!ctx.functions.emplace(key, FunctionSignature{fp.input_size(), fp.output_size()}).second)
      return Status::error("function '" + fp.name() + "' of domain '" + displayDomain(key.first) +
                           "' is defined twice");
  }
  for (auto& fp : *proto.mutable_functions()) {
    Function f;
    f.name = fp.name();
    f.domain = normalizeDomain(fp.domain());
    f.docString = fp.doc_string();
    f.attributes.assign(fp.attribute().begin(), fp.attribute().end());
    OpsetMap fnOpsets;
    KILN_RETURN_IF_ERROR(inFunction(readOpsets(fp.opset_import(), fnOpsets, nullptr), f.name));
    for (const auto& [domain, version] : fnOpsets) f.opsets.push_back({domain, version});
    for (const auto& [domain, version] : opsets) fnOpsets.emplace(domain, version);  // the model's fill gaps
    KILN_RETURN_IF_ERROR(inFunction(readFunctionDefaults(fp, {f.domain, f.name}, ctx, fnOpsets, f.attributes), f.name));
    f.body = std::make_unique<Graph>(f.name);
    LiftEnv env{ctx, fnOpsets, true};
    KILN_RETURN_IF_ERROR(inFunction(liftFunctionBody(fp, *f.body, env), f.name));
    m.functions.push_back(std::move(f));
  }

  LiftEnv env{ctx, opsets, false};
  KILN_RETURN_IF_ERROR(liftGraph(*proto.mutable_graph(), *m.graph, nullptr, env, 0));
  return m;
}

}  // namespace kiln::onnx_frontend
