// The C API of a model library (docs/aot.md): kiln_aot_* functions that the object's
// `<name>_*` forwarders call with the model image. Each created model parses the embedded IR,
// puts the weights back in place of the elided constants (views into the library's read-only
// data, or into the mapped external file), decodes the launches, and runs on the same runtime
// as the JIT. No exception and no abort crosses this boundary: errors are codes plus a message.

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "backends/llvm/aot_runtime/model_image.h"
#include "backends/llvm/constant_tensors.h"
#include "backends/llvm/launches.h"
#include "backends/llvm/runtime.h"
#include "ir/parser.h"

namespace kiln::llvmjit {
namespace {

enum Code : int { kOk = 0, kInvalidArgument = 1, kLoadError = 2, kRunError = 3 };

struct Options {  // <name>_options
  int threads;
  const char* weightsPath;
};

struct CTensor {  // <name>_tensor
  int32_t dtype;
  size_t rank;
  const int64_t* dims;
  const void* data;
  size_t bytes;
};

/// One graph input or output as the description functions report it.
struct Port {
  std::string name;
  int32_t dtype = 0;
  int64_t rank = -1;                 ///< -1: unranked
  std::vector<int64_t> dims;         ///< -1 where not static
  std::vector<std::string> symbols;  ///< the symbol of a symbolic dim, else empty
};

struct Signature {
  std::vector<Port> inputs, outputs;
  std::vector<std::pair<std::string, std::string>> metadata;
};

thread_local std::string lastCreateError;

Port portOf(const Value& v) {
  Port p{.name = v.name(), .dtype = static_cast<int32_t>(v.dtype())};
  if (!v.type().isTensor() || !v.shape().isRanked()) return p;
  p.rank = static_cast<int64_t>(v.shape().rank());
  for (size_t d = 0; d < v.shape().rank(); ++d) {
    const Dim& dim = v.shape()[d];
    p.dims.push_back(dim.isStatic() ? dim.value() : -1);
    p.symbols.push_back(dim.isStatic() ? "" : dim.str());
  }
  return p;
}

Expected<Model> parseImage(const KilnModelImage* image) {
  if (!image || image->version != kKilnModelImageVersion)
    return Status::error("the model image was written by another kiln version");
  return parseModel(std::string_view(image->irText, image->irBytes), std::string(image->name) + " (embedded IR)");
}

/// The signature of `image`, parsed once per library and kept (it never changes).
const Signature* signatureOf(const KilnModelImage* image) {
  static std::mutex mutex;
  static std::map<const KilnModelImage*, std::unique_ptr<Signature>> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(image); it != cache.end()) return it->second.get();
  auto model = parseImage(image);
  if (!model) return nullptr;
  auto sig = std::make_unique<Signature>();
  for (const Value* v : model->graph->inputs()) sig->inputs.push_back(portOf(*v));
  for (const Value* v : model->graph->outputs()) sig->outputs.push_back(portOf(*v));
  sig->metadata = model->metadata;
  return (cache[image] = std::move(sig)).get();
}

/// Bytes that stay valid as long as `owner` (the mapping, or nothing for the library's data).
class WeightView final : public Buffer {
 public:
  WeightView(std::shared_ptr<const void> owner, const std::byte* data, size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}
  const std::byte* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  std::shared_ptr<const void> owner_;
  const std::byte* data_;
  size_t size_;
};

/// The caller's input bytes, not copied (the run only reads them).
class CallerBytes final : public Buffer {
 public:
  CallerBytes(const void* data, size_t size) : data_(static_cast<const std::byte*>(data)), size_(size) {}
  const std::byte* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  const std::byte* data_;
  size_t size_;
};

/// The folder of the library holding `image`, for external weights.
std::string libraryFolder(const KilnModelImage* image) {
  Dl_info info{};
  if (dladdr(image, &info) && info.dli_fname) return std::filesystem::path(info.dli_fname).parent_path().string();
  return ".";
}

struct Weights {
  std::shared_ptr<const void> owner;
  const std::byte* data = nullptr;
  size_t size = 0;
};

Expected<Weights> mapWeights(const KilnModelImage* image, const Options* options) {
  if (!image->weightsFile) {
    return Weights{nullptr, reinterpret_cast<const std::byte*>(image->weights), static_cast<size_t>(image->weightBytes)};
  }
  std::string path = options && options->weightsPath ? options->weightsPath
                                                      : libraryFolder(image) + "/" + image->weightsFile;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open the weights file '" + path + "': " + std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != image->weightBytes) {
    ::close(fd);
    return Status::error("weights file '" + path + "' has " + std::to_string(st.st_size) + " bytes, the model expects " +
                         std::to_string(image->weightBytes));
  }
  void* p = image->weightBytes ? ::mmap(nullptr, image->weightBytes, PROT_READ, MAP_SHARED, fd, 0) : nullptr;
  ::close(fd);
  if (p == MAP_FAILED) return Status::error("cannot map the weights file '" + path + "': " + std::strerror(errno));
  const size_t bytes = image->weightBytes;
  std::shared_ptr<const void> owner(p, [bytes](const void* q) {
    if (q) ::munmap(const_cast<void*>(q), bytes);
  });
  return Weights{owner, static_cast<const std::byte*>(p), bytes};
}

