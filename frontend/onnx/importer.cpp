#include "frontend/onnx/importer.h"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <new>

#include "frontend/onnx/function_inline.h"
#include "frontend/onnx/import_context.h"
#include "frontend/onnx/limits_check.h"
#include "frontend/onnx/model_import.h"
#include "frontend/onnx/opset_upgrade.h"
#include "ir/op_registry.h"
#include "ir/tensor.h"

namespace kiln::onnx_frontend {
namespace {

Status withFile(Status s, const std::string& file) {
  s.inFile(file);
  return s;
}

/// Points every node at kiln's registry entry for its op (null: kiln does not know the op).
void attachSchemas(Model& model) {
  const OpRegistry& registry = OpRegistry::builtin();
  auto attach = [&](Node* n) { n->setSchema(registry.lookup(n->domain(), n->opType())); };
  model.graph->walk(attach);
  for (auto& f : model.functions) f.body->walk(attach);
}

/// After lifting: inline functions if asked, upgrade to canonical op forms, attach schemas.
/// Inlining comes first so that inlined bodies are upgraded with everything else.
Status finishImport(Model& model, ImportContext& ctx) {
  if (ctx.options.inlineFunctions) KILN_RETURN_IF_ERROR(inlineFunctions(model, ctx.functionDefaults));
  if (!ctx.options.upgradeOps) return Status::ok();  // schemas describe canonical forms only
  KILN_RETURN_IF_ERROR(upgradeToCanonical(model));
  attachSchemas(model);
  return Status::ok();
}

Expected<Model> importImpl(std::string_view bytes, ImportContext& ctx) {
  if (bytes.empty()) return Status::error("empty file");
  if (bytes.size() > ctx.options.limits.maxModelBytes)
    return Status::error("model is " + formatBytes(bytes.size()) + ", over the model size limit of " +
                         formatBytes(ctx.options.limits.maxModelBytes) + " " + limitHint("--max-model-bytes"));
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return Status::error("model is " + formatBytes(bytes.size()) +
                         ": protobuf cannot parse a message over 2 GiB (store the weights as external data)");

  onnx::ModelProto proto;
  {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                              static_cast<int>(bytes.size()));
    // Each subgraph level nests three messages (graph, node, attribute); protobuf's default
    // limit of 100 would stop a legal model long before maxSubgraphDepth does. The clamp keeps
    // protobuf's own recursion within the stack whatever the option says.
    int depth = std::clamp(ctx.options.limits.maxSubgraphDepth, 0, 1000);
    in.SetRecursionLimit(std::max(100, 3 * depth + 16));
    if (!proto.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
      return Status::error("not a valid ONNX model: failed to parse protobuf");
  }
  // Protobuf accepts many byte strings as some message; a model must at least have a graph.
  if (!proto.has_graph()) return Status::error("not a valid ONNX model: the parsed protobuf has no graph");
  KILN_RETURN_IF_ERROR(checkProtoLimits(proto, ctx.options.limits));

  auto model = liftModel(proto, ctx);
  if (!model) return model;
  KILN_RETURN_IF_ERROR(finishImport(*model, ctx));
  return model;
}

}  // namespace

Expected<Model> importModelBytes(std::string_view bytes, const std::string& displayName, const std::string& baseDir,
                                 const ImportOptions& options) {
  ImportContext ctx{.file = displayName, .baseDir = baseDir, .options = options};
  // libonnx reports through exceptions and protobuf or the allocator may throw: none of them
  // crosses this boundary.
  try {
    auto model = importImpl(bytes, ctx);
    if (!model) return withFile(model.takeStatus(), displayName);
    return model;
  } catch (const std::bad_alloc&) {
    return withFile(Status::error("out of memory while importing the model"), displayName);
  } catch (const std::exception& e) {
    return withFile(Status::error(std::string("cannot import the model: ") + e.what()), displayName);
  }
}

Expected<Model> importModelFile(const std::string& path, const ImportOptions& options) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return withFile(Status::error(std::string("cannot open: ") + std::strerror(errno)), path);
  if (S_ISDIR(st.st_mode)) return withFile(Status::error("is a directory, not a model file"), path);
  if (!S_ISREG(st.st_mode)) return withFile(Status::error("not a regular file"), path);
  auto size = static_cast<uint64_t>(st.st_size);
  if (size == 0) return withFile(Status::error("empty file"), path);
  if (size > options.limits.maxModelBytes)
    return withFile(Status::error("model is " + formatBytes(size) + ", over the model size limit of " +
                                  formatBytes(options.limits.maxModelBytes) + " " + limitHint("--max-model-bytes")),
                    path);
  // Parse straight from a mapping of the file: no copy of the whole file on the heap.
  auto mapped = MappedBuffer::map(path, 0, size);
  if (!mapped) return withFile(mapped.takeStatus(), path);
  std::string baseDir = std::filesystem::path(path).parent_path().string();
  if (baseDir.empty()) baseDir = ".";
  std::string_view bytes(reinterpret_cast<const char*>((*mapped)->data()), (*mapped)->size());
  return importModelBytes(bytes, path, baseDir, options);
}

}  // namespace kiln::onnx_frontend
