#pragma once
// A small pool for intra-op parallelism: parallelFor splits [0, n) into one contiguous chunk
// per thread. Chunks are claimed, not assigned: the caller runs chunks until none is left and
// a worker takes the ones still unclaimed when it wakes, so a worker the OS schedules late
// (a loaded machine) never holds the caller up; the caller waits only for chunks a worker has
// started. No allocation per call. Idle threads sleep on a condition variable (no spinning: on
// a shared machine a spinning thread takes the core the working one needs; docs/jit.md).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::llvmjit {

class ThreadPool {
 public:
  /// A pool of `threads` threads in all (the caller counts as one); 1 runs everything inline.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /// `thread` is the index of the running thread (0: the caller), below size().
  using RangeFn = void (*)(void* context, int64_t begin, int64_t end, int thread);
  /// Runs fn(context, begin, end, thread) over a partition of [0, n) and returns when all are
  /// done.
  void parallelFor(int64_t n, RangeFn fn, void* context);

 private:
  void workerLoop(int index);
  /// Claims and runs chunks of call `generation` until none is left; returns how many it ran.
  int runChunks(uint64_t generation, int thread);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
  RangeFn fn_ = nullptr;
  void* context_ = nullptr;
  int64_t n_ = 0;
  std::atomic<int> chunks_{0};
  /// (generation << 32) | next unclaimed chunk: a worker still holding an older generation
  /// cannot claim a chunk of the current one.
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> done_{0};  ///< chunks of the current call finished
};

}  // namespace kiln::llvmjit