/// Puts the weights back in place of the elided constants (same order as the compiler wrote
/// them), each checked against the size and content hash the IR recorded.
Status bindWeights(Graph& graph, const Weights& w) {
  size_t offset = 0;
  Status status = Status::ok();
  visitConstantTensors(graph, [&](const Tensor& t) -> std::optional<Tensor> {
    if (!status || !t.isElided()) return std::nullopt;
    offset = (offset + 63) / 64 * 64;
    const size_t bytes = static_cast<size_t>(t.numElements()) * dtypeSize(t.dtype());
    if (offset + bytes > w.size) {
      status = Status::error("the weights end before constant " + std::to_string(offset));
      return std::nullopt;
    }
    auto view = std::make_shared<WeightView>(w.owner, w.data + offset, bytes);
    offset += bytes;
    auto bound = Tensor::fromBuffer(t.dtype(), t.dims(), std::move(view));
    if (!bound) {
      status = bound.takeStatus();
      return std::nullopt;
    }
    if (bound->hash() != t.hash()) {
      status = Status::error("the weights do not match the model (content hash of a constant differs)");
      return std::nullopt;
    }
    return bound.take();
  });
  return status;
}

}  // namespace

/// A created model: the runtime plus the latest outputs.
struct AotModel {
  const KilnModelImage* image = nullptr;
  const Signature* signature = nullptr;
  std::unique_ptr<JitRuntime> runtime;
  std::vector<Tensor> outputs;
  std::string error;

  int fail(int code, std::string message) {
    error = std::move(message);
    return code;
  }
};

