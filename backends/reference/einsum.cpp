// Einsum: equation parsing (explicit and implicit output, ellipsis, repeated labels), then
// per-operand diagonals and early sums, then left-to-right pairwise contractions, each a
// transpose into [batch, free, contracted] and a batched matrix product.

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "backends/reference/einsum_equation.h"
#include "backends/reference/families.h"
#include "backends/reference/tensor_util_b.h"

namespace kiln::reference {
namespace {

int letterLabel(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;  // numpy sorts upper case first
  if (c >= 'A' && c <= 'Z') return c - 'A';
  return -1;
}

/// Labels of one term for an operand of `rank` (rank < 0: the output term, where `...`
/// stands for all `ellipsisDims`).
Expected<std::vector<int>> parseTerm(std::string_view term, int64_t rank, int64_t ellipsisDims, bool* hasEllipsis) {
  std::vector<int> labels;
  int64_t letters = 0;
  for (char c : term)
    if (letterLabel(c) >= 0) ++letters;
  bool seenEllipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term.substr(i, 3) == "...") {
      if (seenEllipsis) return Status::error("more than one ellipsis in term '" + std::string(term) + "'");
      seenEllipsis = true;
      const int64_t e = rank < 0 ? ellipsisDims : rank - letters;
      if (e < 0) return Status::error("term '" + std::string(term) + "' has more labels than the operand has dims");
      for (int64_t j = 0; j < e; ++j) labels.push_back(kEllipsisBase + static_cast<int>(ellipsisDims - e + j));
      i += 2;
      continue;
    }
    int l = letterLabel(term[i]);
    if (l < 0) return Status::error(std::string("invalid character '") + term[i] + "' in einsum equation");
    labels.push_back(l);
  }
  if (hasEllipsis) *hasEllipsis = seenEllipsis;
  if (rank >= 0 && static_cast<int64_t>(labels.size()) != rank)
    return Status::error("term '" + std::string(term) + "' does not match an operand of rank " + std::to_string(rank));
  return labels;
}

}  // namespace

Expected<EinsumEquation> parseEinsumEquation(std::string eq, const std::vector<int64_t>& ranks) {
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ranks.size())
    return Status::error("equation has " + std::to_string(terms.size()) + " operands, got " + std::to_string(ranks.size()) + " inputs");
  int64_t ellipsisDims = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    int64_t letters = 0;
    for (char c : terms[i])
      if (letterLabel(c) >= 0) ++letters;
    if (terms[i].find("...") != std::string::npos) ellipsisDims = std::max(ellipsisDims, ranks[i] - letters);
  }
  EinsumEquation e;
  for (size_t i = 0; i < terms.size(); ++i) {
    KILN_ASSIGN_OR_RETURN(labels, parseTerm(terms[i], ranks[i], ellipsisDims, nullptr));
    e.inputs.push_back(std::move(labels));
  }
  if (arrow != std::string::npos) {
    KILN_ASSIGN_OR_RETURN(out, parseTerm(eq.substr(arrow + 2), -1, ellipsisDims, nullptr));
    std::set<int> seen;
    for (int l : out)
      if (!seen.insert(l).second) return Status::error("output label repeated in einsum equation");
    e.output = std::move(out);
  } else {
    // Implicit output: ellipsis dims, then labels used exactly once, in alphabetical order.
    std::map<int, int> count;
    for (const auto& in : e.inputs)
      for (int l : in) ++count[l];
    for (int64_t j = 0; j < ellipsisDims; ++j) e.output.push_back(kEllipsisBase + static_cast<int>(j));
    for (const auto& [l, n] : count)
      if (l < kEllipsisBase && n == 1) e.output.push_back(l);
  }
  for (int l : e.output) {
    bool found = false;
    for (const auto& in : e.inputs) found = found || std::find(in.begin(), in.end(), l) != in.end();
    if (!found) return Status::error("output label does not appear in any input");
  }
  return e;
}

