#pragma once
// Which independent oracle each op's reference kernel is tested against: the "tested against"
// column of docs/ops.md. The lists are data checked by a test
// (tests/reference/check_tested_against.py, CTest docs.tested_against_current), which
// collects the ops that the ONNX Runtime op cases (tests/reference/op_cases*.py) and the
// libtorch cross-check (tests/reference/torch_cross_check.py) really run, and fails when
// either list here differs, so the column cannot claim a test that does not exist.

#include <string>
#include <string_view>

namespace kiln::tools {

/// "ONNX Runtime, libtorch", "ONNX Runtime", "libtorch" or "-" for a default-domain op.
std::string testedAgainst(std::string_view domain, std::string_view op);

}  // namespace kiln::tools
