// The memory planner and the thread pool, on their own.

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "backends/llvm/memory_plan.h"
#include "backends/llvm/thread_pool.h"

namespace kiln::llvmjit {
namespace {

TEST(MemoryPlan, LiveBuffersNeverOverlapAndDeadOnesShare) {
  // A chain a -> b -> c -> d: each buffer dies when the next is written... plus one kept to the end.
  std::vector<BufferLifetime> buffers = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}, {100, 0, 4}};
  MemoryPlan plan = planMemory(buffers);
  for (size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % kArenaAlignment, 0u);
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      const bool live = buffers[i].firstStep <= buffers[j].lastStep && buffers[j].firstStep <= buffers[i].lastStep;
      const bool apart = plan.offsets[i] + buffers[i].bytes <= plan.offsets[j] || plan.offsets[j] + buffers[j].bytes <= plan.offsets[i];
      if (live) EXPECT_TRUE(apart) << i << " and " << j;
    }
  }
  EXPECT_LT(plan.arenaBytes, plan.totalBytes);
  EXPECT_LE(plan.arenaBytes, 2 * 1024u + 128u);
}

TEST(ThreadPool, CoversTheRangeOnce) {
  ThreadPool pool(4);
  for (int64_t n : {0, 1, 3, 4, 1000}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallelFor(n, [](void* ctx, int64_t b, int64_t e, int thread) {
      EXPECT_GE(thread, 0);
      EXPECT_LT(thread, 4);
      auto& h = *static_cast<std::vector<std::atomic<int>>*>(ctx);
      for (int64_t i = b; i < e; ++i) ++h[static_cast<size_t>(i)];
    }, &hits);
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, BackToBackCallsNeverMix) {
  // Chunks are claimed: a late worker must never run a chunk of the next call with the
  // previous call's function or context.
  ThreadPool pool(3);
  for (int call = 0; call < 3000; ++call) {
    const int64_t n = 1 + call % 7;
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallelFor(n, [](void* ctx, int64_t b, int64_t e, int) {
      auto& h = *static_cast<std::vector<std::atomic<int>>*>(ctx);
      for (int64_t i = b; i < e; ++i) ++h[static_cast<size_t>(i)];
    }, &hits);
    for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "call " << call;
  }
}

}  // namespace
}  // namespace kiln::llvmjit
