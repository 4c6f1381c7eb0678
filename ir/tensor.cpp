#include "ir/tensor.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmath>
#include <cstring>

#include "ir/float16.h"

namespace kiln {

Expected<std::shared_ptr<const MappedBuffer>> MappedBuffer::map(const std::string& path,
                                                                uint64_t offset, uint64_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open external data file '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error("external data '" + path + "' is not a regular file");
  }
  auto fileSize = static_cast<uint64_t>(st.st_size);
  if (offset > fileSize || length > fileSize - offset) {
    ::close(fd);
    return Status::error("external data range [" + std::to_string(offset) + ", +" +
                         std::to_string(length) + ") exceeds file '" + path + "' of " +
                         std::to_string(fileSize) + " bytes");
  }
  std::shared_ptr<MappedBuffer> buf(new MappedBuffer());
  if (length > 0) {
    // mmap offsets must be page aligned: map from the page start, point into it.
    uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t start = offset / page * page;
    size_t mapLen = static_cast<size_t>(offset - start + length);
    void* base = ::mmap(nullptr, mapLen, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(start));
    if (base == MAP_FAILED) {
      ::close(fd);
      return Status::error("cannot map external data '" + path + "': " + std::strerror(errno));
    }
    buf->base_ = base;
    buf->mappedSize_ = mapLen;
    buf->data_ = static_cast<const std::byte*>(base) + (offset - start);
  }
  buf->size_ = static_cast<size_t>(length);
  ::close(fd);
  return std::shared_ptr<const MappedBuffer>(std::move(buf));
}

MappedBuffer::~MappedBuffer() {
  if (base_) ::munmap(base_, mappedSize_);
}

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

size_t Tensor::byteSize() const {
  if (dtype_ == DType::String) {
    size_t n = 0;
    for (const auto& s : strings_) n += s.size();
    return n;
  }
  return static_cast<size_t>(numElements()) * dtypeSize(dtype_);
}

Tensor Tensor::zeros(DType dtype, std::vector<int64_t> dims) {
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  if (dtype == DType::String)
    t.strings_.resize(static_cast<size_t>(t.numElements()));
  else
    t.buffer_ = std::make_shared<OwnedBuffer>(t.byteSize());
  return t;
}

Expected<Tensor> Tensor::fromBuffer(DType dtype, std::vector<int64_t> dims,
                                    std::shared_ptr<const Buffer> buffer) {
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  if (buffer->size() != t.byteSize())
    return Status::error("tensor data has " + std::to_string(buffer->size()) + " bytes, but " +
                         std::string(dtypeName(dtype)) + " with " +
                         std::to_string(t.numElements()) + " elements needs " +
                         std::to_string(t.byteSize()));
  t.buffer_ = std::move(buffer);
  return t;
}

Tensor Tensor::fromStrings(std::vector<int64_t> dims, std::vector<std::string> strings) {
  Tensor t;
  t.dtype_ = DType::String;
  t.dims_ = std::move(dims);
  t.strings_ = std::move(strings);
  return t;
}

Tensor Tensor::elided(DType dtype, std::vector<int64_t> dims, uint64_t hash) {
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.elidedHash_ = hash == 0 ? 1 : hash;
  return t;
}

std::byte* Tensor::mutableRawData() {
  auto* owned = dynamic_cast<const OwnedBuffer*>(buffer_.get());
  KILN_ASSERT(owned && buffer_.use_count() == 1);
  return const_cast<OwnedBuffer*>(owned)->mutableData();
}

double Tensor::scalarAsDouble(int64_t i) const {
  const std::byte* p = rawData() + static_cast<size_t>(i) * dtypeSize(dtype_);
  auto load = [p]<typename T>(T) { T v; std::memcpy(&v, p, sizeof(T)); return v; };
  switch (dtype_) {
    case DType::Float32: return load(float{});
    case DType::Float64: return load(double{});
    case DType::Float16: return halfToFloat(load(uint16_t{}));
    case DType::BFloat16: return bfloat16ToFloat(load(uint16_t{}));
    case DType::Int8: return load(int8_t{});
    case DType::Int16: return load(int16_t{});
    case DType::Int32: return load(int32_t{});
    case DType::Int64: return static_cast<double>(load(int64_t{}));
    case DType::UInt8: case DType::Bool: return load(uint8_t{});
    case DType::UInt16: return load(uint16_t{});
    case DType::UInt32: return load(uint32_t{});
    case DType::UInt64: return static_cast<double>(load(uint64_t{}));
    default: return std::nan("");
  }
}

int64_t Tensor::scalarAsInt(int64_t i) const {
  const std::byte* p = rawData() + static_cast<size_t>(i) * dtypeSize(dtype_);
  auto load = [p]<typename T>(T) { T v; std::memcpy(&v, p, sizeof(T)); return v; };
  switch (dtype_) {
    case DType::Int8: return load(int8_t{});
    case DType::Int16: return load(int16_t{});
    case DType::Int32: return load(int32_t{});
    case DType::Int64: return load(int64_t{});
    case DType::UInt8: case DType::Bool: return load(uint8_t{});
    case DType::UInt16: return load(uint16_t{});
    case DType::UInt32: return load(uint32_t{});
    case DType::UInt64: return static_cast<int64_t>(load(uint64_t{}));
    default: return static_cast<int64_t>(scalarAsDouble(i));
  }
}

uint64_t Tensor::hash() const {
  if (isElided()) return elidedHash_;
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  auto code = static_cast<int32_t>(dtype_);
  XXH3_64bits_update(st, &code, sizeof code);
  XXH3_64bits_update(st, dims_.data(), dims_.size() * sizeof(int64_t));
  if (dtype_ == DType::String) {
    for (const auto& s : strings_) {
      uint64_t n = s.size();
      XXH3_64bits_update(st, &n, sizeof n);
      XXH3_64bits_update(st, s.data(), s.size());
    }
  } else if (buffer_) {
    XXH3_64bits_update(st, buffer_->data(), buffer_->size());
  }
  uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

bool Tensor::contentEquals(const Tensor& o) const {
  if (dtype_ != o.dtype_ || dims_ != o.dims_) return false;
  if (dtype_ == DType::String) return strings_ == o.strings_;
  if (isElided() || o.isElided()) return hash() == o.hash();
  if (buffer_ == o.buffer_) return true;
  return byteSize() == 0 || std::memcmp(rawData(), o.rawData(), byteSize()) == 0;
}

std::string formatBytes(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  return buf;
}

}  // namespace kiln
