#include "frontend/onnx/importer.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>
#include <unistd.h>

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

/// Checks the size of a model about to be parsed against the limits of kiln and protobuf.
Status checkModelSize(uint64_t size, const ImportOptions& options) {
  if (size == 0) return Status::error("empty file");
  if (size > options.limits.maxModelBytes)
    return Status::error("model is " + formatBytes(size) + ", over the model size limit of " +
                         formatBytes(options.limits.maxModelBytes) + " " + limitHint("--max-model-bytes"));
  if (size > static_cast<uint64_t>(INT_MAX))
    return Status::error("model is " + formatBytes(size) +
                         ": protobuf cannot parse a message over 2 GiB (store the weights as external data)");
  return Status::ok();
}

/// Parses a ModelProto from `in`, which must hold exactly one message.
Status parseModelProto(google::protobuf::io::CodedInputStream& in, const ImportOptions& options,
                       onnx::ModelProto& proto) {
  // Each subgraph level nests three messages (graph, node, attribute); protobuf's default
  // limit of 100 would stop a legal model long before maxSubgraphDepth does. The clamp keeps
  // protobuf's own recursion within the stack whatever the option says.
  int depth = std::clamp(options.limits.maxSubgraphDepth, 0, 1000);
  in.SetRecursionLimit(std::max(100, 3 * depth + 16));
  if (!proto.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
    return Status::error("not a valid ONNX model: failed to parse protobuf");
  // Protobuf accepts many byte strings as some message; a model must at least have a graph.
  if (!proto.has_graph()) return Status::error("not a valid ONNX model: the parsed protobuf has no graph");
  return checkProtoLimits(proto, options.limits);
}

/// Lifts a parsed proto into kiln's IR (its raw_data moves into the model's tensors).
Expected<Model> liftAndFinish(onnx::ModelProto& proto, ImportContext& ctx) {
  auto model = liftModel(proto, ctx);
  if (!model) return model;
  KILN_RETURN_IF_ERROR(finishImport(*model, ctx));
  return model;
}

Expected<Model> importFromBytes(std::string_view bytes, ImportContext& ctx) {
  KILN_RETURN_IF_ERROR(checkModelSize(bytes.size(), ctx.options));
  onnx::ModelProto proto;
  {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                              static_cast<int>(bytes.size()));
    KILN_RETURN_IF_ERROR(parseModelProto(in, ctx.options, proto));
  }
  return liftAndFinish(proto, ctx);
}

/// Reads the file through a small buffer rather than a mapping of all of it: the weights are
/// then resident once (in the parsed proto, later in the model's tensors), not twice, which
/// halves the peak memory of importing a large model.
Expected<Model> importFromFile(int fd, uint64_t size, ImportContext& ctx) {
  KILN_RETURN_IF_ERROR(checkModelSize(size, ctx.options));
  onnx::ModelProto proto;
  {
    google::protobuf::io::FileInputStream file(fd, 1 << 20);
    google::protobuf::io::CodedInputStream in(&file);
    KILN_RETURN_IF_ERROR(parseModelProto(in, ctx.options, proto));
    if (file.GetErrno() != 0) return Status::error(std::string("cannot read: ") + std::strerror(file.GetErrno()));
  }
  return liftAndFinish(proto, ctx);
}

/// Runs `import` with every exception libonnx, protobuf or the allocator may throw turned into
/// a diagnostic naming the file: none of them crosses this boundary.
template <typename Import>
Expected<Model> guarded(const std::string& displayName, Import&& import) {
  try {
    auto model = import();
    if (!model) return withFile(model.takeStatus(), displayName);
    return model;
  } catch (const std::bad_alloc&) {
    return withFile(Status::error("out of memory while importing the model"), displayName);
  } catch (const std::exception& e) {
    return withFile(Status::error(std::string("cannot import the model: ") + e.what()), displayName);
  }
}

/// Closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Expected<Model> importModelBytes(std::string_view bytes, const std::string& displayName, const std::string& baseDir,
                                 const ImportOptions& options) {
  ImportContext ctx{.file = displayName, .baseDir = baseDir, .options = options};
  return guarded(displayName, [&] { return importFromBytes(bytes, ctx); });
}

Expected<Model> importModelFile(const std::string& path, const ImportOptions& options) {
  FdCloser file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return withFile(Status::error(std::string("cannot open: ") + std::strerror(errno)), path);
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return withFile(Status::error(std::string("cannot open: ") + std::strerror(errno)), path);
  if (S_ISDIR(st.st_mode)) return withFile(Status::error("is a directory, not a model file"), path);
  if (!S_ISREG(st.st_mode)) return withFile(Status::error("not a regular file"), path);
  std::string baseDir = std::filesystem::path(path).parent_path().string();
  if (baseDir.empty()) baseDir = ".";
  ImportContext ctx{.file = path, .baseDir = baseDir, .options = options};
  return guarded(path, [&] { return importFromFile(file.fd, static_cast<uint64_t>(st.st_size), ctx); });
}

}  // namespace kiln::onnx_frontend
