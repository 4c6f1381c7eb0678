#include "backends/llvm/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace kiln::llvmjit {
namespace {

size_t alignUp(size_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

bool overlapInTime(const BufferLifetime& a, const BufferLifetime& b) {
  return a.firstStep <= b.lastStep && b.firstStep <= a.lastStep;
}

}  // namespace

MemoryPlan planMemory(const std::vector<BufferLifetime>& buffers) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });

  std::vector<size_t> placed;  // indices, kept sorted by offset
  for (size_t index : order) {
    const BufferLifetime& buffer = buffers[index];
    const size_t size = alignUp(std::max<size_t>(buffer.bytes, 1));
    plan.totalBytes += size;
    // Lowest gap between conflicting placed buffers that fits.
    size_t offset = 0;
    for (size_t other : placed) {
      if (!overlapInTime(buffer, buffers[other])) continue;
      const size_t start = plan.offsets[other];
      const size_t end = start + alignUp(std::max<size_t>(buffers[other].bytes, 1));
      if (offset + size <= start) break;
      offset = std::max(offset, end);
    }
    plan.offsets[index] = offset;
    plan.arenaBytes = std::max(plan.arenaBytes, offset + size);
    auto pos = std::lower_bound(placed.begin(), placed.end(), index,
                                [&](size_t a, size_t b) { return plan.offsets[a] < plan.offsets[b]; });
    placed.insert(pos, index);
  }
  return plan;
}

}  // namespace kiln::llvmjit
