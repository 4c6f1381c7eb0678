#pragma once
// Internal to the ONNX emitter: protobuf's serializer writing straight into an atomic output
// file, so no second copy of the model is built in memory. Includes protobuf: .cpp files only.

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "ir/atomic_file.h"
#include "ir/diagnostic.h"

namespace kiln::onnx_backend {

class AtomicFileStream final : public google::protobuf::io::CopyingOutputStream {
 public:
  explicit AtomicFileStream(AtomicFileWriter& out) : out_(out) {}
  bool Write(const void* buffer, int size) override {
    status_ = out_.write({static_cast<const char*>(buffer), static_cast<size_t>(size)});
    return status_.isOk();
  }
  /// Why the last write failed, if it did.
  Status& status() { return status_; }

 private:
  AtomicFileWriter& out_;
  Status status_;
};

}  // namespace kiln::onnx_backend
