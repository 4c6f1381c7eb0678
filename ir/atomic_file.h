#pragma once
// Atomic file output: every file kiln writes (models, external data, dumps, reports) goes to a
// temporary file in the destination folder, is flushed to disk, and is renamed over the
// destination only when complete. A failed or interrupted run therefore leaves either the old
// file or the whole new one, never a truncated mix, and never a stray temporary file.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ir/diagnostic.h"

namespace kiln {

/// A file being written under a temporary name beside `path`. Destroying the writer without
/// commit() removes the temporary file; the file at `path`, if any, is never touched before
/// commit(). Errors name `path` in Diagnostic::file.
class AtomicFileWriter {
 public:
  /// Creates the temporary file (same folder as `path`, so the final rename stays on one
  /// file system). Its permissions follow the umask, or copy those of an existing `path`.
  static Expected<AtomicFileWriter> open(const std::string& path);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  /// Appends bytes (unbuffered: callers write in large blocks).
  Status write(std::string_view bytes);
  /// Appends `count` zero bytes (alignment padding).
  Status writeZeros(uint64_t count);
  uint64_t bytesWritten() const { return written_; }

  /// The destination and the temporary file's path (readable before commit, e.g. by a checker).
  const std::string& path() const { return path_; }
  const std::string& tempPath() const { return tempPath_; }

  /// fsync, close, rename over path(), then fsync the folder so the rename itself is durable.
  /// On failure the temporary file is removed and path() is left as it was.
  Status commit();
  /// Removes the temporary file; path() is left as it was. Safe to call more than once.
  void abort();

 private:
  AtomicFileWriter(std::string path, std::string tempPath, int fd)
      : path_(std::move(path)), tempPath_(std::move(tempPath)), fd_(fd) {}
  Status fail(const std::string& what, int err);

  std::string path_, tempPath_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

/// Writes `bytes` to `path` atomically.
Status writeFileAtomically(const std::string& path, std::string_view bytes);
/// Streams a file to `path` atomically: `produce` appends to the writer; the file is committed
/// only when it returns ok (otherwise its Status is returned and `path` is left as it was).
Status writeFileAtomically(const std::string& path,
                           const std::function<Status(AtomicFileWriter&)>& produce);

}  // namespace kiln
