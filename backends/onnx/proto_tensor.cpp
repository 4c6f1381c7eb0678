#include "backends/onnx/proto_tensor.h"

#include <onnx/onnx_pb.h>

#include <bit>
#include <cinttypes>
#include <cstdio>

namespace kiln::onnx_backend {

static_assert(std::endian::native == std::endian::little,
              "raw_data is little-endian; a big-endian host would need a byte swap here");

namespace {

std::string tensorSummary(const Tensor& t, bool withHash) {
  std::string dims;
  for (size_t i = 0; i < t.dims().size(); ++i) dims += (i ? "," : "") + std::to_string(t.dims()[i]);
  std::string out = std::string(dtypeName(t.dtype())) + "[" + dims + "], " +
                    formatBytes(static_cast<uint64_t>(t.numElements()) * dtypeSize(t.dtype()));
  if (withHash) {
    char hash[24];
    std::snprintf(hash, sizeof hash, "%016" PRIx64, t.hash());
    out += ", #" + std::string(hash);
  }
  return out;
}

void addExternalEntry(ONNX_NAMESPACE::TensorProto& proto, const std::string& key,
                      const std::string& value) {
  auto* entry = proto.add_external_data();
  entry->set_key(key);
  entry->set_value(value);
}

}  // namespace

bool ExternalDataLayout::wants(const Tensor& t) const {
  return t.dtype() != DType::String && t.numElements() > 0 && t.byteSize() > threshold_;
}

void ExternalDataLayout::place(const Tensor& t, ONNX_NAMESPACE::TensorProto& proto) {
  uint64_t offset = (end_ + kAlignment - 1) / kAlignment * kAlignment;
  uint64_t length = t.byteSize();
  end_ = offset + length;
  proto.set_data_location(ONNX_NAMESPACE::TensorProto::EXTERNAL);
  // `location` is first and filled in by setLocation once the file name is known.
  addExternalEntry(proto, "location", "");
  addExternalEntry(proto, "offset", std::to_string(offset));
  addExternalEntry(proto, "length", std::to_string(length));
  entries_.push_back({&proto, t, offset});
}

void ExternalDataLayout::setLocation(const std::string& location) {
  for (const Entry& e : entries_) e.proto->mutable_external_data(0)->set_value(location);
}

const Tensor* ExternalDataLayout::tensorAt(uint64_t offset) const {
  for (const Entry& e : entries_)
    if (e.offset == offset) return &e.tensor;
  return nullptr;
}

Status ExternalDataLayout::writeTo(AtomicFileWriter& out) const {
  uint64_t pos = 0;
  for (const Entry& e : entries_) {
    KILN_RETURN_IF_ERROR(out.writeZeros(e.offset - pos));
    // Straight from the tensor's buffer (often a memory map of the source weights): no copy.
    size_t n = e.tensor.byteSize();
    KILN_RETURN_IF_ERROR(out.write({reinterpret_cast<const char*>(e.tensor.rawData()), n}));
    pos = e.offset + n;
  }
  return Status::ok();
}

Status writeTensorProto(const Tensor& t, ONNX_NAMESPACE::TensorProto& proto,
                        ExternalDataLayout* external, DeferredRawData* deferred) {
  if (t.dtype() == DType::Undefined) return Status::error("tensor has no element type");
  if (t.isElided())
    return Status::error("tensor data was elided (" + tensorSummary(t, true) +
                         "): only its summary is known, so it cannot be written to ONNX; "
                         "start from a model file or an IR dump printed with full constants");
  proto.set_data_type(dtypeToOnnx(t.dtype()));
  for (int64_t d : t.dims()) proto.add_dims(d);

  if (t.dtype() == DType::String) {
    if (static_cast<int64_t>(t.strings().size()) != t.numElements())
      return Status::error("string tensor holds " + std::to_string(t.strings().size()) +
                           " strings for " + std::to_string(t.numElements()) + " elements");
    for (const std::string& s : t.strings()) proto.add_string_data(s);
    return Status::ok();
  }
  // An empty tensor carries no data field at all: the checker rejects a 0-element tensor that
  // has one.
  if (t.numElements() == 0) return Status::ok();
  if (!t.rawData()) return Status::error("tensor (" + tensorSummary(t, false) + ") has no data");
  if (external && external->wants(t)) {
    external->place(t, proto);
    return Status::ok();
  }
  if (deferred && deferred->wants(t)) {
    deferred->defer(t, proto);
    return Status::ok();
  }
  proto.set_raw_data(t.rawData(), t.byteSize());
  return Status::ok();
}

}  // namespace kiln::onnx_backend
