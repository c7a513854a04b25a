// xoshiro256** with splitmix64 seeding; see the header for the exact mappings.
#include "descent/core/generator.hpp"

#include <cmath>

#include "descent/core/error.hpp"

namespace descent {
namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Generator::Generator(std::uint64_t seed) { manual_seed(seed); }

void Generator::manual_seed(std::uint64_t seed) {
    state_ = State{};
    state_.seed = seed;
    std::uint64_t x = seed;
    for (auto& word : state_.s) word = splitmix64(x);
}

std::uint64_t Generator::next_u64() {
    auto& s = state_.s;
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float Generator::uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

double Generator::uniform_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Generator::normal() {
    if (state_.has_cached_normal) {
        state_.has_cached_normal = false;
        return state_.cached_normal;
    }
    // 1 - u lies in (0, 1], so the log is finite.
    const double u1 = 1.0 - uniform_double();
    const double u2 = uniform_double();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * 3.14159265358979323846 * u2;
    state_.cached_normal = radius * std::sin(angle);
    state_.has_cached_normal = true;
    return radius * std::cos(angle);
}

std::uint64_t Generator::below(std::uint64_t n) {
    DESCENT_CHECK(n > 0, "Generator::below: n must be positive");
    // Reject the top partial bucket so every residue is equally likely.
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t x;
    do x = next_u64();
    while (x >= limit);
    return x % n;
}

Generator& default_generator() {
    static Generator generator;
    return generator;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace descent
