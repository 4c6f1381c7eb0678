#pragma once
// Internal to the ONNX emitter: kiln Tensor -> TensorProto, and the layout of the external
// data file that holds large tensors. Protobuf types are only forward-declared here.

#include <cstdint>
#include <string>
#include <vector>

#include "backends/onnx/deferred_raw_data.h"
#include "ir/atomic_file.h"
#include "ir/diagnostic.h"
#include "ir/tensor.h"

namespace ONNX_NAMESPACE {
class TensorProto;
}  // namespace ONNX_NAMESPACE

namespace kiln::onnx_backend {

/// Tensors stored outside the model proto, in one data file beside it, in the order they are
/// met. Each starts at a 4 KiB aligned offset, so a loader can map it directly.
class ExternalDataLayout {
 public:
  static constexpr uint64_t kAlignment = 4096;

  /// Tensors of more than `thresholdBytes` bytes go to the data file.
  explicit ExternalDataLayout(uint64_t thresholdBytes) : threshold_(thresholdBytes) {}

  /// Whether `t` goes to the data file (numeric, non-empty, over the threshold; ONNX has no
  /// external form for string tensors).
  bool wants(const Tensor& t) const;
  /// Reserves an aligned range for `t` and marks `proto` EXTERNAL with its offset and length.
  /// `proto` must outlive the layout (protobuf keeps repeated elements at stable addresses).
  void place(const Tensor& t, ONNX_NAMESPACE::TensorProto& proto);
  /// Points every placed tensor at `location`, a file name relative to the model's folder.
  void setLocation(const std::string& location);

  bool empty() const { return entries_.empty(); }
  /// Size of the data file.
  uint64_t totalBytes() const { return end_; }
  /// The placed tensor stored at `offset`, or null.
  const Tensor* tensorAt(uint64_t offset) const;

  /// Streams the data file: every tensor at its offset, zero padding between them.
  Status writeTo(AtomicFileWriter& out) const;

 private:
  struct Entry {
    ONNX_NAMESPACE::TensorProto* proto;
    Tensor tensor;
    uint64_t offset;
  };
  uint64_t threshold_;
  uint64_t end_ = 0;
  std::vector<Entry> entries_;
};

/// Fills `proto` from `t`: data type, dims, then raw_data (numeric types, little-endian as
/// stored), string_data (strings), or an external reference when `external` wants the tensor.
/// The name is left to the caller. Fails on tensors whose bytes are not available (elided).
/// `deferred` (only for top-level initializers) takes the bytes of large tensors that stay in
/// the proto, to be written straight from `t` when the model is written.
Status writeTensorProto(const Tensor& t, ONNX_NAMESPACE::TensorProto& proto,
                        ExternalDataLayout* external, DeferredRawData* deferred = nullptr);

}  // namespace kiln::onnx_backend
