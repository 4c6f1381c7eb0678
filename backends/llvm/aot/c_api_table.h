#pragma once
// The functions of a model library's C API, one table for both the header writer and the
// object's forwarders: `<name>_<suffix>` calls `kiln_aot_<suffix>(image, ...)` (capi.cpp).

#include <span>

namespace kiln::llvmjit {

struct ApiFunction {
  const char* suffix;
  /// Machine signature: return then params; i = int32, l = int64, z = size_t, p = pointer, v = void.
  const char* ret;
  const char* params;
  /// The C declaration with `@` for the model name.
  const char* declaration;
  const char* doc;
};

std::span<const ApiFunction> apiFunctions();

}  // namespace kiln::llvmjit
