// The probe: `float kiln_fma_peak(i64 iterations, float x, float y)` runs `chains` independent
// accumulators through acc = fma(acc, x, y), unrolled four times, and returns their sum so the
// work cannot be dropped. x and y are arguments so nothing folds at compile time.

#include "backends/llvm/gemm/fma_peak_probe.h"

#include "backends/llvm/gemm/gemm_codegen.h"
#include "backends/llvm/gemm/gemm_ir_util.h"
#include "backends/llvm/gemm/gemm_jit.h"

#include <llvm/IR/Intrinsics.h>

#include <algorithm>
#include <ctime>

namespace kiln::llvmgemm {
namespace {

constexpr int kUnroll = 4;

/// CPU time of the calling thread: on a shared machine, wall time would count other work.
double threadSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

void emitFmaPeakProbe(llvm::Module& module, int width, int chains) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto* floatTy = b.getFloatTy();
  auto* vecTy = llvm::FixedVectorType::get(floatTy, width);
  auto* type = llvm::FunctionType::get(floatTy, {b.getInt64Ty(), floatTy, floatTy}, false);
  auto* f = llvm::Function::Create(type, llvm::Function::ExternalLinkage, "kiln_fma_peak", module);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
  llvm::Value* x = b.CreateVectorSplat(width, f->getArg(1));
  llvm::Value* y = b.CreateVectorSplat(width, f->getArg(2));
  auto* accTy = llvm::ArrayType::get(vecTy, chains);
  llvm::Value* acc = b.CreateAlloca(accTy);
  for (int j = 0; j < chains; ++j)
    b.CreateStore(b.CreateFAdd(y, llvm::ConstantFP::get(vecTy, j)), b.CreateConstInBoundsGEP2_32(accTy, acc, 0, j));
  llvm::Function* fma = llvm::Intrinsic::getDeclaration(&module, llvm::Intrinsic::fma, {vecTy});
  detail::emitFor(b, b.getInt64(0), f->getArg(0), b.getInt64(1), "i", [&](llvm::Value*) {
    for (int u = 0; u < kUnroll; ++u)
      for (int j = 0; j < chains; ++j) {
        llvm::Value* slot = b.CreateConstInBoundsGEP2_32(accTy, acc, 0, j);
        b.CreateStore(b.CreateCall(fma, {b.CreateLoad(vecTy, slot), x, y}), slot);
      }
  });
  llvm::Value* sum = llvm::Constant::getNullValue(vecTy);
  for (int j = 0; j < chains; ++j)
    sum = b.CreateFAdd(sum, b.CreateLoad(vecTy, b.CreateConstInBoundsGEP2_32(accTy, acc, 0, j)));
  llvm::Value* total = llvm::ConstantFP::get(floatTy, 0.0);
  for (int l = 0; l < width; ++l) total = b.CreateFAdd(total, b.CreateExtractElement(sum, l));
  b.CreateRet(total);
}

}  // namespace

Expected<double> measureFp32PeakGflops() {
  const bool avx512 = hostHasAvx512();
  const int width = avx512 ? 16 : 8;
  const int chains = avx512 ? 24 : 12;  // latency 4-5 cycles x 2 FMA ports, with margin
  auto code = JitCode::build([&](llvm::Module& m) { emitFmaPeakProbe(m, width, chains); });
  if (!code) return code.takeStatus();
  auto* probe = reinterpret_cast<float (*)(int64_t, float, float)>((*code)->lookup("kiln_fma_peak"));
  if (!probe) return Status::error("JIT lookup of the FMA peak probe failed");
  const int64_t iterations = 2'000'000;
  const double flops = 2.0 * width * chains * kUnroll * static_cast<double>(iterations);
  volatile float sink = probe(iterations / 10, 0.999999f, 1e-6f);  // warm up clocks and caches
  double best = 0;
  for (int run = 0; run < 7; ++run) {
    double start = threadSeconds();
    sink = sink + probe(iterations, 0.999999f, 1e-6f);
    best = std::max(best, flops / (threadSeconds() - start) * 1e-9);
  }
  return best;
}

}  // namespace kiln::llvmgemm
