// .npy / .npz reading and writing: numpy's own files (headers copied verbatim from numpy
// 1.24 output; the generated op cases' in.npz files, written by numpy, when
// KILN_OP_CASES_DIR is set), round trips of every dtype, and one-line errors on bad files.

#include "tools/lib/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ir/float16.h"

namespace kiln::tools {
namespace {

namespace fs = std::filesystem;

/// A .npy file as numpy lays it out: magic, version, header length, the header dict padded
/// with spaces and a newline to a multiple of 64 bytes, then the data.
std::string numpyFile(int major, std::string dict, std::string_view data) {
  const size_t pre = major == 1 ? 10 : 12;
  dict += std::string((64 - (pre + dict.size() + 1) % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) out.push_back(static_cast<char>((dict.size() >> (8 * i)) & 0xff));
  return out + dict + std::string(data);
}

template <typename T>
std::vector<T> values(const Tensor& t) {
  auto s = t.data<T>();
  return {s.begin(), s.end()};
}

TEST(Npy, ReadsBigEndianFortranOrder) {
  // np.asfortranarray(np.arange(6, dtype='>i4').reshape(2, 3))
  std::string data("\0\0\0\0\0\0\0\3\0\0\0\1\0\0\0\4\0\0\0\2\0\0\0\5", 24);
  auto t = parseNpy(numpyFile(1, "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }", data), "a.npy");
  ASSERT_TRUE(t) << t.status().str();
  EXPECT_EQ(t->dtype(), DType::Int32);
  EXPECT_EQ(t->dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<int32_t>(*t), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
}

TEST(Npy, ReadsUnicodeStrings) {
  // np.array(['a', 'héllo', ''], dtype='<U5')
  std::string data(60, '\0');
  data[0] = 'a';
  const uint32_t hello[] = {'h', 0xe9, 'l', 'l', 'o'};
  std::memcpy(data.data() + 20, hello, sizeof hello);
  auto t = parseNpy(numpyFile(1, "{'descr': '<U5', 'fortran_order': False, 'shape': (3,), }", data), "s.npy");
  ASSERT_TRUE(t) << t.status().str();
  EXPECT_EQ(t->strings(), (std::vector<std::string>{"a", "h\xc3\xa9llo", ""}));
  auto back = formatNpy(*t);
  ASSERT_TRUE(back);
  auto again = parseNpy(*back, "s2.npy");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->strings(), t->strings());
}

TEST(Npy, ByteStringsThatLookLikeUtf8PastUnicodeRoundTrip) {
  // '|S4' bytes F4 90 80 80 would decode to U+110000, which '<U' cannot hold: each byte stands
  // for itself instead, and the written file parses again (found by the npy fuzzer).
  auto t = parseNpy(numpyFile(1, "{'descr': '|S4', 'fortran_order': False, 'shape': (2,), }",
                              std::string_view("\xf4\x90\x80\x80" "ab\0\0", 8)),
                    "b.npy");
  ASSERT_TRUE(t) << t.status().str();
  auto back = formatNpy(*t);
  ASSERT_TRUE(back) << back.status().str();
  auto again = parseNpy(*back, "b2.npy");
  ASSERT_TRUE(again) << again.status().str();
  EXPECT_EQ(again->strings()[1], "ab");
  EXPECT_EQ(again->strings()[0].size(), 8u);  // four Latin-1 code points, two UTF-8 bytes each
}

TEST(Npy, ReadsVersion2AndScalars) {
  const double d[] = {0, 0.25, 0.5};
  auto t = parseNpy(numpyFile(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                              std::string_view(reinterpret_cast<const char*>(d), sizeof d)),
                    "v2.npy");
  ASSERT_TRUE(t) << t.status().str();
  EXPECT_EQ(values<double>(*t), (std::vector<double>{0, 0.25, 0.5}));
  auto b = parseNpy(numpyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (), }", "\x01"), "b.npy");
  ASSERT_TRUE(b) << b.status().str();
  EXPECT_EQ(b->dtype(), DType::Bool);
  EXPECT_TRUE(b->dims().empty());
  EXPECT_EQ(b->scalarAsInt(0), 1);
}

TEST(Npy, RoundTripsEveryDType) {
  for (DType dt : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16, DType::Int8, DType::Int16,
                   DType::Int32, DType::Int64, DType::UInt8, DType::UInt16, DType::UInt32, DType::UInt64, DType::Bool}) {
    Tensor t = Tensor::zeros(dt, {2, 3});
    std::byte* p = t.mutableRawData();
    for (size_t i = 0; i < t.byteSize(); ++i) p[i] = static_cast<std::byte>(dt == DType::Bool ? i % 2 : i * 37 + 1);
    auto npy = formatNpy(t);
    ASSERT_TRUE(npy) << dtypeName(dt);
    EXPECT_EQ((npy->size() - t.byteSize()) % 64, 0u) << "data not 64-byte aligned for " << dtypeName(dt);
    auto back = parseNpy(*npy, "x.npy");
    ASSERT_TRUE(back) << back.status().str();
    EXPECT_TRUE(back->contentEquals(t)) << dtypeName(dt);
  }
}

TEST(Npz, RoundTripsStoredAndDeflate) {
  std::vector<NamedTensor> arrays = {
      {"x", Tensor::fromVector<float>(DType::Float32, {2, 2}, {1, 2, 3, 4})},
      {"scalar", Tensor::fromVector<int64_t>(DType::Int64, {}, {-7})},
      {"empty", Tensor::zeros(DType::Float32, {0, 3})},
      {"big", Tensor::zeros(DType::Float64, {1000})},
  };
  for (bool compress : {false, true}) {
    auto bytes = formatNpz(arrays, compress);
    ASSERT_TRUE(bytes);
    auto back = parseNpz(*bytes, "a.npz");
    ASSERT_TRUE(back) << back.status().str();
    ASSERT_EQ(back->size(), arrays.size());
    for (size_t i = 0; i < arrays.size(); ++i) {
      EXPECT_EQ((*back)[i].name, arrays[i].name);
      EXPECT_TRUE((*back)[i].tensor.contentEquals(arrays[i].tensor)) << arrays[i].name;
    }
    if (compress) {
      auto stored = formatNpz(arrays, false);
      EXPECT_LT(bytes->size(), stored->size());  // 8000 zero bytes compress
    }
  }
}

TEST(Npz, FilesAreWrittenAtomically) {
  const fs::path dir = fs::temp_directory_path() / ("kiln_npy_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "out.npz").string();
  ASSERT_TRUE(writeNpz(path, {{"y", Tensor::fromVector<int32_t>(DType::Int32, {3}, {1, 2, 3})}}).isOk());
  auto back = readNpz(path);
  ASSERT_TRUE(back) << back.status().str();
  EXPECT_EQ(values<int32_t>((*back)[0].tensor), (std::vector<int32_t>{1, 2, 3}));
  // Nothing but the file itself is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  // A path that cannot be written: an error naming it, no file.
  Status bad = writeNpy((dir / "missing" / "x.npy").string(), Tensor::zeros(DType::Float32, {1}));
  EXPECT_FALSE(bad.isOk());
  EXPECT_NE(bad.str().find("missing"), std::string::npos);
  fs::remove_all(dir);
}

/// Every malformed input gives one line that names the file, never a crash.
void expectError(const Status& s, const std::string& what, const std::string& fragment) {
  ASSERT_FALSE(s.isOk());
  const std::string msg = s.str();
  EXPECT_NE(msg.find(what), std::string::npos) << msg;
  EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(Npy, RejectsBadFiles) {
  const std::string good = numpyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", std::string(16, '\0'));
  expectError(parseNpy("hello", "a.npy").status(), "a.npy", "bad magic");
  expectError(parseNpy(good.substr(0, 40), "b.npy").status(), "b.npy", "truncated header");
  expectError(parseNpy(good.substr(0, good.size() - 1), "c.npy").status(), "c.npy", "data truncated");
  expectError(parseNpy(numpyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", ""), "d.npy").status(),
              "d.npy", "overflows");
  expectError(parseNpy(numpyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", ""), "e.npy").status(),
              "e.npy", "too large");
  expectError(parseNpy(numpyFile(1, "{'descr': '<x9', 'fortran_order': False, 'shape': (1,), }", "x"), "f.npy").status(),
              "f.npy", "unsupported dtype");
  expectError(parseNpy(numpyFile(1, "{'descr': '<f4', 'shape': (1,), }", "xxxx"), "g.npy").status(), "g.npy", "malformed header");
  std::string v9 = good;
  v9[6] = 9;
  expectError(parseNpy(v9, "h.npy").status(), "h.npy", "unsupported .npy version");
  expectError(readNpy("/nonexistent/dir/x.npy").status(), "/nonexistent/dir/x.npy", "cannot open");
}

TEST(Npz, RejectsBadArchives) {
  auto bytes = formatNpz({{"x", Tensor::fromVector<float>(DType::Float32, {4}, {1, 2, 3, 4})}}, false);
  ASSERT_TRUE(bytes);
  expectError(parseNpz("PK", "a.npz").status(), "a.npz", "not a zip");
  expectError(parseNpz(bytes->substr(0, bytes->size() / 2), "b.npz").status(), "b.npz", "");
  std::string flipped = *bytes;
  flipped[100] ^= 0x5a;  // inside the member's data
  expectError(parseNpz(flipped, "c.npz").status(), "c.npz", "CRC");
  auto deflated = formatNpz({{"x", Tensor::zeros(DType::Float32, {1000})}}, true);
  std::string corrupt = *deflated;
  corrupt[40] ^= 0xff;
  corrupt[45] ^= 0xff;
  expectError(parseNpz(corrupt, "d.npz").status(), "d.npz", "");
}

/// numpy's own .npz files (np.savez and np.savez_compressed) from the generated op cases,
/// checked against the raw little-endian copies op_cases.py wrote next to them.
TEST(Npz, ReadsNumpyWrittenArchives) {
  const char* root = std::getenv("KILN_OP_CASES_DIR");
  if (!root || !*root) GTEST_SKIP() << "KILN_OP_CASES_DIR is not set";
  nlohmann::json index;
  std::ifstream(fs::path(root) / "index.json") >> index;
  int checked = 0;
  for (const std::string name : index.at("cases")) {
    const fs::path dir = fs::path(root) / name;
    nlohmann::json spec;
    std::ifstream(dir / "case.json") >> spec;
    auto arrays = readNpz((dir / "in.npz").string());
    ASSERT_TRUE(arrays) << arrays.status().str();
    ASSERT_EQ(arrays->size(), spec.at("inputs").size()) << name;
    for (const auto& in : spec.at("inputs")) {
      const NamedTensor* found = nullptr;
      for (const auto& a : *arrays)
        if (a.name == in.at("name")) found = &a;
      ASSERT_NE(found, nullptr) << name << ": no " << in.at("name");
      EXPECT_EQ(dtypeName(found->tensor.dtype()), in.at("dtype").get<std::string>()) << name;
      EXPECT_EQ(found->tensor.dims(), in.at("dims").get<std::vector<int64_t>>()) << name;
      std::ifstream raw(dir / in.at("file").get<std::string>(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
      ASSERT_EQ(bytes.size(), found->tensor.byteSize()) << name;
      EXPECT_EQ(std::memcmp(bytes.data(), found->tensor.rawData(), bytes.size()), 0) << name;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace kiln::tools
