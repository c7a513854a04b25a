// The caching allocator: small requests reuse exact-size blocks; large ones are carved
// out of cached segments (split, best fit) and freed neighbours merge, so different
// sizes share memory; a loop of fixed shapes reaches a state with no system
// allocation. Builds with AddressSanitizer bypass the cache: there every request
// reaches the system.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "descent/core/allocator.hpp"

using namespace descent;

namespace {

constexpr std::size_t MiB = std::size_t{1} << 20;

char* alloc(std::size_t n) { return static_cast<char*>(allocate_bytes(n)); }

bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

}  // namespace

#ifndef __SANITIZE_ADDRESS__

// Starts from a cache holding nothing, so that best fit can only pick the test's own blocks.
class Allocator : public ::testing::Test {
protected:
    void SetUp() override {
        empty_cache();
        ASSERT_EQ(allocator_stats().bytes_cached, 0u) << "a large segment of another test is still in use";
        segments0 = allocator_stats().segments;
    }
    void TearDown() override { empty_cache(); }
    std::size_t segments0 = 0;  // segments in use by others (none expected)
};

TEST_F(Allocator, SmallBlocksAreReusedForTheSameSizeOnly) {
    char* a = alloc(1000);
    EXPECT_TRUE(aligned64(a));
    free_bytes(a, 1000);
    AllocatorStats before = allocator_stats();
    EXPECT_EQ(before.bytes_cached, 1024u);  // 1000 rounded up to 64 bytes
    char* b = alloc(1000);
    EXPECT_EQ(b, a);
    EXPECT_EQ(allocator_stats().cache_hits, before.cache_hits + 1);
    free_bytes(b, 1000);
    // A smaller small request does not split a cached small block.
    before = allocator_stats();
    char* c = alloc(500);
    EXPECT_NE(c, a);
    EXPECT_EQ(allocator_stats().system_allocations, before.system_allocations + 1);
    free_bytes(c, 500);
}

TEST_F(Allocator, FreedLargeBlockServesASmallerLargeRequestBySplitting) {
    const AllocatorStats start = allocator_stats();
    char* a = alloc(8 * MiB);
    EXPECT_TRUE(aligned64(a));
    EXPECT_EQ(allocator_stats().system_allocations, start.system_allocations + 1);
    EXPECT_EQ(allocator_stats().segments, start.segments + 1);
    EXPECT_EQ(allocator_stats().bytes_reserved, start.bytes_reserved + 8 * MiB);
    free_bytes(a, 8 * MiB);
    EXPECT_EQ(allocator_stats().bytes_cached, 8 * MiB);

    const AllocatorStats before = allocator_stats();
    char* b = alloc(3 * MiB);  // the front of the free 8 MiB block
    EXPECT_EQ(b, a);
    EXPECT_EQ(allocator_stats().bytes_cached, 5 * MiB);
    char* c = alloc(3 * MiB + 1);  // the next piece: rounded to 4 KiB, still aligned
    EXPECT_EQ(c, a + 3 * MiB);
    EXPECT_TRUE(aligned64(c));
    EXPECT_EQ(allocator_stats().bytes_cached, 2 * MiB - 4096);
    char* d = alloc(MiB + 4096 + 1);  // a rest under 1 MiB is not split off: d takes all 2 MiB - 4 KiB
    EXPECT_EQ(d, a + 6 * MiB + 4096);
    EXPECT_EQ(allocator_stats().bytes_cached, 0u);
    const AllocatorStats after = allocator_stats();
    EXPECT_EQ(after.system_allocations, before.system_allocations);
    EXPECT_EQ(after.cache_hits, before.cache_hits + 3);
    EXPECT_EQ(after.bytes_reserved, before.bytes_reserved);
    // The memory is really usable, and the two pieces do not overlap.
    std::memset(b, 1, 3 * MiB);
    std::memset(c, 2, 3 * MiB + 1);
    std::memset(d, 3, MiB + 4096 + 1);
    EXPECT_EQ(b[3 * MiB - 1], 1);
    EXPECT_EQ(c[3 * MiB], 2);
    free_bytes(b, 3 * MiB);
    free_bytes(d, MiB + 4096 + 1);
    free_bytes(c, 3 * MiB + 1);
    EXPECT_EQ(allocator_stats().bytes_cached, 8 * MiB);
}

TEST_F(Allocator, BestFitPicksTheSmallestFreeBlockThatFits) {
    char* big = alloc(16 * MiB);
    char* small = alloc(6 * MiB);
    free_bytes(big, 16 * MiB);
    free_bytes(small, 6 * MiB);
    char* p = alloc(5 * MiB);
    EXPECT_EQ(p, small);
    char* q = alloc(7 * MiB);
    EXPECT_EQ(q, big);
    free_bytes(p, 5 * MiB);
    free_bytes(q, 7 * MiB);
}