namespace {

Expected<std::unique_ptr<AotModel>> createModel(const KilnModelImage* image, const Options* options) {
  auto model = parseImage(image);
  if (!model) return model.takeStatus();
  auto weights = mapWeights(image, options);
  if (!weights) return weights.takeStatus();
  KILN_RETURN_IF_ERROR(bindWeights(*model->graph, *weights));
  std::vector<PrebuiltKernel> kernels(image->kernelCount);
  std::span<const int64_t> codes(image->launchCodes, image->launchCodeCount);
  size_t index = 0;
  for (const Node* node : model->graph->nodes()) {
    if (index >= kernels.size()) return Status::error("the library holds fewer kernels than the graph has nodes");
    if (codes.empty()) return Status::error("the library's launch table is truncated");
    const bool present = codes.front() != 0;
    codes = codes.subspan(1);
    if (present) {
      auto launch = decodeLaunch(codes, *node);
      if (!launch) return launch.takeStatus();
      kernels[index].launch = launch.take();
      kernels[index].fn = reinterpret_cast<KernelFn>(image->kernels[index]);
    }
    ++index;
  }
  JitOptions jit{.threads = options && options->threads > 0 ? options->threads : 1};
  auto runtime = JitRuntime::fromKernels(std::move(model->graph), std::move(kernels), jit, image->name);
  if (!runtime) return runtime.takeStatus();
  auto out = std::make_unique<AotModel>();
  out->image = image;
  out->signature = signatureOf(image);
  if (!out->signature) return Status::error("cannot read the model's signature");
  out->runtime = runtime.take();
  return out;
}

/// Checks one caller tensor against the model's input `port`; wraps its bytes.
Expected<Tensor> inputTensor(const CTensor& c, const Port& port) {
  const std::string what = "input '" + port.name + "'";
  auto dtype = dtypeFromOnnx(c.dtype);
  if (!dtype || *dtype == DType::String || dtypeSize(*dtype) == 0)
    return Status::error(what + ": unsupported dtype code " + std::to_string(c.dtype));
  if (c.dtype != port.dtype)
    return Status::error(what + " is " + std::string(dtypeName(*dtype)) + ", the model expects " +
                         std::string(dtypeName(static_cast<DType>(port.dtype))));
  if (port.rank >= 0 && static_cast<int64_t>(c.rank) != port.rank)
    return Status::error(what + " has rank " + std::to_string(c.rank) + ", the model expects " + std::to_string(port.rank));
  if (c.rank > 0 && !c.dims) return Status::error(what + ": dims is NULL");
  std::vector<int64_t> dims(c.dims, c.dims + c.rank);
  size_t elements = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] < 0) return Status::error(what + ": negative dim");
    if (port.rank >= 0 && port.dims[d] >= 0 && dims[d] != port.dims[d])
      return Status::error(what + ": dim " + std::to_string(d) + " is " + std::to_string(dims[d]) + ", the model expects " +
                           std::to_string(port.dims[d]));
    elements *= static_cast<size_t>(dims[d]);
  }
  const size_t bytes = elements * dtypeSize(*dtype);
  if (c.bytes != bytes)
    return Status::error(what + " holds " + std::to_string(c.bytes) + " bytes, its dims and dtype need " +
                         std::to_string(bytes));
  if (bytes && !c.data) return Status::error(what + ": data is NULL");
  return Tensor::fromBuffer(*dtype, std::move(dims), std::make_shared<CallerBytes>(c.data, c.bytes));
}

const Port* port(const KilnModelImage* image, bool input, size_t i) {
  const Signature* s = signatureOf(image);
  if (!s) return nullptr;
  const auto& ports = input ? s->inputs : s->outputs;
  return i < ports.size() ? &ports[i] : nullptr;
}

}  // namespace
}  // namespace kiln::llvmjit

using kiln::llvmjit::AotModel;
using kiln::llvmjit::CTensor;
using kiln::llvmjit::Options;
namespace aot = kiln::llvmjit;

