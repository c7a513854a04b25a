// The small-object pool: per-thread free lists, one per 16-byte size class up to
// kMaxPooled bytes; larger requests go straight to operator new. A list holds at most
// kMaxPerClass blocks (a huge graph freed at once gives the rest back), and a thread's
// lists are emptied when it exits. A block freed on another thread than the one that
// allocated it simply joins the freeing thread's list. Builds with AddressSanitizer bypass the
// lists (every block from and back to operator new), as the tensor-data cache does.
#include "descent/core/pool_allocator.hpp"

#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define DESCENT_POOL_BYPASSED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DESCENT_POOL_BYPASSED 1
#endif
#endif

namespace descent::detail {

#ifdef DESCENT_POOL_BYPASSED
// Under AddressSanitizer every block comes from operator new and goes back to it, so a use after
// free is caught even where the pool would have reused the memory (as for tensor data).
void* pool_allocate(std::size_t bytes) { return ::operator new(bytes); }
void pool_free(void* ptr, std::size_t) noexcept { ::operator delete(ptr); }
#else
namespace {
constexpr std::size_t kGranule = 16;
// Autograd nodes up to 1 KiB come from the lists (the convolution + max-pool node, with both
// geometries, is over 512 bytes).
constexpr std::size_t kMaxPooled = 1024;
constexpr std::size_t kClasses = kMaxPooled / kGranule;
constexpr std::size_t kMaxPerClass = 1024;

struct FreeBlock {
    FreeBlock* next;
};

struct Pool {
    FreeBlock* head[kClasses] = {};
    std::size_t count[kClasses] = {};
    bool alive = true;
    ~Pool() {
        alive = false;
        for (std::size_t c = 0; c < kClasses; ++c)
            while (FreeBlock* b = head[c]) {
                head[c] = b->next;
                ::operator delete(b);
            }
    }
};

Pool& pool() {
    thread_local Pool p;
    return p;
}

// The size class of a request, rounded up to kGranule; kClasses when not pooled.
std::size_t size_class(std::size_t bytes) { return bytes == 0 || bytes > kMaxPooled ? kClasses : (bytes - 1) / kGranule; }
}  // namespace

void* pool_allocate(std::size_t bytes) {
    const std::size_t c = size_class(bytes);
    if (c == kClasses) return ::operator new(bytes);
    Pool& p = pool();
    if (FreeBlock* b = p.head[c]; b && p.alive) {
        p.head[c] = b->next;
        --p.count[c];
        return b;
    }
    return ::operator new((c + 1) * kGranule);  // the class's full size: the block may serve any request of it
}

void pool_free(void* ptr, std::size_t bytes) noexcept {
    if (!ptr) return;
    const std::size_t c = size_class(bytes);
    if (c == kClasses) {
        ::operator delete(ptr);
        return;
    }
    Pool& p = pool();
    if (!p.alive || p.count[c] >= kMaxPerClass) {  // the thread is exiting, or the list is full
        ::operator delete(ptr);
        return;
    }
    auto* b = static_cast<FreeBlock*>(ptr);
    b->next = p.head[c];
    p.head[c] = b;
    ++p.count[c];
}
#endif

}  // namespace descent::detail
