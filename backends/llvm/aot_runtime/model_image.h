#pragma once
// What a model library's object hands its runtime: one constant global of this layout, emitted
// by backends/llvm/aot/aot_object.cpp (same field order there), read by capi.cpp. The object
// also defines the model's C API (`<name>_create`...) as forwarders to the kiln_aot_* functions
// below with the image as first argument.

#include <cstddef>
#include <cstdint>

extern "C" {

/// Bump when the layout or a field's meaning changes.
inline constexpr uint64_t kKilnModelImageVersion = 1;

struct KilnModelImage {
  uint64_t version;
  const char* name;             ///< the API prefix (`--name`)
  const char* irText;           ///< shape-inferred graph as textual IR, large constants elided
  uint64_t irBytes;
  const int64_t* launchCodes;   ///< per node: 0, or 1 then KernelLaunch::encode's record
  uint64_t launchCodeCount;
  void* const* kernels;         ///< per node: its KernelFn, or null (reference kernel)
  uint64_t kernelCount;
  const unsigned char* weights; ///< the elided constants, each 64-byte aligned; null: external
  uint64_t weightBytes;
  const char* weightsFile;      ///< external weights: file name beside the library, else null
};

}  // extern "C"
