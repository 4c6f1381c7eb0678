#pragma once
// Two example sizes for a traced module: `--input-shape x=1x3x64x64 --input-shape x=2x3x96x96`.
// The axes whose size differs between the two become symbolic (batch, height, width,
// sequence), the module is imported at both sizes, the dynamized graph is checked against the
// import at the second size, and `compile --validate` runs at the first, the second and one
// size in between (docs/dynamize.md, "Two example sizes").

#include <map>
#include <string>
#include <vector>

#include "frontend/torchscript/torch_api.h"
#include "ir/model.h"

namespace kiln::tools {

/// One input axis whose size differs between the two example sizes.
struct ExampleAxis {
  std::string input;
  int64_t axis = 0;
  std::string symbol;  ///< batch / height / width / sequence, or `<input>_<axis>`
  int64_t first = 0, second = 0;
};

struct ExampleSizes {
  std::vector<torchscript::InputSpec> first;   ///< every input at its first size
  std::vector<torchscript::InputSpec> second;  ///< every input at its second size; empty if none
  std::vector<ExampleAxis> axes;               ///< the axes that differ

  bool twoSizes() const { return !second.empty(); }
  /// `--dynamic` entries (`x:0=batch`) for the axes that differ.
  std::vector<std::string> dynamicAxes() const;
  /// Symbol sizes to validate at: the first example, the second, and one in between (the
  /// midpoint, or one past the larger size where no integer lies between them).
  std::vector<std::map<std::string, int64_t>> validationSizes() const;
};

/// Parses the `--input-shape` list; a named input may be given twice (same dtype and rank).
/// An input given twice with the same shape, or three times, is an error.
Expected<ExampleSizes> parseExampleSizes(const std::vector<std::string>& texts);

/// Infers `dynamized` (a copy) at the second example sizes and compares every graph output
/// with `secondImport` (the module imported at those sizes): an output whose inferred size
/// differs still carries a traced size. Dims inference leaves unknown are not compared here
/// (compile --validate runs the model there).
Status checkAtSecondSize(const Model& dynamized, const Model& secondImport, const ExampleSizes& sizes);

/// `batch=2 height=96` for messages.
std::string formatSymbolSizes(const std::map<std::string, int64_t>& sizes);

}  // namespace kiln::tools
