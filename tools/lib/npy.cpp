#include "tools/lib/npy.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include "ir/atomic_file.h"

namespace kiln::tools {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

Status fail(const std::string& what, const std::string& message) { return Status::error(what + ": " + message); }

// ---- little-endian byte access ---------------------------------------------------------------

uint64_t readLE(std::string_view b, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[off + i])) << (8 * i);
  return v;
}
void putLE(std::string& out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// ---- dtype <-> descr -------------------------------------------------------------------------

/// A parsed numpy type descriptor.
struct Descr {
  DType dtype = DType::Undefined;
  size_t itemSize = 0;       ///< bytes per element in the file
  bool bigEndian = false;
  bool unicode = false;      ///< '<U': UTF-32 code units; '|S': bytes (strings only)
};

std::optional<Descr> parseDescr(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  Descr d;
  char order = s[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') return std::nullopt;
  d.bigEndian = order == '>';
  char kind = s[1];
  std::string_view sizeText = s.substr(2);
  if (sizeText.empty() || sizeText.size() > 9 || !std::all_of(sizeText.begin(), sizeText.end(), ::isdigit))
    return std::nullopt;
  size_t size = std::stoul(std::string(sizeText));
  d.itemSize = size;
  auto pick = [&](std::initializer_list<std::pair<size_t, DType>> table) -> bool {
    for (auto [n, t] : table)
      if (n == size) {
        d.dtype = t;
        return true;
      }
    return false;
  };
  bool ok = false;
  switch (kind) {
    case 'f': ok = pick({{2, DType::Float16}, {4, DType::Float32}, {8, DType::Float64}}); break;
    case 'i': ok = pick({{1, DType::Int8}, {2, DType::Int16}, {4, DType::Int32}, {8, DType::Int64}}); break;
    case 'u': ok = pick({{1, DType::UInt8}, {2, DType::UInt16}, {4, DType::UInt32}, {8, DType::UInt64}}); break;
    case 'b': ok = pick({{1, DType::Bool}}); break;
    case 'c': ok = pick({{8, DType::Complex64}, {16, DType::Complex128}}); break;
    case 'V': ok = pick({{2, DType::BFloat16}}); break;  // ml_dtypes' bfloat16
    case 'U':
      d.dtype = DType::String;
      d.unicode = true;
      d.itemSize = size * 4;
      ok = size <= (std::numeric_limits<uint32_t>::max() / 4);
      break;
    case 'S':
      d.dtype = DType::String;
      ok = true;
      break;
    default: break;
  }
  if (!ok) return std::nullopt;
  return d;
}

std::string descrFor(DType t) {
  switch (t) {
    case DType::Float16: return "<f2";
    case DType::Float32: return "<f4";
    case DType::Float64: return "<f8";
    case DType::BFloat16: return "<V2";
    case DType::Int8: return "|i1";
    case DType::Int16: return "<i2";
    case DType::Int32: return "<i4";
    case DType::Int64: return "<i8";
    case DType::UInt8: return "|u1";
    case DType::UInt16: return "<u2";
    case DType::UInt32: return "<u4";
    case DType::UInt64: return "<u8";
    case DType::Bool: return "|b1";
    case DType::Complex64: return "<c8";
    case DType::Complex128: return "<c16";
    default: return "";
  }
}

// ---- UTF-8 <-> UTF-32 ------------------------------------------------------------------------

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

/// Decodes UTF-8 leniently: a byte that does not start a valid sequence stands for itself
/// (so arbitrary bytes survive a round trip as Latin-1 code points).
std::vector<uint32_t> utf32(const std::string& s) {
  std::vector<uint32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    const size_t extra = c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : 0;
    if (extra > 0 && i + extra < s.size()) {
      uint32_t cp = c & (0x3f >> extra);
      bool ok = true;
      for (size_t k = 1; ok && k <= extra; ++k) {
        const auto cc = static_cast<uint8_t>(s[i + k]);
        ok = (cc & 0xc0) == 0x80;
        cp = (cp << 6) | (cc & 0x3f);
      }
      // Past Unicode's last code point (F4 90..BF ..): the bytes stand for themselves, or the
      // string could not be written back as '<U'.
      if (ok && cp <= 0x10ffff) {
        out.push_back(cp);
        i += extra + 1;
        continue;
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

// ---- header ----------------------------------------------------------------------------------

/// The value text after `'key':` in a numpy header dict, up to the matching end.
std::optional<std::string_view> headerValue(std::string_view header, std::string_view key) {
  for (char quote : {'\'', '"'}) {
    std::string pattern = std::string(1, quote) + std::string(key) + std::string(1, quote);
    size_t k = header.find(pattern);
    if (k == std::string_view::npos) continue;
    size_t colon = header.find(':', k + pattern.size());
    if (colon == std::string_view::npos) return std::nullopt;
    size_t v = header.find_first_not_of(" \t", colon + 1);
    if (v == std::string_view::npos) return std::nullopt;
    return header.substr(v);
  }
  return std::nullopt;
}

/// Reverses the order of the axes of a C-order array (Fortran order on disk is C order with
/// reversed dims): out[i0..in] = in[in..i0].
std::vector<std::byte> reverseAxes(const std::byte* data, const std::vector<int64_t>& dims, size_t itemSize) {
  const size_t r = dims.size();
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  std::vector<std::byte> out(static_cast<size_t>(count) * itemSize);
  // Nothing to move (and memcpy must not see the null data of an empty vector): a zero-width
  // item ('<U0') or an empty array.
  if (out.empty()) return out;
  // Strides of the on-disk array, whose dims are `dims` reversed.
  std::vector<int64_t> diskStrides(r, 1);
  for (size_t i = 1; i < r; ++i) diskStrides[i] = diskStrides[i - 1] * dims[i - 1];
  std::vector<int64_t> idx(r, 0);
  for (int64_t o = 0; o < count; ++o) {
    int64_t src = 0;
    for (size_t i = 0; i < r; ++i) src += idx[i] * diskStrides[i];
    std::memcpy(out.data() + static_cast<size_t>(o) * itemSize, data + static_cast<size_t>(src) * itemSize, itemSize);
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < dims[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

}  // namespace

Expected<Tensor> parseNpy(std::string_view b, const std::string& what) {
  if (b.size() < 10 || b.substr(0, 6) != kMagic) return fail(what, "not a .npy file (bad magic)");
  const int major = static_cast<uint8_t>(b[6]);
  size_t headerLen = 0, start = 0;
  if (major == 1) {
    headerLen = readLE(b, 8, 2);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) return fail(what, "truncated header");
    headerLen = readLE(b, 8, 4);
    start = 12;
  } else {
    return fail(what, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(static_cast<uint8_t>(b[7])));
  }
  if (headerLen > b.size() - start) return fail(what, "truncated header");
  std::string_view header = b.substr(start, headerLen);

  auto descrText = headerValue(header, "descr");
  auto fortranText = headerValue(header, "fortran_order");
  auto shapeText = headerValue(header, "shape");
  if (!descrText || !fortranText || !shapeText) return fail(what, "malformed header (needs descr, fortran_order, shape)");
  if (descrText->empty() || ((*descrText)[0] != '\'' && (*descrText)[0] != '"'))
    return fail(what, "unsupported dtype (structured arrays are not supported)");
  size_t descrEnd = descrText->find((*descrText)[0], 1);
  if (descrEnd == std::string_view::npos) return fail(what, "malformed descr in header");
  std::string descrStr(descrText->substr(1, descrEnd - 1));
  auto descr = parseDescr(descrStr);
  if (!descr) return fail(what, "unsupported dtype '" + descrStr + "'");
  bool fortran;
  if (fortranText->starts_with("True")) fortran = true;
  else if (fortranText->starts_with("False")) fortran = false;
  else return fail(what, "malformed fortran_order in header");
  if (shapeText->empty() || (*shapeText)[0] != '(') return fail(what, "malformed shape in header");
  size_t shapeEnd = shapeText->find(')');
  if (shapeEnd == std::string_view::npos) return fail(what, "malformed shape in header");
  std::vector<int64_t> dims;
  {
    std::string_view s = shapeText->substr(1, shapeEnd - 1);
    size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && (s[i] == ' ' || s[i] == ',')) ++i;
      if (i >= s.size()) break;
      uint64_t v = 0;
      size_t digits = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - 9) / 10)
          return fail(what, "shape entry too large");
        v = v * 10 + static_cast<uint64_t>(s[i] - '0');
        ++i;
        ++digits;
      }
      if (i < s.size() && s[i] == 'L') ++i;  // Python 2 long suffix
      if (digits == 0) return fail(what, "bad shape entry in header");
      dims.push_back(static_cast<int64_t>(v));
    }
  }
  // Element and byte counts, refusing overflow (hostile headers).
  uint64_t count = 1;
  bool zero = std::find(dims.begin(), dims.end(), 0) != dims.end();
  if (!zero)
    for (int64_t d : dims) {
      if (count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / static_cast<uint64_t>(d))
        return fail(what, "element count overflows");
      count *= static_cast<uint64_t>(d);
    }
  if (zero) count = 0;
  // numpy never writes zero-width elements ('S0', 'U0'); accepting them would let a few header
  // bytes ask for any number of strings without the data to bound it.
  if (descr->itemSize == 0 && count > 0) return fail(what, "elements of zero width (descr S0 or U0)");
  if (descr->itemSize != 0 && count > std::numeric_limits<uint64_t>::max() / 2 / descr->itemSize)
    return fail(what, "byte count overflows");
  const uint64_t nbytes = count * descr->itemSize;
  const size_t dataOff = start + headerLen;
  if (b.size() - dataOff < nbytes)
    return fail(what, "data truncated (" + std::to_string(b.size() - dataOff) + " bytes, need " + std::to_string(nbytes) + ")");

  // Bytes in C order, host (little-endian) byte order.
  std::string_view raw = b.substr(dataOff, static_cast<size_t>(nbytes));
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(raw.data()),
                               reinterpret_cast<const std::byte*>(raw.data()) + raw.size());
  size_t swapUnit = descr->dtype == DType::Complex64 ? 4 : descr->dtype == DType::Complex128 ? 8
                  : descr->unicode ? 4 : descr->dtype == DType::String ? 1 : descr->itemSize;
  if (descr->bigEndian && swapUnit > 1)
    for (size_t i = 0; i + swapUnit <= bytes.size(); i += swapUnit) std::reverse(bytes.begin() + i, bytes.begin() + i + swapUnit);
  if (fortran && dims.size() > 1) {
    bytes = reverseAxes(bytes.data(), dims, descr->itemSize);
  }

  if (descr->dtype == DType::String) {
    std::vector<std::string> strings(static_cast<size_t>(count));
    for (size_t i = 0; i < strings.size(); ++i) {
      const std::byte* p = bytes.data() + i * descr->itemSize;
      std::string& s = strings[i];
      if (descr->unicode) {
        for (size_t k = 0; k < descr->itemSize / 4; ++k) {
          uint32_t cp;
          std::memcpy(&cp, p + 4 * k, 4);
          if (cp == 0) break;
          if (cp > 0x10ffff) return fail(what, "invalid code point in string data");
          appendUtf8(s, cp);
        }
      } else {
        s.assign(reinterpret_cast<const char*>(p), descr->itemSize);
        s.erase(s.find_last_not_of('\0') + 1);
      }
    }
    return Tensor::fromStrings(std::move(dims), std::move(strings));
  }
  if (descr->dtype == DType::Bool)
    for (auto& x : bytes) x = x != std::byte{0} ? std::byte{1} : std::byte{0};
  auto t = Tensor::fromBuffer(descr->dtype, std::move(dims), std::make_shared<OwnedBuffer>(std::move(bytes)));
  if (!t) return fail(what, t.status().diagnostic().message);
  return t.take();
}