// A small tensor carved out of a much larger block could pin its segment for long (an
// optimizer's state in an activation's block): over 4x the request, a block is left whole.
TEST_F(Allocator, AMuchLargerFreeBlockIsLeftWhole) {
    char* big = alloc(16 * MiB);
    free_bytes(big, 16 * MiB);
    AllocatorStats before = allocator_stats();
    char* p = alloc(3 * MiB);  // 16 > 4 x 3: a segment of its own
    EXPECT_NE(p, big);
    EXPECT_EQ(allocator_stats().system_allocations, before.system_allocations + 1);
    EXPECT_EQ(allocator_stats().bytes_cached, 16 * MiB);
    char* q = alloc(4 * MiB);  // 16 = 4 x 4: split
    EXPECT_EQ(q, big);
    EXPECT_EQ(allocator_stats().system_allocations, before.system_allocations + 1);
    free_bytes(p, 3 * MiB);
    free_bytes(q, 4 * MiB);
}

// Three 4 MiB blocks carved from one 12 MiB segment, freed in every order: the segment
// must end up as one free 12 MiB block again (it serves a 12 MiB request, no new segment).
TEST_F(Allocator, FreedNeighboursMergeInEveryOrder) {
    std::array<int, 3> order = {0, 1, 2};
    do {
        char* base = alloc(12 * MiB);
        free_bytes(base, 12 * MiB);
        char* part[3];
        for (int i = 0; i < 3; ++i) {
            part[i] = alloc(4 * MiB);
            EXPECT_EQ(part[i], base + i * 4 * MiB);
        }
        EXPECT_EQ(allocator_stats().bytes_cached, 0u);
        const AllocatorStats before = allocator_stats();
        free_bytes(part[order[0]], 4 * MiB);
        free_bytes(part[order[1]], 4 * MiB);
        // Two free pieces: adjacent ones hold 8 MiB together, else neither serves 8 MiB.
        const bool adjacent = order[0] + order[1] == 1 || order[0] + order[1] == 3;
        char* eight = alloc(8 * MiB);
        EXPECT_EQ(eight == base + std::min(order[0], order[1]) * 4 * MiB, adjacent) << order[0] << order[1];
        EXPECT_EQ(allocator_stats().system_allocations, before.system_allocations + (adjacent ? 0 : 1));
        free_bytes(eight, 8 * MiB);
        free_bytes(part[order[2]], 4 * MiB);
        const AllocatorStats merged = allocator_stats();
        char* whole = alloc(12 * MiB);
        EXPECT_EQ(whole, base);
        EXPECT_EQ(allocator_stats().system_allocations, merged.system_allocations);
        free_bytes(whole, 12 * MiB);
        empty_cache();
        EXPECT_EQ(allocator_stats().bytes_cached, 0u);
        EXPECT_EQ(allocator_stats().segments, segments0);
    } while (std::next_permutation(order.begin(), order.end()));
}

// Evaluation at a large batch: activations of decreasing sizes, two alive at a time. The
// footprint must follow the largest live set (20 MiB), not the sum of the sizes (33.75 MiB).
TEST_F(Allocator, DifferentSizesShareMemory) {
    const std::size_t reserved = allocator_stats().bytes_reserved;
    const std::vector<std::size_t> sizes = {10 * MiB, 10 * MiB, 5 * MiB / 2, 5 * MiB, 5 * MiB, 5 * MiB / 4};
    for (int pass = 0; pass < 3; ++pass) {
        char* prev = alloc(sizes[0]);
        for (std::size_t i = 1; i < sizes.size(); ++i) {
            char* next = alloc(sizes[i]);
            free_bytes(prev, sizes[i - 1]);
            prev = next;
        }
        free_bytes(prev, sizes.back());
    }
    EXPECT_LE(allocator_stats().bytes_reserved - reserved, 20 * MiB);
}

// A request larger than every segment so far (a new phase, e.g. evaluation at a larger
// batch) releases the wholly free segments; an ordinary miss releases nothing.
TEST_F(Allocator, ALargerPhaseReleasesFreeSegments) {
    char* first = alloc(64 * MiB);  // so that 4 and 6 MiB below are not the largest sizes so far
    free_bytes(first, 64 * MiB);
    empty_cache();
    char* a = alloc(4 * MiB);
    free_bytes(a, 4 * MiB);
    AllocatorStats before = allocator_stats();
    char* b = alloc(6 * MiB);  // no fit, but not the largest ever: a stays cached
    EXPECT_EQ(allocator_stats().system_frees, before.system_frees);
    EXPECT_EQ(allocator_stats().bytes_cached, 4 * MiB);
    free_bytes(b, 6 * MiB);
    before = allocator_stats();
    const std::size_t huge = 900 * MiB;  // more than any other test; pages never touched: address space only
    char* h = alloc(huge);
    const AllocatorStats after = allocator_stats();
    EXPECT_EQ(after.system_frees, before.system_frees + 2);
    EXPECT_EQ(after.bytes_cached, 0u);
    EXPECT_EQ(after.segments, segments0 + 1);
    EXPECT_EQ(after.bytes_reserved, before.bytes_reserved - 10 * MiB + huge);
    free_bytes(h, huge);
}

