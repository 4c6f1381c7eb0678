#include "ir/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

namespace kiln {

namespace {

std::string errorText(int err) { return std::strerror(err); }

std::string folderOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

/// A name no other writer picks: process id, a per-process counter and random bits (two
/// processes writing the same destination must not share a temporary file).
std::string tempNameFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::filesystem::path p(path);
  std::string name = "." + p.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                     std::to_string(counter++) + "-" + std::to_string(rng() % 1000000);
  return (p.parent_path() / name).string();
}

Status ioError(const std::string& path, const std::string& what, int err) {
  return Diagnostic{.file = path, .message = what + ": " + errorText(err)};
}

}  // namespace

Expected<AtomicFileWriter> AtomicFileWriter::open(const std::string& path) {
  if (path.empty()) return Status::error("cannot write a file with an empty name");
  struct stat existing {};
  bool exists = ::stat(path.c_str(), &existing) == 0;
  if (exists && S_ISDIR(existing.st_mode))
    return Diagnostic{.file = path, .message = "cannot write the file: it is a directory"};

  for (int attempt = 0; attempt < 64; ++attempt) {
    std::string temp = tempNameFor(path);
    // 0666 lets the umask decide, as for any newly created file.
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      if (errno == EEXIST || errno == EINTR) continue;
      int err = errno;
      return ioError(path, "cannot create a temporary file in '" + folderOf(path) + "'", err);
    }
    // Replacing a file keeps its permissions (a model made read-only for others stays so).
    if (exists && S_ISREG(existing.st_mode)) (void)::fchmod(fd, existing.st_mode & 07777);
    return AtomicFileWriter(path, std::move(temp), fd);
  }
  return Diagnostic{.file = path, .message = "cannot create a temporary file in '" +
                                             folderOf(path) + "': too many name collisions"};
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)), tempPath_(std::move(other.tempPath_)), fd_(other.fd_),
      written_(other.written_) {
  other.fd_ = -1;
  other.tempPath_.clear();
}

AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&& other) noexcept {
  if (this != &other) {
    abort();
    path_ = std::move(other.path_);
    tempPath_ = std::move(other.tempPath_);
    fd_ = other.fd_;
    written_ = other.written_;
    other.fd_ = -1;
    other.tempPath_.clear();
  }
  return *this;
}

AtomicFileWriter::~AtomicFileWriter() { abort(); }

void AtomicFileWriter::abort() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tempPath_.empty()) ::unlink(tempPath_.c_str());
  tempPath_.clear();
}

Status AtomicFileWriter::fail(const std::string& what, int err) {
  abort();
  return ioError(path_, what, err);
}

Status AtomicFileWriter::write(std::string_view bytes) {
  if (fd_ < 0) return Diagnostic{.file = path_, .message = "write after the file was closed"};
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write the file", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
  return Status::ok();
}

Status AtomicFileWriter::writeZeros(uint64_t count) {
  static const std::vector<char> zeros(64 * 1024, 0);
  while (count > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(count, zeros.size()));
    KILN_RETURN_IF_ERROR(write(std::string_view(zeros.data(), n)));
    count -= n;
  }
  return Status::ok();
}

Status AtomicFileWriter::commit() {
  if (fd_ < 0) return Diagnostic{.file = path_, .message = "commit after the file was closed"};
  // Data must reach the disk before the rename publishes it, or a crash could leave a renamed
  // but empty file.
  if (::fsync(fd_) != 0) return fail("cannot flush the file to disk", errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return fail("cannot close the file", errno);
  if (::rename(tempPath_.c_str(), path_.c_str()) != 0) return fail("cannot rename the temporary file into place", errno);
  tempPath_.clear();
  // Best effort: make the rename durable. Some file systems refuse fsync on folders.
  int dir = ::open(folderOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
  return Status::ok();
}

Status writeFileAtomically(const std::string& path, std::string_view bytes) {
  return writeFileAtomically(path, [&](AtomicFileWriter& w) { return w.write(bytes); });
}

Status writeFileAtomically(const std::string& path,
                           const std::function<Status(AtomicFileWriter&)>& produce) {
  auto writer = AtomicFileWriter::open(path);
  if (!writer) return writer.takeStatus();
  Status st = produce(*writer);
  if (!st) {
    writer->abort();
    return st;
  }
  return writer->commit();
}

}  // namespace kiln
