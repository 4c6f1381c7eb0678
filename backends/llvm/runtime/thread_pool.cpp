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
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [this] { return pending_.load() == 0; });
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
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
