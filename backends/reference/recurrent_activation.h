#pragma once
// The activations attribute of LSTM, GRU and RNN, shared by the reference kernel and the JIT's
// recurrent kernels (backends/llvm/emit_rnn.cpp).

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ir/diagnostic.h"
#include "ir/node.h"

namespace kiln::reference {

/// One activation of LSTM/GRU/RNN with its alpha and beta.
struct RecurrentActivation {
  std::string name;  ///< lower case
  float alpha = 0, beta = 0;

  template <typename T>
  T operator()(T x) const {
    if (name == "sigmoid") return T(1) / (T(1) + std::exp(-x));
    if (name == "tanh") return std::tanh(x);
    if (name == "relu") return std::max(x, T(0));
    if (name == "affine") return T(alpha) * x + T(beta);
    if (name == "leakyrelu") return x >= 0 ? x : T(alpha) * x;
    if (name == "thresholdedrelu") return x > T(alpha) ? x : T(0);
    if (name == "scaledtanh") return T(alpha) * std::tanh(T(beta) * x);
    if (name == "hardsigmoid") return std::clamp(T(alpha) * x + T(beta), T(0), T(1));
    if (name == "elu") return x >= 0 ? x : T(alpha) * (std::exp(x) - T(1));
    if (name == "softsign") return x / (T(1) + std::abs(x));
    return std::log1p(std::exp(x));  // softplus (names were checked when parsed)
  }
};

/// Default alpha/beta of the activations that take them (those of the matching ONNX ops);
/// false for a name ONNX does not define (`name` lower case).
bool recurrentActivationDefaults(const std::string& name, bool* usesAlpha, float* alpha, bool* usesBeta, float* beta);

/// The activations of every direction, in order (f, g[, h] of direction 0, then direction 1);
/// `perDir` is 3 for LSTM, 2 for GRU, 1 for RNN. activation_alpha / activation_beta are
/// consumed in list order by the activations that take them, as ONNX Runtime does.
Expected<std::vector<RecurrentActivation>> readRecurrentActivations(const Node& node, size_t perDir, int64_t dirs);

}  // namespace kiln::reference
