// Tensor memory: 64-byte aligned blocks from a caching allocator, so the
// steady state of a training loop (same shapes every step) allocates nothing
// from the system. Small requests (up to 1 MiB) wait in exact-size lists; large
// ones are carved best-fit out of cached segments, so different sizes share
// memory (see src/core/allocator.cpp). Builds with sanitizers bypass the cache
// so ASan sees every use after free.
#pragma once
#include <cstddef>

namespace descent {

/// A 64-byte aligned block of at least `nbytes` (never null; 0 bytes is fine).
void* allocate_bytes(std::size_t nbytes);
/// Returns a block to the cache; `nbytes` is the size it was allocated with.
void free_bytes(void* ptr, std::size_t nbytes);
/// Releases every cached block to the system, except the free parts of large
/// segments that still hold a block in use.
void empty_cache();

/// Counters of the caching allocator.
struct AllocatorStats {
    std::size_t system_allocations = 0;  // blocks (small) and segments (large) taken from the system so far
    std::size_t system_frees = 0;        // blocks and segments given back to the system so far
    std::size_t cache_hits = 0;          // requests served from the cache
    std::size_t bytes_cached = 0;        // bytes now held in the cache, free
    std::size_t bytes_reserved = 0;      // bytes now held from the system, in use or cached
    std::size_t segments = 0;            // large segments now held
};
AllocatorStats allocator_stats();

}  // namespace descent
