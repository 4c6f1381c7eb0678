#pragma once
// The functions libkiln_torch.so offers the rest of kiln. Everything that includes libtorch
// lives in that module (frontend/torchscript and backends/torch); kiln loads it only when a
// command meets a `.pt` file, because loading libtorch costs about a second per process.
// This header includes no libtorch header.

#include <cstdint>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/dtype.h"
#include "ir/model.h"
#include "ir/tensor.h"

namespace kiln::torchscript {

/// One `--input-shape NAME=1x3x224x224[:dtype]`: the example shape a traced input is read with.
struct InputSpec {
  std::string name;
  std::vector<int64_t> dims;
  DType dtype = DType::Float32;
};

struct ImportOptions {
  /// By forward() argument name, or in argument order where a name is empty.
  std::vector<InputSpec> inputs;
  /// Graph output names; missing ones become `output`, `output_1`, ...
  std::vector<std::string> outputNames;
};

struct RunOptions {
  int threads = 0;  ///< 0: libtorch's default
};

/// Bumped whenever TorchApi changes, so a stale module is refused instead of misread.
inline constexpr int kTorchApiVersion = 1;

struct TorchApi {
  int version = kTorchApiVersion;
  /// Loads a traced TorchScript file and lifts it into canonical IR.
  Expected<Model> (*importFile)(const std::string& path, const ImportOptions& options) = nullptr;
  /// Runs the module's forward() with libtorch on `inputs` (in argument order); returns its
  /// outputs flattened (tuples and lists in order).
  Expected<std::vector<Tensor>> (*runFile)(const std::string& path, const std::vector<Tensor>& inputs,
                                           const RunOptions& options) = nullptr;
};

}  // namespace kiln::torchscript

/// The module's one exported symbol.
extern "C" const kiln::torchscript::TorchApi* kilnTorchApi();
