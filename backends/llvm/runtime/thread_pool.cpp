#include "backends/llvm/thread_pool.h"

#include <algorithm>

namespace kiln::llvmjit {
namespace {

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
  uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    generation = generation_.load() + 1;
    // Close claims first: a worker still on the previous call fails its claim from here on
    // (generation mismatch), so it never runs this call's chunks with the old call's fields.
    ticket_.store(generation << 32 | 0x7fffffffu);
    fn_ = fn;
    context_ = context;
    n_ = n;
    chunks_ = chunks;
    done_.store(0);
    ticket_.store(generation << 32);
    generation_.store(generation);
  }
  wake_.notify_all();
  runChunks(generation, 0);
  // Every chunk is claimed now; wait for those a worker is still running.
  if (done_.load() == chunks) return;
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [&] { return done_.load() == chunks; });
}

int ThreadPool::runChunks(uint64_t generation, int thread) {
  int ran = 0;
  for (;;) {
    uint64_t ticket = ticket_.load();
    int chunk;
    do {
      chunk = static_cast<int>(ticket & 0xffffffffu);
      if ((ticket >> 32) != generation || chunk >= chunks_) return ran;
    } while (!ticket_.compare_exchange_weak(ticket, ticket + 1));
    int64_t begin, end;
    chunkBounds(n_, chunks_.load(), chunk, begin, end);
    fn_(context_, begin, end, thread);
    ++ran;
    if (done_.fetch_add(1) + 1 == chunks_.load()) {
      std::lock_guard lock(mutex_);
      finished_.notify_one();
    }
  }
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
      if (stop_) return;
      seen = generation_.load();
    }
    runChunks(seen, index);
  }
}

}  // namespace kiln::llvmjit
