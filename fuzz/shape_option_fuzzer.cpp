// libFuzzer target: the command-line parsers of shapes and dims (`--input-shape
// NAME=1x3x224x224:dtype`, `--dim batch=4`, `--output-names a,b`). Input lines are split on
// newlines into several option values.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/lib/input_shape_args.h"
#include "tools/lib/run_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (auto specs = kiln::tools::parseInputShapes(lines)) (void)kiln::tools::signatureFromInputShapes(*specs);
  (void)kiln::tools::parseDimBindings(lines);
  (void)kiln::tools::parseOutputNames(text);
  return 0;
}
