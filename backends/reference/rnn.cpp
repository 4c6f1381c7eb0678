// LSTM, GRU and RNN (v22 form with `layout`): every direction, sequence_lens, initial states,
// LSTM peepholes and input_forget, the activations/activation_alpha/activation_beta attributes,
// clip. Written for clarity: each batch row runs its own recurrence, so per-row sequence
// lengths and reverse directions need no masking.

#include <algorithm>
#include <cctype>
#include <cmath>

#include "backends/reference/families.h"
#include "backends/reference/recurrent_activation.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::reference {
namespace {

enum class Cell { Lstm, Gru, Rnn };

}  // namespace

bool recurrentActivationDefaults(const std::string& name, bool* usesAlpha, float* alpha, bool* usesBeta, float* beta) {
  *usesAlpha = *usesBeta = false;
  *alpha = *beta = 0;
  if (name == "affine") *usesAlpha = *usesBeta = true, *alpha = 1, *beta = 0;
  else if (name == "leakyrelu") *usesAlpha = true, *alpha = 0.01f;
  else if (name == "thresholdedrelu") *usesAlpha = true, *alpha = 1;
  else if (name == "scaledtanh") *usesAlpha = *usesBeta = true, *alpha = 1, *beta = 1;
  else if (name == "hardsigmoid") *usesAlpha = *usesBeta = true, *alpha = 0.2f, *beta = 0.5f;
  else if (name == "elu") *usesAlpha = true, *alpha = 1;
  else if (name != "sigmoid" && name != "tanh" && name != "relu" && name != "softsign" && name != "softplus")
    return false;
  return true;
}

/// The activations of every direction, in order (f, g[, h] of direction 0, then direction 1).
/// activation_alpha / activation_beta are consumed in list order by the activations that take
/// them, as ONNX Runtime does.
Expected<std::vector<RecurrentActivation>> readRecurrentActivations(const Node& node, size_t perDir, int64_t dirs) {
  std::vector<std::string> names;
  if (const Attribute* a = node.attr("activations"); a && a->kind() == AttrKind::Strings) names = a->strings();
  if (names.empty()) {
    static const char* kLstm[] = {"Sigmoid", "Tanh", "Tanh"};
    static const char* kGru[] = {"Sigmoid", "Tanh"};
    for (size_t i = 0; i < perDir; ++i) names.push_back(perDir == 3 ? kLstm[i] : perDir == 2 ? kGru[i] : "Tanh");
  }
  if (names.size() == perDir && dirs == 2) {
    auto copy = names;
    names.insert(names.end(), copy.begin(), copy.end());
  }
  if (names.size() != perDir * static_cast<size_t>(dirs))
    return Status::error("expected " + std::to_string(perDir * static_cast<size_t>(dirs)) + " activations, got " +
                         std::to_string(names.size()));
  std::vector<float> alphas, betas;
  if (const Attribute* a = node.attr("activation_alpha"); a && a->kind() == AttrKind::Floats) alphas = a->floats();
  if (const Attribute* a = node.attr("activation_beta"); a && a->kind() == AttrKind::Floats) betas = a->floats();
  size_t nextAlpha = 0, nextBeta = 0;
  std::vector<RecurrentActivation> out;
  for (const std::string& n : names) {
    RecurrentActivation act;
    for (char c : n) act.name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool usesAlpha, usesBeta;
    if (!recurrentActivationDefaults(act.name, &usesAlpha, &act.alpha, &usesBeta, &act.beta))
      return Status::error("unknown activation '" + n + "'");
    if (usesAlpha && nextAlpha < alphas.size()) act.alpha = alphas[nextAlpha++];
    if (usesBeta && nextBeta < betas.size()) act.beta = betas[nextBeta++];
    out.push_back(act);
  }
  return out;
}