namespace {

/// A dense row-major tensor whose dims carry einsum labels.
template <typename T>
struct Labeled {
  std::vector<T> data;
  std::vector<int64_t> dims;
  std::vector<int> labels;

  int64_t axisOf(int l) const {
    auto it = std::find(labels.begin(), labels.end(), l);
    return it == labels.end() ? -1 : it - labels.begin();
  }
};

template <typename T>
Labeled<T> permute(const Labeled<T>& x, const std::vector<int>& order) {
  auto inStrides = contiguousStrides(x.dims);
  Labeled<T> r;
  std::vector<int64_t> strides;
  for (int l : order) {
    const auto a = static_cast<size_t>(x.axisOf(l));
    r.dims.push_back(x.dims[a]);
    strides.push_back(inStrides[a]);
  }
  r.labels = order;
  auto index = stridedIndex(r.dims, strides);
  r.data.resize(index.size());
  for (size_t j = 0; j < index.size(); ++j) r.data[j] = x.data[static_cast<size_t>(index[j])];
  return r;
}

/// Sums out the dim labelled `l`.
template <typename T>
Labeled<T> sumOut(const Labeled<T>& x, int l) {
  const int64_t a = x.axisOf(l);
  const AxisSplit s = splitAt(x.dims, a);
  Labeled<T> r;
  r.dims = x.dims;
  r.labels = x.labels;
  r.dims.erase(r.dims.begin() + a);
  r.labels.erase(r.labels.begin() + a);
  r.data.assign(static_cast<size_t>(s.outer * s.inner), T(0));
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t k = 0; k < s.axis; ++k)
      for (int64_t i = 0; i < s.inner; ++i)
        r.data[static_cast<size_t>(o * s.inner + i)] += x.data[static_cast<size_t>((o * s.axis + k) * s.inner + i)];
  return r;
}

/// Repeats a size-1 dim labelled `l` to `n` (broadcasting between operands).
template <typename T>
Labeled<T> broadcastLabel(const Labeled<T>& x, int l, int64_t n) {
  auto strides = contiguousStrides(x.dims);
  const auto a = static_cast<size_t>(x.axisOf(l));
  Labeled<T> r = x;
  r.dims[a] = n;
  strides[a] = 0;
  auto index = stridedIndex(r.dims, strides);
  r.data.resize(index.size());
  for (size_t j = 0; j < index.size(); ++j) r.data[j] = x.data[static_cast<size_t>(index[j])];
  return r;
}

/// Collapses repeated labels (`ii` -> the diagonal `i`), keeping first occurrences in order.
template <typename T>
Expected<Labeled<T>> diagonal(const Labeled<T>& x) {
  std::vector<int> unique;
  std::vector<int64_t> dims, strides(0);
  auto inStrides = contiguousStrides(x.dims);
  for (size_t d = 0; d < x.labels.size(); ++d) {
    auto it = std::find(unique.begin(), unique.end(), x.labels[d]);
    if (it == unique.end()) {
      unique.push_back(x.labels[d]);
      dims.push_back(x.dims[d]);
      strides.push_back(inStrides[d]);
    } else {
      const auto u = static_cast<size_t>(it - unique.begin());
      if (dims[u] != x.dims[d]) return Status::error("repeated einsum label has different sizes");
      strides[u] += inStrides[d];  // walking the diagonal advances both dims at once
    }
  }
  if (unique.size() == x.labels.size()) return x;
  Labeled<T> r;
  r.dims = dims;
  r.labels = unique;
  auto index = stridedIndex(dims, strides);
  r.data.resize(index.size());
  for (size_t j = 0; j < index.size(); ++j) r.data[j] = x.data[static_cast<size_t>(index[j])];
  return r;
}

