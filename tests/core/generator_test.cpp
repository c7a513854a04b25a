// Generator: the exact stream of xoshiro256** seeded by splitmix64, the mappings
// to uniform/normal/integers, reproducibility and state save/restore.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "descent/descent.hpp"

using namespace descent;

// Expected values come from an independent Python implementation of the published
// algorithms (splitmix64 and xoshiro256**, https://prng.di.unimi.it/), run once:
//   state = seed; s[i] = splitmix64(state) for i in 0..3
//   next: r = rotl(s1 * 5, 7) * 9; t = s1 << 17; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)
// uniform_double = (next >> 11) * 2^-53, uniform_float = (next >> 40) * 2^-24,
// normal = Box–Muller on u1 = 1 - uniform_double, u2 = uniform_double (cos first, sin cached),
// below(n) = next % n after rejecting next >= 2^64 - 1 - ((2^64 - 1) % n).
TEST(Generator, FirstOutputsMatchTheReferenceAlgorithm) {
    Generator g0(0);
    EXPECT_EQ(g0.next_u64(), 0x99ec5f36cb75f2b4ULL);
    EXPECT_EQ(g0.next_u64(), 0xbf6e1f784956452aULL);
    EXPECT_EQ(g0.next_u64(), 0x1a5f849d4933e6e0ULL);
    EXPECT_EQ(g0.next_u64(), 0x6aa594f1262d2d2cULL);
    Generator g42(42);
    EXPECT_EQ(g42.next_u64(), 0x15780b2e0c2ec716ULL);
    EXPECT_EQ(g42.next_u64(), 0x6104d9866d113a7eULL);
    EXPECT_EQ(g42.next_u64(), 0xae17533239e499a1ULL);
    EXPECT_EQ(g42.next_u64(), 0xecb8ad4703b360a1ULL);
}

TEST(Generator, UniformMappingsAreExact) {
    Generator g(42);
    EXPECT_EQ(g.uniform_double(), 0.08386297105988216);
    EXPECT_EQ(g.uniform_double(), 0.3789802506626686);
    EXPECT_EQ(g.uniform_double(), 0.6800434110281394);
    Generator f(42);
    EXPECT_EQ(f.uniform_float(), 0.08386296033859253f);
    EXPECT_EQ(f.uniform_float(), 0.37898021936416626f);
    EXPECT_EQ(f.uniform_float(), 0.6800433993339539f);
}

TEST(Generator, NormalIsBoxMullerOnTheStream) {
    Generator g(42);
    // log/cos/sin may differ in the last bit between libms: 1e-15.
    EXPECT_NEAR(g.normal(), -0.303263064678738, 1e-15);
    EXPECT_NEAR(g.normal(), 0.28846173882942383, 1e-15);  // the cached second value
}

TEST(Generator, BelowIsUniformAndUnbiased) {
    Generator g(42);
    const std::vector<std::uint64_t> expected = {2, 2, 9, 3, 6, 4};
    for (auto e : expected) EXPECT_EQ(g.below(10), e);
    Generator h(1);
    std::vector<int> counts(3, 0);
    for (int i = 0; i < 30000; ++i) ++counts[h.below(3)];
    // 10000 expected per bin; 5 standard deviations is about 410.
    for (int c : counts) EXPECT_NEAR(c, 10000, 410);
}

TEST(Generator, SameSeedSameStreamAndManualSeedRestarts) {
    Generator a(123), b(123), c(124);
    for (int i = 0; i < 100; ++i) {
        const auto x = a.next_u64();
        EXPECT_EQ(x, b.next_u64());
        EXPECT_NE(x, c.next_u64());
    }
    a.manual_seed(123);
    Generator fresh(123);
    EXPECT_EQ(a.next_u64(), fresh.next_u64());
    EXPECT_EQ(a.initial_seed(), 123u);
}

TEST(Generator, GetStateSetStateResumesTheStreamIncludingTheCachedNormal) {
    Generator g(9);
    g.normal();  // leaves the second Box–Muller value cached
    const Generator::State saved = g.get_state();
    const double n1 = g.normal(), n2 = g.normal();
    const auto u = g.next_u64();
    g.set_state(saved);
    EXPECT_EQ(g.normal(), n1);
    EXPECT_EQ(g.normal(), n2);
    EXPECT_EQ(g.next_u64(), u);
}

TEST(Generator, RandomFactoriesAreReproducibleAndUseTheGivenGenerator) {
    Generator a(5), b(5);
    const Tensor x = Tensor::rand({3, 4}, {.generator = &a});
    const Tensor y = Tensor::rand({3, 4}, {.generator = &b});
    EXPECT_EQ(x.to_vector<float>(), y.to_vector<float>());
    // rand float32 draws uniform_float in row-major order.
    Generator c(5);
    for (float v : x.to_vector<float>()) EXPECT_EQ(v, c.uniform_float());
    // randn float64 draws normal().
    Generator d(6), e(6);
    for (double v : Tensor::randn({5}, {.dtype = kFloat64, .generator = &d}).to_vector<double>())
        EXPECT_EQ(v, e.normal());
    // The default generator follows manual_seed.
    manual_seed(77);
    const auto r1 = Tensor::randn({4}).to_vector<float>();
    manual_seed(77);
    EXPECT_EQ(Tensor::randn({4}).to_vector<float>(), r1);
}

TEST(Generator, RandomFactoriesHaveTheRightRanges) {
    Generator g(11);
    const auto u = Tensor::rand({1000}, {.dtype = kFloat64, .generator = &g}).to_vector<double>();
    for (double v : u) EXPECT_TRUE(v >= 0.0 && v < 1.0);
    const auto ints = Tensor::randint(-3, 4, {1000}, {.generator = &g}).to_vector<std::int64_t>();
    std::set<std::int64_t> seen(ints.begin(), ints.end());
    EXPECT_EQ(seen, (std::set<std::int64_t>{-3, -2, -1, 0, 1, 2, 3}));
    const Tensor bern = Tensor::bernoulli({2000}, 0.25, {.generator = &g});
    EXPECT_NEAR(sum(bern).item() / 2000.0, 0.25, 0.05);  // se 0.01
    const Tensor p = Tensor::from({0.f, 1.f, 0.f, 1.f});
    EXPECT_EQ(Tensor::bernoulli(p, &g).to_vector<float>(), (std::vector<float>{0, 1, 0, 1}));
    // Normal: mean 0, std 1 within sampling error (n = 20000: se of mean 0.007).
    const Tensor n = Tensor::randn({20000}, {.dtype = kFloat64, .generator = &g});
    EXPECT_NEAR(mean(n).item(), 0.0, 0.035);
    EXPECT_NEAR(descent::std(n).item(), 1.0, 0.035);
}