Expected<std::string> formatNpy(const Tensor& t) {
  std::string descr;
  size_t maxChars = 1;
  std::vector<std::vector<uint32_t>> codePoints;
  if (t.dtype() == DType::String) {
    codePoints.reserve(t.strings().size());
    for (const auto& s : t.strings()) {
      codePoints.push_back(utf32(s));
      maxChars = std::max(maxChars, codePoints.back().size());
    }
    descr = "<U" + std::to_string(maxChars);
  } else {
    descr = descrFor(t.dtype());
    if (descr.empty()) return Status::error("cannot write element type '" + std::string(dtypeName(t.dtype())) + "' to .npy");
    if (!t.hasData()) return Status::error("cannot write a tensor without data to .npy");
  }
  std::string shape = "(";
  for (size_t i = 0; i < t.dims().size(); ++i) shape += (i ? ", " : "") + std::to_string(t.dims()[i]);
  if (t.dims().size() == 1) shape += ",";
  shape += ")";
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // numpy pads the header with spaces and a newline so the data starts 64-byte aligned.
  int major = 1;
  size_t pre = 10;
  if (dict.size() + 1 + pre + 64 > 65535) {
    major = 2;
    pre = 12;
  }
  dict += std::string((64 - (pre + dict.size() + 1) % 64) % 64, ' ') + "\n";
  std::string out(kMagic);
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  putLE(out, dict.size(), major == 1 ? 2 : 4);
  out += dict;
  if (t.dtype() == DType::String) {
    for (const auto& cps : codePoints)
      for (size_t k = 0; k < maxChars; ++k) putLE(out, k < cps.size() ? cps[k] : 0, 4);
  } else {
    out.append(reinterpret_cast<const char*>(t.rawData()), t.byteSize());
  }
  return out;
}

