// Caching allocator: free blocks wait in per-size lists for the next request
// of the same rounded size. Sizes round up to 64 bytes (to 4 KiB above 1 MiB)
// so near-equal requests share a list. The cache holds at most kMaxCachedBytes.
#include "descent/core/allocator.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define DESCENT_NO_CACHE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DESCENT_NO_CACHE 1
#endif
#endif

namespace descent {
namespace {
constexpr std::size_t kAlignment = 64;
constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 30;

std::size_t rounded(std::size_t nbytes) {
    const std::size_t unit = nbytes > (std::size_t{1} << 20) ? 4096 : kAlignment;
    return nbytes == 0 ? kAlignment : (nbytes + unit - 1) / unit * unit;
}

struct Cache {
    std::mutex mutex;
    std::unordered_map<std::size_t, std::vector<void*>> free_blocks;
    AllocatorStats stats;
};

Cache& cache() {
    // Leaked on purpose: tensors in static objects may be freed after main returns.
    static Cache* c = new Cache;
    return *c;
}

void* system_allocate(std::size_t size) {
    void* p = std::aligned_alloc(kAlignment, size);
    if (!p) throw std::bad_alloc();
    return p;
}
}  // namespace

void* allocate_bytes(std::size_t nbytes) {
    const std::size_t size = rounded(nbytes);
    Cache& c = cache();
#ifndef DESCENT_NO_CACHE
    {
        std::lock_guard lock(c.mutex);
        auto it = c.free_blocks.find(size);
        if (it != c.free_blocks.end() && !it->second.empty()) {
            void* p = it->second.back();
            it->second.pop_back();
            c.stats.bytes_cached -= size;
            ++c.stats.cache_hits;
            return p;
        }
        ++c.stats.system_allocations;
    }
#else
    {
        std::lock_guard lock(c.mutex);
        ++c.stats.system_allocations;
    }
#endif
    return system_allocate(size);
}

void free_bytes(void* ptr, std::size_t nbytes) {
    if (!ptr) return;
#ifndef DESCENT_NO_CACHE
    const std::size_t size = rounded(nbytes);
    Cache& c = cache();
    {
        std::lock_guard lock(c.mutex);
        if (c.stats.bytes_cached + size <= kMaxCachedBytes) {
            c.free_blocks[size].push_back(ptr);
            c.stats.bytes_cached += size;
            return;
        }
    }
#else
    (void)nbytes;
#endif
    std::free(ptr);
}

void empty_cache() {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    for (auto& [size, blocks] : c.free_blocks)
        for (void* p : blocks) std::free(p);
    c.free_blocks.clear();
    c.stats.bytes_cached = 0;
}

AllocatorStats allocator_stats() {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    return c.stats;
}

}  // namespace descent
