#pragma once
// An Einsum equation as labels per operand dim, shared by the reference kernel and the JIT's
// Einsum lowering (backends/llvm/emit_einsum.cpp).

#include <string>
#include <vector>

#include "ir/diagnostic.h"

namespace kiln::reference {

/// Letters are labels 0..51; ellipsis dims are labels 52.. (right-aligned across operands).
constexpr int kEllipsisBase = 52;

struct EinsumEquation {
  std::vector<std::vector<int>> inputs;  ///< labels per operand dim
  std::vector<int> output;               ///< explicit, or numpy's implicit output
};

/// Parses `eq` for operands of the given ranks (explicit and implicit output, ellipsis,
/// repeated labels within one term are kept as written).
Expected<EinsumEquation> parseEinsumEquation(std::string eq, const std::vector<int64_t>& ranks);

}  // namespace kiln::reference