// ---- zip -------------------------------------------------------------------------------------

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50, kEnd64LocatorSig = 0x07064b50;
constexpr uint64_t kMax32 = 0xffffffffu;

Expected<std::string> inflateRaw(std::string_view in, uint64_t expected, const std::string& what) {
  // DEFLATE cannot expand more than ~1032:1; a larger claimed size is a corrupt (or hostile) entry.
  if (expected > static_cast<uint64_t>(in.size()) * 1032 + 1024) return fail(what, "corrupt entry (impossible uncompressed size)");
  std::string out(static_cast<size_t>(expected), '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return fail(what, "zlib initialisation failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), std::numeric_limits<uInt>::max()));
  size_t produced = 0, consumed = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    size_t room = out.size() - produced;
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(room, std::numeric_limits<uInt>::max()));
    uInt before = zs.avail_out, inBefore = zs.avail_in;
    rc = inflate(&zs, Z_NO_FLUSH);
    produced += before - zs.avail_out;
    consumed += inBefore - zs.avail_in;
    if (zs.avail_in == 0 && consumed < in.size()) {
      zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size() - consumed, std::numeric_limits<uInt>::max()));
    }
    if (rc == Z_OK && before == zs.avail_out && inBefore == zs.avail_in) rc = Z_BUF_ERROR;  // no progress
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != expected) return fail(what, "corrupt compressed entry");
  return out;
}

}  // namespace

