// kernels::vexp / vlog / vlog1p (SLEEF's vector functions where the CPU has AVX2) against the
// scalar libm and the float64 truth: every length up to 40 (each tail of the 8-lane loop) and a
// long one, in place and out of place, special values, and no write past n.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/vmath.hpp"

namespace dk = descent::kernels;

namespace {

using VFn = void (*)(const float*, float*, std::int64_t);

// Distance in float32 ulps (0 for equal values and for two NaNs).
std::int64_t ulps(float a, float b) {
    if (std::isnan(a) && std::isnan(b)) return 0;
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<std::int64_t>::max();
    if (a == b) return 0;
    std::int32_t ia, ib;
    std::memcpy(&ia, &a, 4);
    std::memcpy(&ib, &b, 4);
    const std::int64_t la = ia < 0 ? std::int64_t{INT32_MIN} - ia : ia;
    const std::int64_t lb = ib < 0 ? std::int64_t{INT32_MIN} - ib : ib;
    return std::llabs(la - lb);
}

struct Case {
    const char* name;
    VFn fast, reference;
    double (*truth)(double);
    float lo, hi;  // the random inputs' range
};

const Case kCases[] = {
    {"exp", dk::vexp, dk::vexp_reference, [](double v) { return std::exp(v); }, -90.f, 90.f},
    {"log", dk::vlog, dk::vlog_reference, [](double v) { return std::log(v); }, 0.f, 50.f},
    {"log1p", dk::vlog1p, dk::vlog1p_reference, [](double v) { return std::log1p(v); }, -1.f, 3.f},
};

TEST(VMath, EveryLengthMatchesTheTruthWithinOneUlpAndWritesNothingPastN) {
    std::mt19937 gen(7);
    for (const Case& c : kCases) {
        std::uniform_real_distribution<float> dist(c.lo, c.hi);
        for (std::int64_t n : {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 23, 31, 33, 40, 1003}) {
            std::vector<float> x(n), y(n + 8, -7.f), r(n);
            for (float& v : x) v = dist(gen);
            c.fast(x.data(), y.data(), n);
            c.reference(x.data(), r.data(), n);
            for (std::int64_t i = 0; i < n; ++i) {
                const float truth = static_cast<float>(c.truth(x[i]));
                EXPECT_LE(ulps(y[i], truth), 1) << c.name << " n " << n << " x " << x[i];
                EXPECT_LE(ulps(y[i], r[i]), 2) << c.name << " n " << n << " x " << x[i];
            }
            for (std::int64_t i = n; i < n + 8; ++i) EXPECT_EQ(y[i], -7.f) << c.name << " wrote past n = " << n;
        }
    }
}

TEST(VMath, InPlaceEqualsOutOfPlace) {
    std::mt19937 gen(3);
    for (const Case& c : kCases) {
        std::uniform_real_distribution<float> dist(c.lo, c.hi);
        std::vector<float> x(37), y(37);
        for (float& v : x) v = dist(gen);
        c.fast(x.data(), y.data(), 37);
        c.fast(x.data(), x.data(), 37);
        for (int i = 0; i < 37; ++i) EXPECT_EQ(x[i], y[i]) << c.name;
    }
}

TEST(VMath, SpecialValuesAsLibm) {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const float denormal = std::numeric_limits<float>::denorm_min();
    const std::vector<float> x = {0.f, -0.f, 1.f, -1.f, inf, -inf, nan, 100.f, -100.f, denormal, -2.f, 88.7f, -104.f};
    for (const Case& c : kCases) {
        std::vector<float> y(x.size()), r(x.size());
        c.fast(x.data(), y.data(), static_cast<std::int64_t>(x.size()));
        c.reference(x.data(), r.data(), static_cast<std::int64_t>(x.size()));
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (std::isinf(r[i]) || r[i] == 0.f || std::isnan(r[i]))
                EXPECT_TRUE(y[i] == r[i] || (std::isnan(y[i]) && std::isnan(r[i])))
                    << c.name << "(" << x[i] << ") = " << y[i] << ", libm " << r[i];
            else
                EXPECT_LE(ulps(y[i], r[i]), 2) << c.name << "(" << x[i] << ")";
        }
    }
}

}  // namespace
