#pragma once
// The static memory plan: every intermediate buffer gets an offset in one arena, buffers whose
// lifetimes do not overlap share bytes. Offline best-fit: the largest buffers are placed first,
// each at the lowest offset not overlapping a placed buffer that is alive at the same time.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::llvmjit {

/// Bytes of every arena offset are multiples of this (a cache line, the widest vector).
inline constexpr size_t kArenaAlignment = 64;

struct BufferLifetime {
  size_t bytes = 0;
  size_t firstStep = 0;  ///< step that writes it
  size_t lastStep = 0;   ///< last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  ///< one per buffer, aligned to kArenaAlignment
  size_t arenaBytes = 0;
  size_t totalBytes = 0;  ///< what separate buffers would take (to report the saving)
};

MemoryPlan planMemory(const std::vector<BufferLifetime>& buffers);

}  // namespace kiln::llvmjit
