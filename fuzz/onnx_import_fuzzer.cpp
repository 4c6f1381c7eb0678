// libFuzzer target: ONNX bytes -> import (protobuf parse, limits, lift, canonical upgrade) ->
// symbolic shape inference (every op's shape function) -> verify -> print. Any input may be refused; none may crash, leak, hang or trip a sanitizer.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontend/onnx/importer.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::onnx_frontend::ImportOptions options;
  // Small limits keep each run fast and within the fuzzer's memory cap; the code paths that
  // enforce them are the same whatever the numbers.
  options.limits.maxTensorBytes = uint64_t{64} << 20;
  options.limits.maxNodes = 20000;
  // No base folder: external data is refused (the file-system checks are tested by the corpus).
  auto model = kiln::onnx_frontend::importModelBytes(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.onnx", "", options);
  if (!model) return 0;
  (void)kiln::inferShapes(*model->graph);
  (void)kiln::verifyModel(*model);
  (void)kiln::printModel(*model);
  return 0;
}
