// MatMul (numpy semantics: batch broadcasting, 1-D promotion) and Gemm. Float products go
// through Eigen's blocked GEMM; integer types use a plain i-k-j loop (vectorizable in j).

#include <Eigen/Core>

#include "backends/reference/families.h"
#include "backends/reference/tensor_util.h"

namespace kiln::reference {
namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// C[m,n] (=|+=) alpha * A[m,k] * B[k,n], all row-major and contiguous. `accumulate` adds to C.
template <typename T>
void gemm(const T* a, const T* b, T* c, int64_t m, int64_t k, int64_t n, bool transA, bool transB, T alpha,
          bool accumulate) {
  if constexpr (std::is_floating_point_v<T>) {
    using Map = Eigen::Map<const RowMajor<T>>;
    Eigen::Map<RowMajor<T>> C(c, m, n);
    // A stored as [k,m] when transposed; Map it as stored and let Eigen transpose lazily.
    Map A(a, transA ? k : m, transA ? m : k);
    Map B(b, transB ? n : k, transB ? k : n);
    auto product = [&](const auto& lhs, const auto& rhs) {
      if (accumulate) C.noalias() += alpha * (lhs * rhs);
      else C.noalias() = alpha * (lhs * rhs);
    };
    if (!transA && !transB) product(A, B);
    else if (transA && !transB) product(A.transpose(), B);
    else if (!transA && transB) product(A, B.transpose());
    else product(A.transpose(), B.transpose());
  } else {
    if (!accumulate) std::fill(c, c + m * n, T(0));
    for (int64_t i = 0; i < m; ++i) {
      T* row = c + i * n;
      for (int64_t p = 0; p < k; ++p) {
        const T av = wrapMul(alpha, transA ? a[p * m + i] : a[i * k + p]);
        if (transB) {
          for (int64_t j = 0; j < n; ++j) row[j] = wrapAdd(row[j], wrapMul(av, b[j * k + p]));
        } else {
          const T* brow = b + p * n;
          for (int64_t j = 0; j < n; ++j) row[j] = wrapAdd(row[j], wrapMul(av, brow[j]));
        }
      }
    }
  }
}

using MatMulTypes = TypeList<float, double, int32_t, int64_t, uint32_t, uint64_t>;

Status matMulKernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != b.dtype()) return ctx.error("operand types differ");
  if (a.rank() == 0 || b.rank() == 0) return ctx.error("MatMul operands must have rank >= 1");
  // 1-D operands are promoted to matrices ([K] -> [1,K] on the left, [K,1] on the right) and
  // the added axis is dropped from the result.
  std::vector<int64_t> ad = a.dims(), bd = b.dims();
  const bool aVec = ad.size() == 1, bVec = bd.size() == 1;
  if (aVec) ad.insert(ad.begin(), 1);
  if (bVec) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  if (bd[bd.size() - 2] != k)
    return ctx.error("inner dims differ (" + std::to_string(k) + " vs " + std::to_string(bd[bd.size() - 2]) + ")");
  std::span<const int64_t> aBatch(ad.data(), ad.size() - 2), bBatch(bd.data(), bd.size() - 2);
  auto batch = broadcastShapes(aBatch, bBatch);
  if (!batch) return batch.takeStatus();
  std::vector<int64_t> outDims = *batch;
  if (!aVec) outDims.push_back(m);
  if (!bVec) outDims.push_back(n);
  return visitDType<MatMulTypes>(a.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(a.dtype(), outDims);
    const T* pa = in<T>(a);
    const T* pb = in<T>(b);
    T* py = out<T>(y);
    if (m * n == 0) {
      ctx.setOutput(0, std::move(y));
      return Status::ok();
    }
    // Walk the broadcast batch; offsets count whole matrices.
    forEachBroadcast<2>(*batch, {aBatch, bBatch}, [&](int64_t o, const std::array<int64_t, 2>& off, int64_t count,
                                                      const std::array<int64_t, 2>& s) {
      for (int64_t i = 0; i < count; ++i)
        gemm<T>(pa + (off[0] + i * s[0]) * m * k, pb + (off[1] + i * s[1]) * k * n, py + (o + i) * m * n, m, k, n,
                false, false, T(1), false);
    });
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

Status gemmKernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.rank() != 2 || b.rank() != 2) return ctx.error("Gemm operands must be 2-D");
  if (a.dtype() != b.dtype()) return ctx.error("operand types differ");
  const bool transA = ctx.node.intAttr("transA", 0) != 0;
  const bool transB = ctx.node.intAttr("transB", 0) != 0;
  const float alpha = ctx.node.floatAttr("alpha", 1.0f);
  const float beta = ctx.node.floatAttr("beta", 1.0f);
  const int64_t m = transA ? a.dims()[1] : a.dims()[0];
  const int64_t k = transA ? a.dims()[0] : a.dims()[1];
  const int64_t kb = transB ? b.dims()[1] : b.dims()[0];
  const int64_t n = transB ? b.dims()[0] : b.dims()[1];
  if (k != kb) return ctx.error("inner dims differ (" + std::to_string(k) + " vs " + std::to_string(kb) + ")");
  const std::vector<int64_t> outDims = {m, n};
  const bool hasC = ctx.hasInput(2) && beta != 0.0f;
  if (hasC) {
    const Tensor& c = ctx.input(2);
    auto bc = broadcastShapes(outDims, c.dims());
    if (c.dtype() != a.dtype() || !bc || *bc != outDims)
      return ctx.error("C of shape " + dimsStr(c.dims()) + " does not broadcast to " + dimsStr(outDims));
  }
  return visitDType<MatMulTypes>(a.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    Tensor y = newTensor(a.dtype(), outDims);
    T* py = out<T>(y);
    if (hasC) {
      // Y starts as beta * C broadcast to [m, n]; the product is then accumulated onto it.
      const Tensor& c = ctx.input(2);
      const T* pc = in<T>(c);
      const T bt = static_cast<T>(beta);
      forEachBroadcast<1>(outDims, {std::span<const int64_t>(c.dims())},
                          [&](int64_t o, const std::array<int64_t, 1>& off, int64_t count, const std::array<int64_t, 1>& s) {
                            for (int64_t i = 0; i < count; ++i) py[o + i] = wrapMul(bt, pc[off[0] + i * s[0]]);
                          });
    }
    if (m * n > 0) gemm<T>(in<T>(a), in<T>(b), py, m, k, n, transA, transB, static_cast<T>(alpha), hasC);
    ctx.setOutput(0, std::move(y));
    return Status::ok();
  });
}

}  // namespace

void registerMatMulKernels(KernelRegistry& r) {
  r.add("", "MatMul", matMulKernel);
  r.add("", "Gemm", gemmKernel);
}

}  // namespace kiln::reference
