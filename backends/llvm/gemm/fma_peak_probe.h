#pragma once
// The FP32 peak of one core, measured rather than taken from a data sheet: an emitted loop of
// independent vector FMA chains (enough of them to cover FMA latency on every FMA port).

#include "ir/diagnostic.h"

namespace kiln::llvmgemm {

/// GFLOP/s of the best of several runs of the FMA loop, timed by the calling thread's CPU time.
Expected<double> measureFp32PeakGflops();

}  // namespace kiln::llvmgemm
