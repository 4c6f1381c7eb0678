// The launch of the recurrent kernels (LSTM, GRU, RNN; emitted by emit_rnn.cpp): checks the
// operand shapes against ONNX's and sizes Y, Y_h and Y_c for the node's layout.

#include "backends/llvm/launches.h"

namespace kiln::llvmjit {

bool RecurrentLaunch::bind(std::span<const std::vector<int64_t>> in, LaunchShape& launch) const {
  if (in.size() < 3) return false;
  const auto &x = in[0], &w = in[1], &r = in[2];
  if (x.size() != 3 || w.size() != 3 || r.size() != 3) return false;
  const int64_t seq = layout1_ ? x[1] : x[0], batch = layout1_ ? x[0] : x[1], inputSize = x[2];
  const int64_t hidden = r[2];
  if (w != std::vector<int64_t>{dirs_, gates_ * hidden, inputSize}) return false;
  if (r != std::vector<int64_t>{dirs_, gates_ * hidden, hidden}) return false;
  auto fits = [&](size_t i, const std::vector<int64_t>& want) { return in.size() <= i || in[i].empty() || in[i] == want; };
  const std::vector<int64_t> state = layout1_ ? std::vector<int64_t>{batch, dirs_, hidden} : std::vector<int64_t>{dirs_, batch, hidden};
  if (!fits(3, {dirs_, 2 * gates_ * hidden}) || !fits(4, {batch}) || !fits(5, state)) return false;
  if (gates_ == 4 && (!fits(6, state) || !fits(7, {dirs_, 3 * hidden}))) return false;
  const std::vector<int64_t> y = layout1_ ? std::vector<int64_t>{batch, seq, dirs_, hidden}
                                          : std::vector<int64_t>{seq, dirs_, batch, hidden};
  launch.outputDims = {y, state, state};
  launch.kernelDims = {seq, batch, inputSize, hidden};
  launch.iterations = dirs_;
  launch.workPerIteration = seq * batch * gates_ * hidden * (inputSize + hidden);
  return true;
}

void RecurrentLaunch::encode(std::vector<int64_t>& out) const {
  out.insert(out.end(), {static_cast<int64_t>(LaunchTag::Recurrent), gates_, dirs_, layout1_ ? 1 : 0});
}

}  // namespace kiln::llvmjit
