// libFuzzer target: textual IR -> parse -> verify -> shape inference -> print -> parse again. A model that parses
// must print to text that parses back (the printer and parser agree on every accepted input).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::Limits limits;
  limits.maxTensorBytes = uint64_t{64} << 20;
  limits.maxNodes = 20000;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto model = kiln::parseModel(text, "fuzz.kir", limits);
  if (!model) return 0;
  (void)kiln::verifyModel(*model);
  (void)kiln::inferShapes(*model->graph);
  std::string printed = kiln::printModel(*model);
  auto again = kiln::parseModel(printed, "printed.kir", limits);
  if (!again) {
    std::fprintf(stderr, "printed IR does not parse back: %s\n%s\n", again.status().str().c_str(), printed.c_str());
    std::abort();
  }
  return 0;
}
