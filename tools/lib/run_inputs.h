#pragma once
// Binds a model's graph inputs to tensors for `kiln run` (and later `validate`, `bench`):
// read from .npy/.npz files and checked against the signature, or generated deterministically
// from it.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/model.h"

namespace kiln::tools {

struct InputSpec {
  std::vector<std::string> files;         ///< `NAME=FILE.npy` or `FILE.npz` (arrays by name)
  std::map<std::string, int64_t> dims;    ///< symbol -> size for generated inputs (default 1)
  uint64_t seed = 0;
};

/// Parses `--dim batch=4` entries.
Expected<std::map<std::string, int64_t>> parseDimBindings(const std::vector<std::string>& entries);

/// One tensor per graph input, in order. Inputs not given in files are generated from the
/// signature; given ones must match its dtype and shape (symbols bound consistently).
Expected<std::vector<Tensor>> bindInputs(const Model& model, const InputSpec& spec);

}  // namespace kiln::tools