/// Sums out every label of `x` that is neither in `keep` nor in `other`.
template <typename T>
Labeled<T> sumUnneeded(Labeled<T> x, const std::set<int>& keep, const std::vector<int>& other) {
  for (size_t d = x.labels.size(); d-- > 0;) {
    const int l = x.labels[d];
    if (!keep.count(l) && std::find(other.begin(), other.end(), l) == other.end()) x = sumOut(x, l);
  }
  return x;
}

/// Contracts a and b: shared labels in `keep` become batch dims, shared labels not in `keep` are
/// summed over, the rest stay as free dims. Result labels: batch, a-free, b-free.
template <typename T>
Expected<Labeled<T>> contract(Labeled<T> a, Labeled<T> b, const std::set<int>& keep) {
  a = sumUnneeded(std::move(a), keep, b.labels);
  b = sumUnneeded(std::move(b), keep, a.labels);
  std::vector<int> batch, summed, aFree, bFree;
  const std::vector<int> aLabels = a.labels;  // `a` may be rebuilt (broadcast) in the loop
  for (int l : aLabels) {
    if (b.axisOf(l) < 0) {
      aFree.push_back(l);
      continue;
    }
    // Shared label: sizes must agree up to broadcasting a size-1 side.
    const int64_t na = a.dims[static_cast<size_t>(a.axisOf(l))], nb = b.dims[static_cast<size_t>(b.axisOf(l))];
    if (na != nb) {
      if (na == 1) a = broadcastLabel(a, l, nb);
      else if (nb == 1) b = broadcastLabel(b, l, na);
      else return Status::error("einsum label sizes differ (" + std::to_string(na) + " vs " + std::to_string(nb) + ")");
    }
    (keep.count(l) ? batch : summed).push_back(l);
  }
  for (int l : b.labels)
    if (a.axisOf(l) < 0) bFree.push_back(l);

  std::vector<int> aOrder = batch, bOrder = batch;
  aOrder.insert(aOrder.end(), aFree.begin(), aFree.end());
  aOrder.insert(aOrder.end(), summed.begin(), summed.end());
  bOrder.insert(bOrder.end(), summed.begin(), summed.end());
  bOrder.insert(bOrder.end(), bFree.begin(), bFree.end());
  Labeled<T> pa = permute(a, aOrder), pb = permute(b, bOrder);
  auto sizeOf = [](const Labeled<T>& x, const std::vector<int>& ls) {
    int64_t n = 1;
    for (int l : ls) n *= x.dims[static_cast<size_t>(x.axisOf(l))];
    return n;
  };
  const int64_t nb = sizeOf(pa, batch), m = sizeOf(pa, aFree), k = sizeOf(pa, summed), n = sizeOf(pb, bFree);
  Labeled<T> r;
  r.labels = batch;
  r.labels.insert(r.labels.end(), aFree.begin(), aFree.end());
  r.labels.insert(r.labels.end(), bFree.begin(), bFree.end());
  for (int l : batch) r.dims.push_back(pa.dims[static_cast<size_t>(pa.axisOf(l))]);
  for (int l : aFree) r.dims.push_back(pa.dims[static_cast<size_t>(pa.axisOf(l))]);
  for (int l : bFree) r.dims.push_back(pb.dims[static_cast<size_t>(pb.axisOf(l))]);
  r.data.assign(static_cast<size_t>(nb * m * n), T(0));
  for (int64_t bi = 0; bi < nb; ++bi) {
    const T* pA = pa.data.data() + bi * m * k;
    const T* pB = pb.data.data() + bi * k * n;
    T* pR = r.data.data() + bi * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = 0; p < k; ++p) {
        const T av = pA[i * k + p];
        for (int64_t j = 0; j < n; ++j) pR[i * n + j] += av * pB[p * n + j];
      }
  }
  return r;
}

