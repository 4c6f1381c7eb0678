// Prints the measured FP32 peak of one core as JSON, for bench/run.sh's machine facts and
// roofline: the emitted FMA loop of backends/llvm/gemm/fma_peak_probe.h (the same probe
// kiln_gemm_bench reports against).
//
//   build/bench/kiln_peak_probe   ->   {"fp32_peak_gflops_per_core": 102.4}

#include <cstdio>

#include "backends/llvm/gemm/fma_peak_probe.h"

int main() {
  auto peak = kiln::llvmgemm::measureFp32PeakGflops();
  if (!peak) {
    std::fprintf(stderr, "kiln_peak_probe: %s\n", peak.status().str().c_str());
    return 1;
  }
  std::printf("{\"fp32_peak_gflops_per_core\": %.2f}\n", *peak);
  return 0;
}