Expected<std::vector<NamedTensor>> parseNpz(std::string_view b, const std::string& what) {
  if (b.size() < 22) return fail(what, "not a zip archive (too short)");
  // End of central directory: the last signature within the final 64 KiB + 22 bytes.
  size_t end = std::string_view::npos;
  for (size_t i = b.size() - 22 + 1; i-- > 0 && b.size() - i <= 65557;)
    if (readLE(b, i, 4) == kEndSig) {
      end = i;
      break;
    }
  if (end == std::string_view::npos) return fail(what, "not a zip archive (no end of central directory)");
  uint64_t entries = readLE(b, end + 10, 2), cdSize = readLE(b, end + 12, 4), cdOff = readLE(b, end + 16, 4);
  if ((entries == 0xffff || cdSize == kMax32 || cdOff == kMax32) && end >= 20 && readLE(b, end - 20, 4) == kEnd64LocatorSig) {
    uint64_t e64 = readLE(b, end - 20 + 8, 8);
    if (e64 > b.size() - 56 || readLE(b, e64, 4) != kEnd64Sig) return fail(what, "corrupt zip64 end record");
    entries = readLE(b, e64 + 32, 8);
    cdSize = readLE(b, e64 + 40, 8);
    cdOff = readLE(b, e64 + 48, 8);
  }
  if (cdOff > b.size() || cdSize > b.size() - cdOff) return fail(what, "truncated archive (central directory out of range)");

  std::vector<NamedTensor> out;
  size_t p = cdOff;
  for (uint64_t e = 0; e < entries; ++e) {
    if (p + 46 > b.size() || readLE(b, p, 4) != kCentralSig) return fail(what, "corrupt central directory");
    const uint64_t flags = readLE(b, p + 8, 2), method = readLE(b, p + 10, 2), crc = readLE(b, p + 16, 4);
    uint64_t compSize = readLE(b, p + 20, 4), size = readLE(b, p + 24, 4);
    const size_t nameLen = readLE(b, p + 28, 2), extraLen = readLE(b, p + 30, 2), commentLen = readLE(b, p + 32, 2);
    uint64_t localOff = readLE(b, p + 42, 4);
    if (p + 46 + nameLen + extraLen + commentLen > b.size()) return fail(what, "corrupt central directory");
    std::string name(b.substr(p + 46, nameLen));
    // Zip64 extended information: the 64-bit values of the fields saturated at 0xffffffff.
    for (size_t x = p + 46 + nameLen, xe = x + extraLen; x + 4 <= xe;) {
      const uint64_t id = readLE(b, x, 2), len = readLE(b, x + 2, 2);
      if (x + 4 + len > xe) break;
      if (id == 1) {
        size_t f = x + 4, fe = f + len;
        if (size == kMax32 && f + 8 <= fe) { size = readLE(b, f, 8); f += 8; }
        if (compSize == kMax32 && f + 8 <= fe) { compSize = readLE(b, f, 8); f += 8; }
        if (localOff == kMax32 && f + 8 <= fe) { localOff = readLE(b, f, 8); f += 8; }
      }
      x += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    const std::string member = what + ":" + name;
    if (flags & 1) return fail(member, "encrypted entries are not supported");
    if (localOff > b.size() - 30 || readLE(b, localOff, 4) != kLocalSig) return fail(member, "corrupt local header");
    const uint64_t dataOff = localOff + 30 + readLE(b, localOff + 26, 2) + readLE(b, localOff + 28, 2);
    if (dataOff > b.size() || compSize > b.size() - dataOff) return fail(member, "truncated entry data");
    std::string_view stored = b.substr(dataOff, compSize);
    std::string inflated;
    std::string_view data;
    if (method == 0) {
      if (compSize != size) return fail(member, "stored entry sizes disagree");
      data = stored;
    } else if (method == 8) {
      auto r = inflateRaw(stored, size, member);
      if (!r) return r.takeStatus();
      inflated = r.take();
      data = inflated;
    } else {
      return fail(member, "unsupported compression method " + std::to_string(method));
    }
    uLong actual = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < data.size();) {
      size_t n = std::min<size_t>(data.size() - off, 1u << 30);
      actual = crc32(actual, reinterpret_cast<const Bytef*>(data.data() + off), static_cast<uInt>(n));
      off += n;
    }
    if (actual != crc) return fail(member, "CRC mismatch (corrupt archive)");
    if (name.size() < 4 || name.substr(name.size() - 4) != ".npy") return fail(member, "member is not a .npy file");
    auto t = parseNpy(data, member);
    if (!t) return t.takeStatus();
    out.push_back({name.substr(0, name.size() - 4), t.take()});
  }
  return out;
}