namespace {

using Activation = RecurrentActivation;

/// Swaps the first two dims of a 3-D tensor held as T (layout 1 <-> layout 0).
template <typename T>
std::vector<T> swap01(const T* x, int64_t a, int64_t b, int64_t c) {
  std::vector<T> r(static_cast<size_t>(a * b * c));
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      std::copy_n(x + (i * b + j) * c, c, r.begin() + (j * a + i) * c);
  return r;
}

template <typename T>
Status runRecurrent(KernelContext& ctx, Cell cell) {
  const Node& node = ctx.node;
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor& r = ctx.input(2);
  const int64_t gates = cell == Cell::Lstm ? 4 : cell == Cell::Gru ? 3 : 1;
  const bool layout1 = node.intAttr("layout", 0) != 0;
  if (x.rank() != 3 || w.rank() != 3 || r.rank() != 3) return ctx.error("X, W and R must be 3-D");
  const int64_t seq = layout1 ? x.dims()[1] : x.dims()[0];
  const int64_t batch = layout1 ? x.dims()[0] : x.dims()[1];
  const int64_t inputSize = x.dims()[2];
  const int64_t hidden = node.intAttr("hidden_size", r.dims()[2]);
  const std::string direction = node.stringAttr("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return ctx.error("unknown direction '" + direction + "'");
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  if (w.dims() != std::vector<int64_t>{dirs, gates * hidden, inputSize}) return ctx.error("W has shape " + dimsStr(w.dims()));
  if (r.dims() != std::vector<int64_t>{dirs, gates * hidden, hidden}) return ctx.error("R has shape " + dimsStr(r.dims()));
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    if (i != 4 && ctx.hasInput(i) && ctx.input(i).dtype() != x.dtype())
      return ctx.error("input " + std::to_string(i) + " has a different element type than X");
  KILN_ASSIGN_OR_RETURN(acts, readRecurrentActivations(node, cell == Cell::Lstm ? 3 : cell == Cell::Gru ? 2 : 1, dirs));
  const float clip = node.floatAttr("clip", 0.0f);
  const bool useClip = node.attr("clip") != nullptr && clip > 0;
  const bool linearBeforeReset = node.intAttr("linear_before_reset", 0) != 0;
  const bool inputForget = node.intAttr("input_forget", 0) != 0;

  // Inputs in layout 0: X [seq, batch, in], states [dirs, batch, hidden].
  std::vector<T> X = layout1 ? swap01(in<T>(x), batch, seq, inputSize) : std::vector<T>(in<T>(x), in<T>(x) + x.numElements());
  auto readState = [&](size_t i, std::vector<T>& out) -> Status {
    out.assign(static_cast<size_t>(dirs * batch * hidden), T(0));
    if (!ctx.hasInput(i)) return Status::ok();
    const Tensor& s = ctx.input(i);
    const std::vector<int64_t> want = layout1 ? std::vector<int64_t>{batch, dirs, hidden} : std::vector<int64_t>{dirs, batch, hidden};
    if (s.dims() != want) return ctx.error("initial state has shape " + dimsStr(s.dims()) + ", expected " + dimsStr(want));
    out = layout1 ? swap01(in<T>(s), batch, dirs, hidden) : std::vector<T>(in<T>(s), in<T>(s) + s.numElements());
    return Status::ok();
  };
  std::vector<T> H0, C0;
  KILN_RETURN_IF_ERROR(readState(5, H0));
  if (cell == Cell::Lstm) KILN_RETURN_IF_ERROR(readState(6, C0));
  const int64_t biasSize = 2 * gates * hidden;
  std::vector<T> B(static_cast<size_t>(dirs * biasSize), T(0));
  if (ctx.hasInput(3)) {
    if (ctx.input(3).dims() != std::vector<int64_t>{dirs, biasSize}) return ctx.error("B has shape " + dimsStr(ctx.input(3).dims()));
    std::copy_n(in<T>(ctx.input(3)), B.size(), B.begin());
  }
  std::vector<T> P(static_cast<size_t>(dirs * 3 * hidden), T(0));
  if (cell == Cell::Lstm && ctx.hasInput(7)) {
    if (ctx.input(7).dims() != std::vector<int64_t>{dirs, 3 * hidden}) return ctx.error("P has shape " + dimsStr(ctx.input(7).dims()));
    std::copy_n(in<T>(ctx.input(7)), P.size(), P.begin());
  }
  std::vector<int64_t> lens(static_cast<size_t>(batch), seq);
  if (ctx.hasInput(4)) {
    KILN_ASSIGN_OR_RETURN(l, readInt64List(ctx.input(4)));
    if (static_cast<int64_t>(l.size()) != batch) return ctx.error("sequence_lens must have one entry per batch row");
    for (int64_t v : l)
      if (v < 0 || v > seq) return ctx.error("sequence_lens entry " + std::to_string(v) + " is out of range");
    lens = l;
  }

  std::vector<T> Y(static_cast<size_t>(seq * dirs * batch * hidden), T(0));
  std::vector<T> Yh(static_cast<size_t>(dirs * batch * hidden)), Yc(Yh.size());
  const T* W = in<T>(w);
  const T* R = in<T>(r);
  auto clipped = [&](T v) { return useClip ? std::clamp(v, T(-clip), T(clip)) : v; };
  std::vector<T> xw(static_cast<size_t>(gates * hidden)), hr(xw.size()), h(static_cast<size_t>(hidden)),
      c(static_cast<size_t>(hidden)), hNew(h.size()), rh(h.size());

  for (int64_t d = 0; d < dirs; ++d) {
    const bool reverse = direction == "reverse" || d == 1;
    const T* Wd = W + d * gates * hidden * inputSize;
    const T* Rd = R + d * gates * hidden * hidden;
    const T* Wb = B.data() + d * biasSize;
    const T* Rb = Wb + gates * hidden;
    const T* Pd = P.data() + d * 3 * hidden;
    const Activation* act = acts.data() + d * (cell == Cell::Lstm ? 3 : cell == Cell::Gru ? 2 : 1);
    for (int64_t b = 0; b < batch; ++b) {
      std::copy_n(H0.begin() + (d * batch + b) * hidden, hidden, h.begin());
      if (cell == Cell::Lstm) std::copy_n(C0.begin() + (d * batch + b) * hidden, hidden, c.begin());
      const int64_t len = lens[static_cast<size_t>(b)];
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        const T* xt = X.data() + (t * batch + b) * inputSize;
        // xw = W x_t + Wb; hr = R h_{t-1} + Rb (per gate row).
        for (int64_t g = 0; g < gates * hidden; ++g) {
          T accX = Wb[g], accH = Rb[g];
          for (int64_t i = 0; i < inputSize; ++i) accX += Wd[g * inputSize + i] * xt[i];
          for (int64_t j = 0; j < hidden; ++j) accH += Rd[g * hidden + j] * h[static_cast<size_t>(j)];
          xw[static_cast<size_t>(g)] = accX;
          hr[static_cast<size_t>(g)] = accH;
        }
        for (int64_t k = 0; k < hidden; ++k) {
          const auto ku = static_cast<size_t>(k);
          auto gate = [&](int64_t g) { return xw[static_cast<size_t>(g * hidden + k)] + hr[static_cast<size_t>(g * hidden + k)]; };
          if (cell == Cell::Lstm) {  // gates i, o, f, c; peepholes i, o, f
            const T it = act[0](clipped(gate(0) + Pd[k] * c[ku]));
            const T ft = inputForget ? T(1) - it : act[0](clipped(gate(2) + Pd[2 * hidden + k] * c[ku]));
            const T ct = act[1](clipped(gate(3)));
            const T cNew = ft * c[ku] + it * ct;
            const T ot = act[0](clipped(gate(1) + Pd[hidden + k] * cNew));
            c[ku] = cNew;
            hNew[ku] = ot * act[2](cNew);
          } else if (cell == Cell::Gru) {  // gates z, r, h
            const T zt = act[0](clipped(gate(0)));
            const T rt = act[0](clipped(gate(1)));
            T pre;
            if (linearBeforeReset) {
              pre = xw[static_cast<size_t>(2 * hidden + k)] + rt * hr[static_cast<size_t>(2 * hidden + k)];
            } else {
              // (r (.) h) R_h^T needs every r first: computed below, after this loop.
              pre = T(0);
            }
            rh[ku] = rt;
            hNew[ku] = pre;
            xw[static_cast<size_t>(k)] = zt;  // keep z for the update below
          } else {
            hNew[ku] = act[0](clipped(gate(0)));
          }
        }
        if (cell == Cell::Gru) {
          for (int64_t k = 0; k < hidden; ++k) {
            const auto ku = static_cast<size_t>(k);
            T pre = hNew[ku];
            if (!linearBeforeReset) {
              T acc = xw[static_cast<size_t>(2 * hidden + k)] + Rb[2 * hidden + k];
              for (int64_t j = 0; j < hidden; ++j)
                acc += Rd[(2 * hidden + k) * hidden + j] * (rh[static_cast<size_t>(j)] * h[static_cast<size_t>(j)]);
              pre = acc;
            }
            const T ht = act[1](clipped(pre));
            const T zt = xw[ku];
            hNew[ku] = (T(1) - zt) * ht + zt * h[ku];
          }
        }
        h = hNew;
        std::copy_n(h.begin(), hidden, Y.begin() + ((t * dirs + d) * batch + b) * hidden);
      }
      std::copy_n(h.begin(), hidden, Yh.begin() + (d * batch + b) * hidden);
      if (cell == Cell::Lstm) std::copy_n(c.begin(), hidden, Yc.begin() + (d * batch + b) * hidden);
    }
  }

  auto emit = [&](size_t i, const std::vector<T>& v, std::vector<int64_t> dims0, std::vector<int64_t> dims1,
                  int64_t a, int64_t bb, int64_t cc) {
    if (i >= ctx.outputs.size()) return;
    std::vector<T> data = layout1 ? swap01(v.data(), a, bb, cc) : v;
    ctx.setOutput(i, Tensor::fromVector<T>(x.dtype(), layout1 ? dims1 : dims0, data));
  };
  // Y: [seq, dirs, batch, hidden], or [batch, seq, dirs, hidden] in layout 1.
  emit(0, Y, {seq, dirs, batch, hidden}, {batch, seq, dirs, hidden}, seq * dirs, batch, hidden);
  emit(1, Yh, {dirs, batch, hidden}, {batch, dirs, hidden}, dirs, batch, hidden);
  if (cell == Cell::Lstm) emit(2, Yc, {dirs, batch, hidden}, {batch, dirs, hidden}, dirs, batch, hidden);
  return Status::ok();
}

template <Cell kCell>
Status recurrentKernel(KernelContext& ctx) {
  switch (ctx.input(0).dtype()) {
    case DType::Float32: return runRecurrent<float>(ctx, kCell);
    case DType::Float64: return runRecurrent<double>(ctx, kCell);
    default: return ctx.error("unsupported element type '" + std::string(dtypeName(ctx.input(0).dtype())) + "'");
  }
}

}  // namespace

void registerRnnKernels(KernelRegistry& registry) {
  registry.add("", "LSTM", recurrentKernel<Cell::Lstm>);
  registry.add("", "GRU", recurrentKernel<Cell::Gru>);
  registry.add("", "RNN", recurrentKernel<Cell::Rnn>);
}

}  // namespace kiln::reference
