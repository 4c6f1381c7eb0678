#include "backends/llvm/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kiln::llvmjit {
namespace {

/// How long a thread spins for the next task (or the last slice) before sleeping: kernels come
/// back to back, and a futex sleep plus wake-up costs tens of microseconds each time. Short
/// enough that a spinning thread takes little from others on a loaded machine.
constexpr auto kSpin = std::chrono::microseconds(50);

void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

/// Spins until `done()` or kSpin has passed; true when done.
template <typename Done>
bool spinUntil(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (done()) return true;
    cpuRelax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return done();
  }
}

void chunkBounds(int64_t n, int chunks, int index, int64_t& begin, int64_t& end) {
  begin = n * index / chunks;
  end = n * (index + 1) / chunks;
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(threads, 1); ++i) workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::parallelFor(int64_t n, RangeFn fn, void* context) {
  const int chunks = static_cast<int>(std::min<int64_t>(size(), n));
  if (chunks <= 1) {
    if (n > 0) fn(context, 0, n, 0);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    fn_ = fn;
    context_ = context;
    n_ = n;
    chunks_ = chunks;
    pending_.store(chunks - 1);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  int64_t begin, end;
  chunkBounds(n, chunks, 0, begin, end);
  fn(context, begin, end, 0);
  if (spinUntil([this] { return pending_.load(std::memory_order_acquire) == 0; })) return;
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [this] { return pending_.load() == 0; });
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
    if (stop_) return;
    seen = generation_.load();
    if (index >= chunks_) continue;  // fewer chunks than threads this time
    RangeFn fn = fn_;
    void* context = context_;
    int64_t begin, end;
    chunkBounds(n_, chunks_, index, begin, end);
    lock.unlock();
    fn(context, begin, end, index);
    lock.lock();
    if (pending_.fetch_sub(1) == 1) finished_.notify_one();
  }
}

}  // namespace kiln::llvmjit
