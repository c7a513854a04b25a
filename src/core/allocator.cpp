// Caching allocator, two pools:
// - small requests (up to 1 MiB, rounded to 64 bytes) wait in exact-size lists
//   for the next request of the same size: cheap, and small sizes waste little.
// - large requests (rounded to 4 KiB) are served best-fit from the free blocks of
//   segments mapped from the system. A block larger than the request is split and
//   the rest stays a free block of the same segment; a freed block merges with
//   free neighbours. So sizes share memory: the footprint follows the largest live
//   set, not the sum of every size ever requested (evaluation at a large batch
//   after training allocates many sizes once).
// A new segment is mapped only when no free block fits (blocks over 4x the request
// do not count, see kMaxSplitRatio). When a request exceeds every segment mapped so
// far (a new, larger phase such as evaluation at a bigger batch), wholly free segments
// are unmapped first: they were sized for the smaller phase. This happens a bounded
// number of times (only for new maximum sizes), so a loop of fixed shapes still
// reaches a state with no system call after warm-up.
// The cache holds at most kMaxCachedBytes (beyond it, small blocks and wholly
// free segments go back to the system).
#include "descent/core/allocator.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <functional>
#include <mutex>
#include <new>
#include <set>
#include <unordered_map>
#include <vector>

#include "descent/core/pool_allocator.hpp"

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
constexpr std::size_t kSmallLimit = std::size_t{1} << 20;  // largest request of the small pool
constexpr std::size_t kLargeUnit = 4096;                    // large sizes and split points: page multiples
// A split leaves a free rest only if at least this big: a smaller rest could serve
// no large request on its own and would only add bookkeeping.
constexpr std::size_t kMinSplitRest = kSmallLimit;
// A free block more than 4x the request is left whole: a small tensor carved out of it
// (an input batch, an optimizer's state) may live long and pin the big block's segment,
// and the next big request would need a new segment (seen in evaluation loops).
constexpr std::size_t kMaxSplitRatio = 4;
constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 30;

std::size_t rounded(std::size_t nbytes) {
    const std::size_t unit = nbytes > kSmallLimit ? kLargeUnit : kAlignment;
    return nbytes == 0 ? kAlignment : (nbytes + unit - 1) / unit * unit;
}

void* system_allocate(std::size_t size) {
    void* p = std::aligned_alloc(kAlignment, size);
    if (!p) throw std::bad_alloc();
    return p;
}

#ifndef DESCENT_NO_CACHE
// A piece of a segment; the blocks of a segment form an address-ordered list.
struct Block {
    char* ptr;
    std::size_t size;
    bool free;
    Block* prev;  // neighbours in the same segment (null at the segment's ends)
    Block* next;
    bool whole_segment() const { return !prev && !next; }
};

// Best fit: the smallest free block that is large enough, lowest address among equals.
struct BySizeThenAddress {
    bool operator()(const Block* a, const Block* b) const {
        if (a->size != b->size) return a->size < b->size;
        return std::less<const char*>()(a->ptr, b->ptr);
    }
};

// Segments are mapped directly so that releasing one returns its pages to the
// system (a malloc'd chunk may stay in the heap).
void* map_segment(std::size_t size) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}
#endif

#ifndef DESCENT_NO_CACHE
// The large pool's bookkeeping (its blocks and the nodes of its set and map) comes from the
// small-object pool: a training step that splits and merges blocks makes no operator new call.
Block* new_block(char* ptr, std::size_t size, bool free, Block* prev, Block* next) {
    return new (PoolAllocator<Block>().allocate(1)) Block{ptr, size, free, prev, next};
}
void delete_block(Block* b) { PoolAllocator<Block>().deallocate(b, 1); }
#endif

struct Cache {
    std::mutex mutex;
    std::unordered_map<std::size_t, std::vector<void*>> small_free;
#ifndef DESCENT_NO_CACHE
    std::set<Block*, BySizeThenAddress, PoolAllocator<Block*>> large_free;
    std::unordered_map<void*, Block*, std::hash<void*>, std::equal_to<void*>, PoolAllocator<std::pair<void* const, Block*>>>
        large_used;
    std::size_t largest_segment = 0;  // the largest segment ever mapped
#endif
    AllocatorStats stats;
};

Cache& cache() {
    // Leaked on purpose: tensors in static objects may be freed after main returns.
    static Cache* c = new Cache;
    return *c;
}

#ifndef DESCENT_NO_CACHE
// Unmaps wholly free segments, largest first, until the cache holds at most `target` bytes.
void release_free_segments(Cache& c, std::size_t target) {
    for (auto it = c.large_free.end(); it != c.large_free.begin() && c.stats.bytes_cached > target;) {
        --it;
        Block* b = *it;
        if (!b->whole_segment()) continue;
        it = c.large_free.erase(it);
        ::munmap(b->ptr, b->size);
        c.stats.bytes_cached -= b->size;
        c.stats.bytes_reserved -= b->size;
        --c.stats.segments;
        ++c.stats.system_frees;
        delete_block(b);
    }
}

