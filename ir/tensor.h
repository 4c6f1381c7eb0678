#pragma once
// Constant tensor data. The bytes live in a shared, immutable Buffer: owned memory, or a
// read-only memory map of an external-data file. Copying a Tensor shares the bytes; passes
// that compute new data (folding) build a new Tensor, so weights are never copied per pass.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/dtype.h"

namespace kiln {

class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual const std::byte* data() const = 0;
  virtual size_t size() const = 0;
};

/// Heap bytes owned by the buffer.
class OwnedBuffer final : public Buffer {
 public:
  explicit OwnedBuffer(size_t size) : bytes_(size) {}
  explicit OwnedBuffer(std::vector<std::byte> bytes) : bytes_(std::move(bytes)) {}
  const std::byte* data() const override { return bytes_.data(); }
  std::byte* mutableData() { return bytes_.data(); }
  size_t size() const override { return bytes_.size(); }

 private:
  std::vector<std::byte> bytes_;
};

/// A read-only mapping of [offset, offset + length) of a file; unmapped when the last
/// tensor using it goes away.
class MappedBuffer final : public Buffer {
 public:
  static Expected<std::shared_ptr<const MappedBuffer>> map(const std::string& path, uint64_t offset,
                                                           uint64_t length);
  ~MappedBuffer() override;
  const std::byte* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  MappedBuffer() = default;
  void* base_ = nullptr;
  size_t mappedSize_ = 0;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

class Tensor {
 public:
  Tensor() = default;
  /// Zero-filled tensor with owned storage (strings: empty strings).
  static Tensor zeros(DType dtype, std::vector<int64_t> dims);
  /// Wraps existing bytes; fails if the byte count disagrees with dtype and dims.
  static Expected<Tensor> fromBuffer(DType dtype, std::vector<int64_t> dims,
                                     std::shared_ptr<const Buffer> buffer);
  static Tensor fromStrings(std::vector<int64_t> dims, std::vector<std::string> strings);
  template <typename T>
  static Tensor fromVector(DType dtype, std::vector<int64_t> dims, const std::vector<T>& values);
  /// A tensor whose bytes are not available, only their summary: what the textual IR parser
  /// builds from an elided `dense<f32[768,768], 2.25 MiB, #a41f09...>`.
  static Tensor elided(DType dtype, std::vector<int64_t> dims, uint64_t hash);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  size_t rank() const { return dims_.size(); }
  int64_t numElements() const;
  /// Bytes of element data (strings: sum of string lengths).
  size_t byteSize() const;
  bool hasData() const { return buffer_ != nullptr || dtype_ == DType::String; }
  bool isElided() const { return elidedHash_ != 0 && !buffer_; }

  const std::byte* rawData() const { return buffer_ ? buffer_->data() : nullptr; }
  template <typename T>
  std::span<const T> data() const {
    return {reinterpret_cast<const T*>(rawData()), static_cast<size_t>(numElements())};
  }
  /// Writable bytes; only valid on a tensor made by zeros() that has not been shared yet.
  std::byte* mutableRawData();
  template <typename T>
  std::span<T> mutableData() {
    return {reinterpret_cast<T*>(mutableRawData()), static_cast<size_t>(numElements())};
  }
  const std::vector<std::string>& strings() const { return strings_; }
  const std::shared_ptr<const Buffer>& buffer() const { return buffer_; }

  /// Element i converted to double / int64 (any numeric dtype); for folding and printing.
  double scalarAsDouble(int64_t i) const;
  int64_t scalarAsInt(int64_t i) const;

  /// 64-bit content hash of dtype, dims and bytes (xxHash3).
  uint64_t hash() const;
  /// Same dtype, dims and bytes.
  bool contentEquals(const Tensor& o) const;

 private:
  DType dtype_ = DType::Undefined;
  std::vector<int64_t> dims_;
  std::shared_ptr<const Buffer> buffer_;
  std::vector<std::string> strings_;
  uint64_t elidedHash_ = 0;
};

template <typename T>
Tensor Tensor::fromVector(DType dtype, std::vector<int64_t> dims, const std::vector<T>& values) {
  Tensor t = zeros(dtype, std::move(dims));
  KILN_ASSERT(sizeof(T) == dtypeSize(dtype) && static_cast<int64_t>(values.size()) == t.numElements());
  auto out = t.mutableData<T>();
  std::copy(values.begin(), values.end(), out.begin());
  return t;
}

/// Human size: `36.75 KiB`, `2.25 MiB`.
std::string formatBytes(uint64_t bytes);

}  // namespace kiln
