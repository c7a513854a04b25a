// Tensor memory: 64-byte aligned blocks from a caching allocator, so the
// steady state of a training loop (same shapes every step) allocates nothing
// from the system. Builds with sanitizers bypass the cache so ASan sees every
// use after free.
#pragma once
#include <cstddef>

namespace descent {

/// A 64-byte aligned block of at least `nbytes` (never null; 0 bytes is fine).
void* allocate_bytes(std::size_t nbytes);
/// Returns a block to the cache.
void free_bytes(void* ptr, std::size_t nbytes);
/// Releases every cached block to the system.
void empty_cache();

/// Counters of the caching allocator.
struct AllocatorStats {
    std::size_t system_allocations = 0;  // blocks taken from the system so far
    std::size_t cache_hits = 0;          // requests served from the cache
    std::size_t bytes_cached = 0;        // bytes now held in the cache
};
AllocatorStats allocator_stats();

}  // namespace descent