/// Loads a tensor into the compute type C (float for f32/f16/bf16, double, int64 for integers).
template <typename C>
Labeled<C> load(const Tensor& t, const std::vector<int>& labels) {
  Labeled<C> x;
  x.dims = t.dims();
  x.labels = labels;
  x.data.resize(static_cast<size_t>(t.numElements()));
  for (size_t j = 0; j < x.data.size(); ++j) {
    if constexpr (std::is_integral_v<C>) x.data[j] = static_cast<C>(t.scalarAsInt(static_cast<int64_t>(j)));
    else x.data[j] = static_cast<C>(t.scalarAsDouble(static_cast<int64_t>(j)));
  }
  return x;
}

template <typename C>
Status runEinsum(KernelContext& ctx, const EinsumEquation& eq, DType dtype) {
  const size_t numInputs = eq.inputs.size();
  std::set<int> outputSet(eq.output.begin(), eq.output.end());
  // Labels needed after operand i: the output's and those of every later operand.
  std::vector<std::set<int>> neededAfter(numInputs, outputSet);
  for (size_t i = numInputs; i-- > 1;) {
    neededAfter[i - 1] = neededAfter[i];
    neededAfter[i - 1].insert(eq.inputs[i].begin(), eq.inputs[i].end());
  }
  std::vector<Labeled<C>> ops;
  for (size_t i = 0; i < numInputs; ++i) {
    KILN_ASSIGN_OR_RETURN(d, diagonal(load<C>(ctx.input(i), eq.inputs[i])));
    ops.push_back(std::move(d));
  }
  // Operand 0 sums out what nothing else needs; then fold the rest in from the left.
  std::set<int> keep0 = neededAfter[0];
  Labeled<C> acc = sumUnneeded(std::move(ops[0]), keep0, {});
  for (size_t i = 1; i < numInputs; ++i) {
    KILN_ASSIGN_OR_RETURN(next, contract(std::move(acc), std::move(ops[i]), neededAfter[i]));
    acc = std::move(next);
  }
  acc = sumUnneeded(std::move(acc), outputSet, {});
  acc = permute(acc, eq.output);

  Tensor out = newTensor(dtype, acc.dims);
  std::byte* o = out.mutableRawData();
  const size_t es = dtypeSize(dtype);
  for (size_t j = 0; j < acc.data.size(); ++j) {
    if constexpr (std::is_integral_v<C>) {
      // Truncating the int64 result gives the same wrap-around as arithmetic in the narrow type.
      const auto v = static_cast<uint64_t>(acc.data[j]);
      std::memcpy(o + j * es, &v, es);  // little-endian: the low bytes
    } else {
      storeDouble(o + j * es, dtype, static_cast<double>(acc.data[j]));
    }
  }
  ctx.setOutput(0, std::move(out));
  return Status::ok();
}

Status einsumKernel(KernelContext& ctx) {
  if (ctx.inputs.empty()) return ctx.error("Einsum needs at least one input");
  std::vector<int64_t> ranks;
  const DType dtype = ctx.input(0).dtype();
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (ctx.input(i).dtype() != dtype) return ctx.error("inputs have different element types");
    ranks.push_back(static_cast<int64_t>(ctx.input(i).rank()));
  }
  const Attribute* a = ctx.node.attr("equation");
  if (!a || a->kind() != AttrKind::String) return ctx.error("missing equation attribute");
  KILN_ASSIGN_OR_RETURN(eq, parseEinsumEquation(a->s(), ranks));
  switch (dtype) {
    case DType::Float32: case DType::Float16: case DType::BFloat16: return runEinsum<float>(ctx, eq, dtype);
    case DType::Float64: return runEinsum<double>(ctx, eq, dtype);
    default:
      if (isInteger(dtype)) return runEinsum<int64_t>(ctx, eq, dtype);
      return ctx.error("unsupported element type '" + std::string(dtypeName(dtype)) + "'");
  }
}

}  // namespace

void registerEinsumKernels(KernelRegistry& registry) { registry.add("", "Einsum", einsumKernel); }

}  // namespace kiln::reference
