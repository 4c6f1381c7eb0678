// A STREAM-like memory bandwidth probe for bench/run.sh: the triad a[i] = b[i] + s * c[i] over
// arrays far larger than the last-level cache, split across 1..N threads. Prints JSON with the
// best of several passes per thread count, in GB/s counted the STREAM way (3 arrays x 4 bytes
// per element; the write-allocate read of `a` is not counted).
//
//   build/bench/kiln_bandwidth_probe [--threads N] [--mib PER_ARRAY] [--passes P]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

void triad(float* a, const float* b, const float* c, float s, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) a[i] = b[i] + s * c[i];
}

/// Seconds of one triad pass over n elements split evenly across `threads` threads.
double timeTriad(std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c, int threads) {
  const size_t n = a.size();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t)
    workers.emplace_back(triad, a.data(), b.data(), c.data(), 3.0f, n * t / threads, n * (t + 1) / threads);
  triad(a.data(), b.data(), c.data(), 3.0f, 0, n / threads);
  for (auto& w : workers) w.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int maxThreads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  size_t mib = 128;
  int passes = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long value = std::strtol(argv[i + 1], nullptr, 10);
    if (value <= 0) {
      std::fprintf(stderr, "kiln_bandwidth_probe: %s needs a positive number\n", flag.c_str());
      return 2;
    }
    if (flag == "--threads") maxThreads = static_cast<int>(value);
    else if (flag == "--mib") mib = static_cast<size_t>(value);
    else if (flag == "--passes") passes = static_cast<int>(value);
    else {
      std::fprintf(stderr, "kiln_bandwidth_probe: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  const size_t n = mib * 1024 * 1024 / sizeof(float);
  // Written before timing, so page faults are not measured.
  std::vector<float> a(n, 0.0f), b(n, 1.0f), c(n, 2.0f);
  std::printf("{\"array_mib\": %zu, \"passes\": %d, \"triad_gb_per_s\": {", mib, passes);
  for (int threads = 1; threads <= maxThreads; ++threads) {
    double best = 1e30;
    timeTriad(a, b, c, threads);  // warm-up
    for (int p = 0; p < passes; ++p) best = std::min(best, timeTriad(a, b, c, threads));
    std::printf("%s\"%d\": %.2f", threads > 1 ? ", " : "", threads, 3.0 * 4.0 * static_cast<double>(n) / best / 1e9);
  }
  // The checksum keeps the stores alive.
  std::printf("}, \"checksum\": %.1f}\n", static_cast<double>(a[n / 2]));
  return 0;
}
