#pragma once
// Internal to the ONNX emitter: large top-level initializers whose bytes are written to the
// model file straight from kiln's tensors, never copied into the proto. Building a proto with
// every weight copied in would hold the weights twice; this keeps the peak memory of emitting
// a model close to one copy of its weights.

#include <cstdint>
#include <unordered_map>

#include "ir/atomic_file.h"
#include "ir/diagnostic.h"
#include "ir/tensor.h"

namespace ONNX_NAMESPACE {
class ModelProto;
class TensorProto;
}  // namespace ONNX_NAMESPACE

namespace kiln::onnx_backend {

class DeferredRawData {
 public:
  /// Tensors above this size are deferred. The ONNX checker's shape inference reads tensor
  /// contents only for small shape-like inputs, far below it.
  static constexpr uint64_t kDefaultThreshold = 64 * 1024;

  explicit DeferredRawData(uint64_t thresholdBytes = kDefaultThreshold) : threshold_(thresholdBytes) {}

  /// Whether `t` is deferred (numeric, bytes available, over the threshold).
  bool wants(const Tensor& t) const;
  /// Gives `proto` a one-byte placeholder raw_data in place of `t`'s bytes. The checker accepts
  /// it: it wants one data field present and leaves its length to the producer, and kiln sizes
  /// raw_data from the tensor itself. `proto` must be a top-level initializer of the model
  /// later passed to writeModel, and must stay at its address until then.
  void defer(const Tensor& t, ONNX_NAMESPACE::TensorProto& proto);
  bool empty() const { return tensors_.empty(); }

  /// Writes `model` with every deferred tensor's bytes in its raw_data, fields in the order
  /// protobuf itself writes them: the file holds the same bytes SerializeToString would give
  /// for the model with its real data. `model` is left as it was.
  Status writeModel(ONNX_NAMESPACE::ModelProto& model, AtomicFileWriter& out) const;

 private:
  uint64_t threshold_;
  std::unordered_map<const ONNX_NAMESPACE::TensorProto*, Tensor> tensors_;
};

}  // namespace kiln::onnx_backend
