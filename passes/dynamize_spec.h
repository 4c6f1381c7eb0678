#pragma once
// Which input axes dynamize-shapes makes symbolic: `NAME:AXIS=SYMBOL` entries, optionally with
// the size the model was traced at (`NAME:AXIS=SYMBOL@128`) for an axis the file already marks
// dynamic. Shared by the pass option text and the `kiln compile --dynamic` flag.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/diagnostic.h"

namespace kiln {

/// One input axis made symbolic.
struct DynamicAxis {
  std::string input;   ///< graph input name (may itself contain ':', as torch's `onnx::Add_0`)
  int64_t axis = 0;    ///< may be negative (from the end)
  std::string symbol;  ///< `batch`, `sequence`, ...
  std::optional<int64_t> traced;  ///< the traced size, when the file does not record it

  bool operator==(const DynamicAxis&) const = default;
  /// `NAME:AXIS=SYMBOL` or `NAME:AXIS=SYMBOL@TRACED`.
  std::string str() const;
};

/// Parses one `NAME:AXIS=SYMBOL[@TRACED]`; the error quotes the text and the expected form.
Expected<DynamicAxis> parseDynamicAxis(std::string_view text);
/// Parses a `;`-separated list (the pass option form); empty text is an empty list.
Expected<std::vector<DynamicAxis>> parseDynamicAxes(std::string_view text);
/// The `;`-separated form parseDynamicAxes reads back.
std::string formatDynamicAxes(const std::vector<DynamicAxis>& axes);

}  // namespace kiln
