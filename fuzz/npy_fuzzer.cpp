// libFuzzer target: bytes -> .npy parser and .npz (zip, stored or deflated) parser; what
// parses is written back and must parse again.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tools/lib/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto t = kiln::tools::parseNpy(bytes, "fuzz.npy")) {
    auto again = kiln::tools::formatNpy(*t);
    if (again && !kiln::tools::parseNpy(*again, "again.npy")) std::abort();
  }
  if (auto arrays = kiln::tools::parseNpz(bytes, "fuzz.npz")) {
    auto again = kiln::tools::formatNpz(*arrays);
    if (again && !kiln::tools::parseNpz(*again, "again.npz")) std::abort();
  }
  return 0;
}
