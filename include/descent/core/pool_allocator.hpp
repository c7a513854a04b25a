// Small-object pool for the bookkeeping of a training step: tensor handles' state
// (TensorImpl, Storage) and autograd nodes, with their shared_ptr control blocks
// (std::allocate_shared puts object and block in one allocation). Each thread keeps
// freed blocks in per-size free lists, so a loop that builds and frees the same graph
// every step reuses them instead of calling operator new. Builds with AddressSanitizer
// bypass the lists, so that every use after free is reported.
#pragma once
#include <cstddef>

namespace descent {

namespace detail {
/// A block of `bytes` (16-byte aligned) from the calling thread's free list, else the heap.
void* pool_allocate(std::size_t bytes);
/// Gives a block of `bytes` back to the calling thread's free list (bounded; beyond it, the heap).
void pool_free(void* ptr, std::size_t bytes) noexcept;
}  // namespace detail

/// A std allocator over the pool, for std::allocate_shared.
template <class T>
struct PoolAllocator {
    static_assert(alignof(T) <= 16, "the pool's blocks are 16-byte aligned");
    using value_type = T;
    PoolAllocator() = default;
    template <class U>
    PoolAllocator(const PoolAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(detail::pool_allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { detail::pool_free(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const PoolAllocator<U>&) const noexcept {
        return true;
    }
};

}  // namespace descent