Expected<std::string> formatNpz(const std::vector<NamedTensor>& arrays, bool compress) {
  std::string out, central;
  for (const auto& [name, tensor] : arrays) {
    auto npy = formatNpy(tensor);
    if (!npy) return npy.takeStatus();
    const std::string fileName = name + ".npy";
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < npy->size();) {
      size_t n = std::min<size_t>(npy->size() - off, 1u << 30);
      crc = crc32(crc, reinterpret_cast<const Bytef*>(npy->data() + off), static_cast<uInt>(n));
      off += n;
    }
    std::string data;
    uint16_t method = 0;
    if (compress) {
      z_stream zs{};
      if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return Status::error("zlib initialisation failed");
      data.resize(deflateBound(&zs, npy->size()));
      zs.next_in = reinterpret_cast<Bytef*>(npy->data());
      zs.avail_in = static_cast<uInt>(npy->size());
      zs.next_out = reinterpret_cast<Bytef*>(data.data());
      zs.avail_out = static_cast<uInt>(data.size());
      int rc = deflate(&zs, Z_FINISH);
      data.resize(zs.total_out);
      deflateEnd(&zs);
      if (rc != Z_STREAM_END) return Status::error("compression failed");
      method = 8;
    } else {
      data = std::move(*npy);
    }
    const uint64_t size = compress ? npy->size() : data.size(), compSize = data.size(), offset = out.size();
    const bool zip64 = size >= kMax32 || compSize >= kMax32 || offset >= kMax32;
    auto header = [&](bool isCentral) {
      std::string h;
      putLE(h, isCentral ? kCentralSig : kLocalSig, 4);
      if (isCentral) putLE(h, zip64 ? 45 : 20, 2);  // version made by
      putLE(h, zip64 ? 45 : 20, 2);                 // version needed
      putLE(h, 0, 2);                               // flags
      putLE(h, method, 2);
      putLE(h, 0, 2);       // time
      putLE(h, 0x21, 2);    // date: 1980-01-01, fixed so outputs are reproducible
      putLE(h, crc, 4);
      putLE(h, zip64 ? kMax32 : compSize, 4);
      putLE(h, zip64 ? kMax32 : size, 4);
      putLE(h, fileName.size(), 2);
      std::string extra;
      if (zip64) {
        putLE(extra, 1, 2);
        putLE(extra, isCentral ? 24 : 16, 2);
        putLE(extra, size, 8);
        putLE(extra, compSize, 8);
        if (isCentral) putLE(extra, offset, 8);
      }
      putLE(h, extra.size(), 2);
      if (isCentral) {
        putLE(h, 0, 2);  // comment
        putLE(h, 0, 2);  // disk
        putLE(h, 0, 2);  // internal attributes
        putLE(h, 0, 4);  // external attributes
        putLE(h, zip64 ? kMax32 : offset, 4);
      }
      return h + fileName + extra;
    };
    out += header(false);
    out += data;
    central += header(true);
  }
  const uint64_t cdOff = out.size(), cdSize = central.size(), count = arrays.size();
  out += central;
  const bool zip64 = cdOff >= kMax32 || count >= 0xffff;
  if (zip64) {
    const uint64_t e64 = out.size();
    putLE(out, kEnd64Sig, 4);
    putLE(out, 44, 8);
    putLE(out, 45, 2);
    putLE(out, 45, 2);
    putLE(out, 0, 4);
    putLE(out, 0, 4);
    putLE(out, count, 8);
    putLE(out, count, 8);
    putLE(out, cdSize, 8);
    putLE(out, cdOff, 8);
    putLE(out, kEnd64LocatorSig, 4);
    putLE(out, 0, 4);
    putLE(out, e64, 8);
    putLE(out, 1, 4);
  }
  putLE(out, kEndSig, 4);
  putLE(out, 0, 2);
  putLE(out, 0, 2);
  putLE(out, zip64 ? 0xffff : count, 2);
  putLE(out, zip64 ? 0xffff : count, 2);
  putLE(out, zip64 ? kMax32 : cdSize, 4);
  putLE(out, zip64 ? kMax32 : cdOff, 4);
  putLE(out, 0, 2);
  return out;
}

// ---- files -----------------------------------------------------------------------------------

namespace {

Expected<std::string> readWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::error(path + ": cannot open: " + std::strerror(errno));
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status::error(path + ": is a directory");
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return Status::error(path + ": read error");
  return bytes;
}


}  // namespace

Expected<Tensor> readNpy(const std::string& path) {
  auto bytes = readWholeFile(path);
  if (!bytes) return bytes.takeStatus();
  return parseNpy(*bytes, path);
}

Expected<std::vector<NamedTensor>> readNpz(const std::string& path) {
  auto bytes = readWholeFile(path);
  if (!bytes) return bytes.takeStatus();
  return parseNpz(*bytes, path);
}

Status writeNpy(const std::string& path, const Tensor& t) {
  auto bytes = formatNpy(t);
  if (!bytes) return Status::error(path + ": " + bytes.status().diagnostic().message);
  return writeFileAtomically(path, *bytes);
}

Status writeNpz(const std::string& path, const std::vector<NamedTensor>& arrays, bool compress) {
  auto bytes = formatNpz(arrays, compress);
  if (!bytes) return Status::error(path + ": " + bytes.status().diagnostic().message);
  return writeFileAtomically(path, *bytes);
}

}  // namespace kiln::tools
