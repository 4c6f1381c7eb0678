#include "frontend/onnx/external_data.h"

#include <onnx/onnx_pb.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace kiln::onnx_frontend {
namespace {

/// realpath(3), or nullopt with errno set.
std::optional<std::string> realPath(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) return std::nullopt;
  std::string out(resolved);
  std::free(resolved);
  return out;
}

bool hasDotDotComponent(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    // Backslashes count as separators too: a Windows exporter's `..\x` must not slip through.
    size_t end = path.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

Expected<uint64_t> parseCount(const std::string& text, const char* key, const std::string& what) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return Status::error("external data of " + what + " has an invalid " + key + " '" + text + "'");
  return v;
}

}  // namespace

Expected<std::shared_ptr<const Buffer>> mapExternalData(const onnx::TensorProto& t, const std::string& what,
                                                        uint64_t byteSize, ImportContext& ctx) {
  std::string location;
  std::optional<std::string> offsetText, lengthText;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offsetText = kv.value();
    else if (kv.key() == "length") lengthText = kv.value();
    // "checksum" (a SHA-1 digest) and unknown keys are informational: ignored.
  }
  if (location.empty()) return Status::error("external data of " + what + " has no location");
  if (location.find('\0') != std::string::npos)
    return Status::error("external data path of " + what + " contains a NUL byte");
  const std::string quoted = "'" + location + "'";
  if (location.front() == '/' || location.front() == '\\')
    return Status::error("external data path " + quoted + " of " + what + " is absolute");
  if (hasDotDotComponent(location))
    return Status::error("external data path " + quoted + " of " + what +
                         " escapes the model folder (a '..' component points outside it)");
  if (ctx.baseDir.empty())
    return Status::error(what + " has external data (" + quoted +
                         ") but the model was not read from a file: no folder to resolve it against");

  if (ctx.baseDirReal.empty()) {
    auto base = realPath(ctx.baseDir);
    if (!base) return Status::error("cannot resolve the model folder '" + ctx.baseDir + "': " + std::strerror(errno));
    ctx.baseDirReal = *base;
  }
  auto resolved = realPath(ctx.baseDir + "/" + location);
  if (!resolved)
    return Status::error("cannot open external data file " + quoted + " of " + what + ": " + std::strerror(errno));
  // realpath followed every symlink; what it found must still lie inside the model's folder.
  const std::string& base = ctx.baseDirReal;
  bool inside = resolved->size() > base.size() && resolved->compare(0, base.size(), base) == 0 &&
                ((*resolved)[base.size()] == '/' || base == "/");
  if (!inside)
    return Status::error("external data path " + quoted + " of " + what +
                         " escapes the model folder (through a symlink, to '" + *resolved + "', outside it)");

  struct stat st {};
  if (::stat(resolved->c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return Status::error("external data path " + quoted + " of " + what + " is not a regular file");
  auto fileSize = static_cast<uint64_t>(st.st_size);

  uint64_t offset = 0, length = byteSize;
  if (offsetText) {
    auto v = parseCount(*offsetText, "offset", what);
    if (!v) return v.takeStatus();
    offset = *v;
  }
  if (lengthText) {
    auto v = parseCount(*lengthText, "length", what);
    if (!v) return v.takeStatus();
    length = *v;
  }
  if (offset > fileSize || length > fileSize - offset)
    return Status::error("external data of " + what + " reads bytes [" + std::to_string(offset) + ", " +
                         std::to_string(offset) + "+" + std::to_string(length) + ") but " + quoted + " has " +
                         std::to_string(fileSize) + " bytes");
  if (length != byteSize)
    return Status::error(what + ": external data has " + std::to_string(length) + " bytes, its dims need " +
                         std::to_string(byteSize) + " (size mismatch)");
  ctx.externalBytes += length;
  if (ctx.externalBytes > ctx.options.limits.maxModelBytes)
    return Status::error("external data exceeds the model size limit of " + formatBytes(ctx.options.limits.maxModelBytes) +
                         " at " + what + " " + limitHint("--max-model-bytes"));

  auto mapped = MappedBuffer::map(*resolved, offset, length);
  if (!mapped) {
    Status s = mapped.takeStatus();
    s.diagnostic().message = what + ": " + s.diagnostic().message;
    return s;
  }
  return std::shared_ptr<const Buffer>(mapped.take());
}

}  // namespace kiln::onnx_frontend
