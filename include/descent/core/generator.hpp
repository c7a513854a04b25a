// Seeded random number generator with the same stream on every platform.
// Algorithm: xoshiro256** (Blackman & Vigna) seeded through splitmix64.
// Uniform float = top 24 bits * 2^-24; uniform double = top 53 bits * 2^-53;
// normal = Box–Muller on two uniform doubles (the second value is cached);
// integers in [0, n) by rejection, unbiased. No std::*_distribution is used,
// because their output differs between standard libraries.
#pragma once
#include <array>
#include <cstdint>

namespace descent {

/// A seeded random stream; pass one to the random factories, `DataLoader`, `Dropout`.
class Generator {
public:
    /// Full state, for checkpoints: restoring it continues the stream exactly.
    struct State {
        std::array<std::uint64_t, 4> s{};
        std::uint64_t seed = 0;
        bool has_cached_normal = false;
        double cached_normal = 0.0;
    };

    explicit Generator(std::uint64_t seed = 67280421310721ULL);

    /// Restarts the stream from `seed`.
    void manual_seed(std::uint64_t seed);
    std::uint64_t initial_seed() const { return state_.seed; }

    std::uint64_t next_u64();
    /// Uniform in [0, 1) with 24 random bits.
    float uniform_float();
    /// Uniform in [0, 1) with 53 random bits.
    double uniform_double();
    /// Standard normal (Box–Muller).
    double normal();
    /// Uniform integer in [0, n), n > 0, unbiased.
    std::uint64_t below(std::uint64_t n);

    State get_state() const { return state_; }
    void set_state(const State& state) { state_ = state; }

private:
    State state_;
};

/// The generator the factories use when none is given (like torch's default generator).
Generator& default_generator();
/// Re-seeds the default generator (like torch.manual_seed).
void manual_seed(std::uint64_t seed);

}  // namespace descent