void* allocate_large(Cache& c, std::size_t size) {
    Block key{nullptr, size, true, nullptr, nullptr};
    auto it = c.large_free.lower_bound(&key);
    if (it != c.large_free.end() && (*it)->size / kMaxSplitRatio <= size) {
        Block* b = *it;
        c.large_free.erase(it);
        c.stats.bytes_cached -= b->size;
        ++c.stats.cache_hits;
        if (b->size - size >= kMinSplitRest) {
            Block* rest = new_block(b->ptr + size, b->size - size, true, b, b->next);
            if (b->next) b->next->prev = rest;
            b->next = rest;
            b->size = size;
            c.large_free.insert(rest);
            c.stats.bytes_cached += rest->size;
        }
        b->free = false;
        c.large_used.emplace(b->ptr, b);
        return b->ptr;
    }
    // Nothing fits. A size beyond every segment so far starts a larger phase: the free
    // segments of the smaller one are released (none of them could serve this request).
    if (size > c.largest_segment) {
        release_free_segments(c, 0);
        c.largest_segment = size;
    }
    void* p = map_segment(size);
    if (!p) {  // the system is short: give back what the cache holds and try once more
        release_free_segments(c, 0);
        p = map_segment(size);
        if (!p) throw std::bad_alloc();
    }
    ++c.stats.system_allocations;
    c.stats.bytes_reserved += size;
    ++c.stats.segments;
    Block* b = new_block(static_cast<char*>(p), size, false, nullptr, nullptr);
    c.large_used.emplace(p, b);
    return p;
}

void free_large(Cache& c, void* ptr) {
    auto it = c.large_used.find(ptr);
    if (it == c.large_used.end()) std::abort();  // not a block of this allocator, or freed twice
    Block* b = it->second;
    c.large_used.erase(it);
    b->free = true;
    if (Block* n = b->next; n && n->free) {
        c.large_free.erase(n);
        c.stats.bytes_cached -= n->size;
        b->size += n->size;
        b->next = n->next;
        if (b->next) b->next->prev = b;
        delete_block(n);
    }
    if (Block* p = b->prev; p && p->free) {
        c.large_free.erase(p);  // p's key changes: take it out before growing it
        c.stats.bytes_cached -= p->size;
        p->size += b->size;
        p->next = b->next;
        if (p->next) p->next->prev = p;
        delete_block(b);
        b = p;
    }
    c.large_free.insert(b);
    c.stats.bytes_cached += b->size;
    if (c.stats.bytes_cached > kMaxCachedBytes) release_free_segments(c, kMaxCachedBytes);
}
#endif
}  // namespace

void* allocate_bytes(std::size_t nbytes) {
    const std::size_t size = rounded(nbytes);
    Cache& c = cache();
#ifndef DESCENT_NO_CACHE
    if (size > kSmallLimit) {
        std::lock_guard lock(c.mutex);
        return allocate_large(c, size);
    }
    {
        std::lock_guard lock(c.mutex);
        auto it = c.small_free.find(size);
        if (it != c.small_free.end() && !it->second.empty()) {
            void* p = it->second.back();
            it->second.pop_back();
            c.stats.bytes_cached -= size;
            ++c.stats.cache_hits;
            return p;
        }
        ++c.stats.system_allocations;
        c.stats.bytes_reserved += size;
    }
#else
    {
        std::lock_guard lock(c.mutex);
        ++c.stats.system_allocations;
        c.stats.bytes_reserved += size;
    }
#endif
    return system_allocate(size);
}

void free_bytes(void* ptr, std::size_t nbytes) {
    if (!ptr) return;
    const std::size_t size = rounded(nbytes);
    Cache& c = cache();
    {
        std::lock_guard lock(c.mutex);
#ifndef DESCENT_NO_CACHE
        if (size > kSmallLimit) return free_large(c, ptr);
        if (c.stats.bytes_cached + size <= kMaxCachedBytes) {
            c.small_free[size].push_back(ptr);
            c.stats.bytes_cached += size;
            return;
        }
#endif
        c.stats.bytes_reserved -= size;
        ++c.stats.system_frees;
    }
    std::free(ptr);
}

void empty_cache() {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    for (auto& [size, blocks] : c.small_free) {
        for (void* p : blocks) std::free(p);
        c.stats.bytes_cached -= size * blocks.size();
        c.stats.bytes_reserved -= size * blocks.size();
        c.stats.system_frees += blocks.size();
    }
    c.small_free.clear();
#ifndef DESCENT_NO_CACHE
    release_free_segments(c, 0);
#endif
}

AllocatorStats allocator_stats() {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    return c.stats;
}

}  // namespace descent
