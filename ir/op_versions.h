#pragma once
// When each default-domain ONNX op changed, opsets 1..21. The one table both opset converters
// read: the ONNX importer walks an op from the version in force at the file's opset up to its
// canonical version, the ONNX emitter walks it back down to the target opset. The data lives
// in ir/op_versions.inc so that a Python test can compare it with onnx.defs.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace kiln {

/// kiln's highest ONNX opset. The IR's canonical form of every op is its version in force at
/// this opset, so a model in canonical form declares this default-domain opset.
inline constexpr int64_t kCanonicalOpset = 21;
/// The lowest default-domain opset ONNX defines.
inline constexpr int64_t kMinOpset = 1;

/// True for "" and "ai.onnx", the two spellings of ONNX's default domain.
inline bool isDefaultDomain(std::string_view domain) { return domain.empty() || domain == "ai.onnx"; }

/// True when `op` is a default-domain ONNX op the table knows (removed ops included).
bool isVersionedOp(std::string_view op);

/// The opsets at which `op` changed, ascending (empty for an op the table does not know).
std::span<const int> opVersionHistory(std::string_view op);

/// The opset that removed `op` (Upsample: 10, Scatter: 11), or 0 if it still exists.
int opRemovedAt(std::string_view op);

/// The version of `op` in force at `opset`: the newest entry of its history at or below
/// `opset`; 0 when the op does not exist at that opset (not yet introduced, or removed).
int sinceVersionAt(std::string_view op, int64_t opset);

/// The version whose form kiln's IR uses: the op's version in force at kCanonicalOpset
/// (0 for ops removed before it, which the importer replaces).
int canonicalVersion(std::string_view op);

/// The first opset that has `op` (0 for an unknown op).
int firstVersion(std::string_view op);

/// The version of `op` just below `version` in its history (0 if `version` is its first).
int previousVersion(std::string_view op, int version);

/// Every op in the table, sorted by name.
std::vector<std::string_view> versionedOps();

}  // namespace kiln