// The cache holds at most 1 GiB: freeing beyond it gives wholly free segments back.
TEST_F(Allocator, CachedBytesAreCapped) {
    const std::size_t n = 600 * MiB;  // untouched pages: address space only
    char* a = alloc(n);
    char* b = alloc(n);
    free_bytes(a, n);
    const AllocatorStats before = allocator_stats();
    free_bytes(b, n);
    const AllocatorStats after = allocator_stats();
    EXPECT_LE(after.bytes_cached, std::size_t{1} << 30);
    EXPECT_EQ(after.bytes_cached, n);
    EXPECT_EQ(after.system_frees, before.system_frees + 1);
    EXPECT_EQ(after.bytes_reserved, before.bytes_reserved - n);
}

TEST_F(Allocator, EmptyCacheKeepsOnlySegmentsInUse) {
    char* used = alloc(8 * MiB);
    free_bytes(used, 8 * MiB);
    used = alloc(2 * MiB);  // splits the 8 MiB segment: 6 MiB stay free in it
    char* spare = alloc(7 * MiB);  // does not fit in 6 MiB: a segment of its own
    free_bytes(spare, 7 * MiB);
    char* small = alloc(256);
    free_bytes(small, 256);
    EXPECT_EQ(allocator_stats().segments, segments0 + 2);
    const AllocatorStats before = allocator_stats();
    empty_cache();
    const AllocatorStats s = allocator_stats();
    EXPECT_EQ(s.bytes_cached, 6 * MiB);  // the free part of a segment in use cannot be unmapped
    EXPECT_EQ(s.segments, segments0 + 1);
    EXPECT_EQ(s.system_frees, before.system_frees + 2);
    EXPECT_EQ(s.bytes_reserved, before.bytes_reserved - 7 * MiB - 256);
    free_bytes(used, 2 * MiB);
    empty_cache();
    EXPECT_EQ(allocator_stats().bytes_cached, 0u);
    EXPECT_EQ(allocator_stats().segments, segments0);
}

// A loop of fixed shapes with large blocks of many sizes, nested lifetimes and a
// long-lived block appearing after the first iteration (as an optimizer's state does):
// after warm-up no iteration reaches the system.
TEST_F(Allocator, FixedPatternReachesASteadyState) {
    std::vector<std::pair<char*, std::size_t>> persistent;
    auto iteration = [&](int i) {
        std::vector<std::pair<char*, std::size_t>> live;
        const std::size_t sizes[] = {13 * MiB, 13 * MiB, 3 * MiB + 5, 7 * MiB, 2 * MiB, 25 * MiB / 2};
        for (std::size_t n : sizes) {
            live.emplace_back(alloc(n), n);
            if (live.size() == 3) {  // drop one in the middle, as a forward pass frees temporaries
                free_bytes(live[1].first, live[1].second);
                live.erase(live.begin() + 1);
            }
        }
        if (i == 0) persistent.emplace_back(alloc(3 * MiB / 2), 3 * MiB / 2);
        for (auto it = live.rbegin(); it != live.rend(); ++it) free_bytes(it->first, it->second);
    };
    for (int i = 0; i < 3; ++i) iteration(i);
    const AllocatorStats before = allocator_stats();
    for (int i = 3; i < 13; ++i) iteration(i);
    EXPECT_EQ(allocator_stats().system_allocations, before.system_allocations);
    EXPECT_GT(allocator_stats().cache_hits, before.cache_hits);
    for (auto [p, n] : persistent) free_bytes(p, n);
}

#else  // AddressSanitizer: no cache

TEST(Allocator, EveryRequestReachesTheSystem) {
    const AllocatorStats before = allocator_stats();
    for (std::size_t n : {std::size_t{1000}, 8 * MiB, std::size_t{1000}, 3 * MiB}) {
        char* p = alloc(n);
        EXPECT_TRUE(aligned64(p));
        std::memset(p, 0, n);
        free_bytes(p, n);
    }
    const AllocatorStats after = allocator_stats();
    EXPECT_EQ(after.system_allocations, before.system_allocations + 4);
    EXPECT_EQ(after.system_frees, before.system_frees + 4);
    EXPECT_EQ(after.cache_hits, 0u);
    EXPECT_EQ(after.bytes_cached, 0u);
}

#endif