extern "C" {

int kiln_aot_create(const KilnModelImage* image, const Options* options, AotModel** out) {
  try {
    if (!out) {
      aot::lastCreateError = "create: `out` is NULL";
      return aot::kInvalidArgument;
    }
    *out = nullptr;
    if (options && options->threads < 0) {
      aot::lastCreateError = "create: threads must be >= 0";
      return aot::kInvalidArgument;
    }
    auto model = aot::createModel(image, options);
    if (!model) {
      aot::lastCreateError = model.status().str();
      return aot::kLoadError;
    }
    *out = model.take().release();
    return aot::kOk;
  } catch (const std::exception& e) {
    aot::lastCreateError = std::string("create: ") + e.what();
  } catch (...) {
    aot::lastCreateError = "create: unknown error";
  }
  return aot::kLoadError;
}

void kiln_aot_destroy(const KilnModelImage*, AotModel* model) { delete model; }

int kiln_aot_run(const KilnModelImage*, AotModel* model, const CTensor* inputs, size_t count) {
  if (!model) return aot::kInvalidArgument;
  try {
    model->outputs.clear();
    const auto& ports = model->signature->inputs;
    if (count != ports.size())
      return model->fail(aot::kInvalidArgument, "run: the model takes " + std::to_string(ports.size()) + " inputs, got " +
                                                    std::to_string(count));
    if (count && !inputs) return model->fail(aot::kInvalidArgument, "run: inputs is NULL");
    std::vector<kiln::Tensor> tensors;
    for (size_t i = 0; i < count; ++i) {
      auto t = aot::inputTensor(inputs[i], ports[i]);
      if (!t) return model->fail(aot::kInvalidArgument, "run: " + t.status().str());
      tensors.push_back(t.take());
    }
    auto outputs = model->runtime->run(tensors);
    if (!outputs) return model->fail(aot::kRunError, "run: " + outputs.status().str());
    model->outputs = outputs.take();
    model->error.clear();
    return aot::kOk;
  } catch (const std::exception& e) {
    return model->fail(aot::kRunError, std::string("run: ") + e.what());
  } catch (...) {
    return model->fail(aot::kRunError, "run: unknown error");
  }
}

int kiln_aot_get_output(const KilnModelImage*, AotModel* model, size_t index, CTensor* out) {
  if (!model) return aot::kInvalidArgument;
  if (!out) return model->fail(aot::kInvalidArgument, "get_output: `out` is NULL");
  if (index >= model->outputs.size())
    return model->fail(aot::kInvalidArgument, "get_output: no output " + std::to_string(index) +
                                                  (model->outputs.empty() ? " (no successful run yet)" : ""));
  const kiln::Tensor& t = model->outputs[index];
  *out = CTensor{static_cast<int32_t>(t.dtype()), t.rank(), t.dims().data(), t.rawData(), t.byteSize()};
  return aot::kOk;
}

const char* kiln_aot_last_error(const KilnModelImage*, const AotModel* model) {
  return model ? model->error.c_str() : aot::lastCreateError.c_str();
}

#define KILN_AOT_PORT_FUNCTIONS(kind, isInput)                                                          \
  size_t kiln_aot_num_##kind##s(const KilnModelImage* image) {                                          \
    const aot::Signature* s = aot::signatureOf(image);                                                  \
    return s ? (isInput ? s->inputs.size() : s->outputs.size()) : 0;                                   \
  }                                                                                                     \
  const char* kiln_aot_##kind##_name(const KilnModelImage* image, size_t i) {                           \
    const aot::Port* p = aot::port(image, isInput, i);                                                  \
    return p ? p->name.c_str() : nullptr;                                                               \
  }                                                                                                     \
  int32_t kiln_aot_##kind##_dtype(const KilnModelImage* image, size_t i) {                              \
    const aot::Port* p = aot::port(image, isInput, i);                                                  \
    return p ? p->dtype : 0;                                                                            \
  }                                                                                                     \
  int64_t kiln_aot_##kind##_rank(const KilnModelImage* image, size_t i) {                               \
    const aot::Port* p = aot::port(image, isInput, i);                                                  \
    return p ? p->rank : -1;                                                                            \
  }                                                                                                     \
  int64_t kiln_aot_##kind##_dim(const KilnModelImage* image, size_t i, size_t axis) {                   \
    const aot::Port* p = aot::port(image, isInput, i);                                                  \
    return p && axis < p->dims.size() ? p->dims[axis] : -1;                                             \
  }                                                                                                     \
  const char* kiln_aot_##kind##_dim_symbol(const KilnModelImage* image, size_t i, size_t axis) {        \
    const aot::Port* p = aot::port(image, isInput, i);                                                  \
    return p && axis < p->symbols.size() && !p->symbols[axis].empty() ? p->symbols[axis].c_str() : nullptr; \
  }

KILN_AOT_PORT_FUNCTIONS(input, true)
KILN_AOT_PORT_FUNCTIONS(output, false)

size_t kiln_aot_metadata_count(const KilnModelImage* image) {
  const aot::Signature* s = aot::signatureOf(image);
  return s ? s->metadata.size() : 0;
}

const char* kiln_aot_metadata_key(const KilnModelImage* image, size_t i) {
  const aot::Signature* s = aot::signatureOf(image);
  return s && i < s->metadata.size() ? s->metadata[i].first.c_str() : nullptr;
}

const char* kiln_aot_metadata_value(const KilnModelImage* image, size_t i) {
  const aot::Signature* s = aot::signatureOf(image);
  return s && i < s->metadata.size() ? s->metadata[i].second.c_str() : nullptr;
}

}  // extern "C"
