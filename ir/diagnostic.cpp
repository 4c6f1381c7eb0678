#include "ir/diagnostic.h"

#include <cstdio>
#include <cstdlib>

namespace kiln {

std::string Diagnostic::str() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  if (severity == Severity::Warning) out += "warning: ";
  if (severity == Severity::Note) out += "note: ";
  if (!node.empty() || !op.empty()) {
    out += "node '" + node + "'";
    if (!op.empty()) out += " (" + op + ")";
    out += ": ";
  }
  out += message;
  return out;
}

void internalError(const char* file, int line, const char* what) {
  std::fprintf(stderr, "kiln internal error: %s:%d: assertion failed: %s\n", file, line, what);
  std::abort();
}

}  // namespace kiln
