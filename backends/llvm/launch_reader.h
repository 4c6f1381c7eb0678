#pragma once
// Reading a launch record back (launch_codec.cpp writes the format): integers off the front of
// a span, where any read past the end or any negative size marks the reader bad, so a
// damaged record in a model library is refused instead of building a launch from garbage.

#include <cstdint>
#include <span>
#include <vector>

namespace kiln::llvmjit {

struct LaunchReader {
  std::span<const int64_t>& codes;
  bool bad = false;

  int64_t next() {
    if (codes.empty()) {
      bad = true;
      return 0;
    }
    const int64_t v = codes.front();
    codes = codes.subspan(1);
    return v;
  }
  /// A count or rank: never negative.
  size_t size() {
    const int64_t v = next();
    if (v < 0) bad = true;
    return v < 0 ? 0 : static_cast<size_t>(v);
  }
  /// `size, elements...`
  std::vector<int64_t> vector() {
    const int64_t n = next();
    if (n < 0 || static_cast<size_t>(n) > codes.size()) {
      bad = true;
      return {};
    }
    std::vector<int64_t> v(codes.begin(), codes.begin() + n);
    codes = codes.subspan(static_cast<size_t>(n));
    return v;
  }
};

}  // namespace kiln::llvmjit
