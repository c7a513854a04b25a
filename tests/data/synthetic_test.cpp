// The synthetic 2-D sets: shapes and dtypes, the labelling rule of each set,
// determinism by seed, and noise that moves points without relabelling them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "descent/data/synthetic.hpp"

namespace {
using descent::Tensor;
namespace data = descent::data;

void check_shapes(const data::Points2D& p, std::int64_t n, std::int64_t classes) {
    EXPECT_EQ(p.inputs.shape(), (descent::Shape{n, 2}));
    EXPECT_EQ(p.inputs.dtype(), descent::kFloat32);
    EXPECT_EQ(p.labels.shape(), (descent::Shape{n}));
    EXPECT_EQ(p.labels.dtype(), descent::kInt64);
    EXPECT_EQ(p.num_classes, classes);
    std::map<std::int64_t, int> counts;
    for (auto l : p.labels.to_vector<std::int64_t>()) {
        ASSERT_GE(l, 0);
        ASSERT_LT(l, classes);
        counts[l]++;
    }
    EXPECT_EQ(static_cast<std::int64_t>(counts.size()), classes) << "every class is present";
}

TEST(Synthetic, LinearSplitFollowsTheBookRule) {
    const auto p = data::make_linear(500, {.seed = 3});
    check_shapes(p, 500, 2);
    const auto x = p.inputs.to_vector<float>();
    const auto y = p.labels.to_vector<std::int64_t>();
    double mean = 0.0, var = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        EXPECT_EQ(y[i], x[2 * i] + x[2 * i + 1] > 0.f ? 1 : 0);
        mean += x[2 * i];
        var += x[2 * i] * x[2 * i];
    }
    mean /= 500, var = var / 500 - mean * mean;
    EXPECT_NEAR(mean, 0.0, 0.15);  // N(0, 1): 5 standard errors
    EXPECT_NEAR(var, 1.0, 0.2);
    // binary targets for BCELoss: float [n, 1] of 0/1 matching the labels
    const Tensor t = p.binary_targets();
    EXPECT_EQ(t.shape(), (descent::Shape{500, 1}));
    EXPECT_EQ(t.dtype(), descent::kFloat32);
    EXPECT_EQ(t.to_vector<std::int64_t>(), y);
    EXPECT_EQ(p.binary_dataset().size(), 500);
    EXPECT_EQ(p.dataset().get(0).target.dim(), 0);
}

TEST(Synthetic, XorQuadrants) {
    const auto p = data::make_xor(300, {.seed = 1});
    check_shapes(p, 300, 2);
    const auto x = p.inputs.to_vector<float>();
    const auto y = p.labels.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < y.size(); ++i) {
        EXPECT_LE(std::abs(x[2 * i]), 1.f);
        EXPECT_EQ(y[i], (x[2 * i] > 0.f) != (x[2 * i + 1] > 0.f) ? 1 : 0);
    }
}

TEST(Synthetic, MoonsAndCirclesGeometry) {
    const auto moons = data::make_moons(101);
    check_shapes(moons, 101, 2);
    const auto mx = moons.inputs.to_vector<float>();
    const auto my = moons.labels.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < my.size(); ++i) {
        // label 0 on the unit circle around (0, 0), label 1 around (1, 0.5)
        const double cx = my[i] == 0 ? 0.0 : 1.0, cy = my[i] == 0 ? 0.0 : 0.5;
        EXPECT_NEAR(std::hypot(mx[2 * i] - cx, mx[2 * i + 1] - cy), 1.0, 1e-6);
    }
    const auto circles = data::make_circles(100, 0.3);
    check_shapes(circles, 100, 2);
    const auto cx = circles.inputs.to_vector<float>();
    const auto cy = circles.labels.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < cy.size(); ++i)
        EXPECT_NEAR(std::hypot(cx[2 * i], cx[2 * i + 1]), cy[i] == 0 ? 1.0 : 0.3, 1e-6);
    EXPECT_THROW(data::make_circles(10, 1.5), descent::Error);
}

TEST(Synthetic, SpiralsAndBlobsHaveOneClassPerArmOrCenter) {
    const auto spirals = data::make_spirals(301, 3, {.noise = 0.01, .seed = 2});
    check_shapes(spirals, 301, 3);
    const auto blobs = data::make_blobs(240, 4, 0.2, {.seed = 5});
    check_shapes(blobs, 240, 4);
    // Each blob's mean sits near its centre on the circle of radius 3.
    const auto x = blobs.inputs.to_vector<float>();
    const auto y = blobs.labels.to_vector<std::int64_t>();
    std::vector<double> sx(4), sy(4), n(4);
    for (std::size_t i = 0; i < y.size(); ++i) sx[y[i]] += x[2 * i], sy[y[i]] += x[2 * i + 1], n[y[i]] += 1;
    for (int c = 0; c < 4; ++c) {
        EXPECT_EQ(n[c], 60);
        EXPECT_NEAR(sx[c] / n[c], 3.0 * std::cos(2 * M_PI * c / 4), 0.15);
        EXPECT_NEAR(sy[c] / n[c], 3.0 * std::sin(2 * M_PI * c / 4), 0.15);
    }
    EXPECT_THROW(spirals.binary_targets(), descent::Error);  // three classes
    EXPECT_THROW(data::make_spirals(10, 0), descent::Error);
}

TEST(Synthetic, SeededAndNoiseOnlyMovesPoints) {
    const auto a = data::make_moons(64, {.noise = 0.0, .seed = 11});
    const auto b = data::make_moons(64, {.noise = 0.0, .seed = 11});
    const auto c = data::make_moons(64, {.noise = 0.2, .seed = 11});
    const auto d = data::make_moons(64, {.noise = 0.0, .seed = 12});
    EXPECT_EQ(a.inputs.to_vector<float>(), b.inputs.to_vector<float>());
    EXPECT_EQ(a.labels.to_vector<std::int64_t>(), c.labels.to_vector<std::int64_t>());  // same points, same order
    EXPECT_NE(a.inputs.to_vector<float>(), c.inputs.to_vector<float>());
    EXPECT_NE(a.labels.to_vector<std::int64_t>(), d.labels.to_vector<std::int64_t>());  // another shuffle
    // Noise of 0.2 moves points by about 0.2 per coordinate.
    const auto xa = a.inputs.to_vector<float>(), xc = c.inputs.to_vector<float>();
    double sq = 0.0;
    for (std::size_t i = 0; i < xa.size(); ++i) sq += (xa[i] - xc[i]) * (xa[i] - xc[i]);
    EXPECT_NEAR(std::sqrt(sq / xa.size()), 0.2, 0.06);
    EXPECT_THROW(data::make_linear(0), descent::Error);
    EXPECT_THROW(data::make_xor(10, {.noise = -1}), descent::Error);
}

}  // namespace
