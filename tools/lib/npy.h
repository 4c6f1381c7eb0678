#pragma once
// NumPy .npy and .npz files <-> kiln Tensors, for `kiln run` inputs/outputs and test oracles.
//
// .npy: format versions 1.0, 2.0 and 3.0; every dtype of ir/dtype.h (bf16 as the 2-byte
// void '<V2' that ml_dtypes writes; strings as numpy's fixed-width '<U' / '|S'); little- or
// big-endian; C or Fortran order (Fortran is transposed on read).
// .npz: zip archives, members STORED or DEFLATE, zip64 understood; written STORED by default.
// Every error is one line naming the file.

#include <string>
#include <string_view>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/tensor.h"

namespace kiln::tools {

/// One member of an .npz: its name without the ".npy" suffix, and its array.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

/// Parses .npy bytes; `what` names the source in errors (a path, or `in.npz:x.npy`).
Expected<Tensor> parseNpy(std::string_view bytes, const std::string& what);
/// .npy bytes for `t` (version 1.0, or 2.0 when the header needs it).
Expected<std::string> formatNpy(const Tensor& t);

/// Parses .npz bytes, members in archive order.
Expected<std::vector<NamedTensor>> parseNpz(std::string_view bytes, const std::string& what);
/// .npz bytes for `arrays`; members are named `<name>.npy`. `compress` uses DEFLATE.
Expected<std::string> formatNpz(const std::vector<NamedTensor>& arrays, bool compress = false);

Expected<Tensor> readNpy(const std::string& path);
Expected<std::vector<NamedTensor>> readNpz(const std::string& path);
/// Writes atomically (temporary file + rename): a failure leaves no partial file behind.
Status writeNpy(const std::string& path, const Tensor& t);
Status writeNpz(const std::string& path, const std::vector<NamedTensor>& arrays, bool compress = false);

}  // namespace kiln::tools
