// binary_cross_entropy as one fused op with its reduction (float32 through the vector logs,
// one log per element for 0/1 labels): values and gradients against float64 formulas on sizes
// around the 64-element chunks, 0/1 labels on both sides of 0.5 (the one-log path and its
// fallback), soft labels, x ∈ {0, 1}, weights, every reduction, both dtypes; and equal to the
// composition mean(loss(reduction = none)) it replaces.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "descent/autograd/node.hpp"
#include "descent/descent.hpp"
#include "nn_test_util.hpp"

namespace descent {
namespace {
using nn::Reduction;
using nn_test::error_of;

double bce(double x, double y) {
    return -(y * std::max(std::log(x), -100.0) + (1 - y) * std::max(std::log1p(-x), -100.0));
}

// Confident: y = 1 exactly where x ≥ 0.5 (a trained classifier: the one-log path), but every
// 300th flipped (its chunk falls back to two logs).
enum class Labels { ZeroOne, Confident, Soft, Mixed };

// Inputs in [0, 1] (exact 0 and 1 included) and labels of the given kind.
std::pair<std::vector<double>, std::vector<double>> make_case(std::int64_t n, Labels labels, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> x(n), y(n);
    for (std::int64_t i = 0; i < n; ++i) {
        x[i] = i % 37 == 5 ? 0.0 : i % 41 == 7 ? 1.0 : u(gen);
        const double r = u(gen);
        y[i] = labels == Labels::ZeroOne     ? (r < 0.5 ? 0.0 : 1.0)
               : labels == Labels::Confident ? ((x[i] >= 0.5) != (i % 300 == 299) ? 1.0 : 0.0)
               : labels == Labels::Soft      ? r
                                             : (i % 3 == 0 ? r : (r < 0.5 ? 0.0 : 1.0));
    }
    return {x, y};
}

Tensor as(const std::vector<double>& v, DType dt, bool requires_grad = false) {
    Tensor t = Tensor::from(v).to(dt);
    if (requires_grad) t.requires_grad_(true);
    return t;
}

TEST(BCEFused, ValuesMatchTheFloat64FormulaForEverySizeLabelKindAndReduction) {
    for (DType dt : {kFloat32, kFloat64})
        for (Labels labels : {Labels::ZeroOne, Labels::Confident, Labels::Soft, Labels::Mixed})
            for (std::int64_t n : {1, 7, 63, 64, 65, 130, 1000, 1027}) {
                auto [xs, ys] = make_case(n, labels, static_cast<unsigned>(n));
                const Tensor x = as(xs, dt), y = as(ys, dt);
                // The truth from the inputs as stored (float32 rounds them).
                const std::vector<double> xr = x.to_vector<double>(), yr = y.to_vector<double>();
                std::vector<double> truth(n);
                double total = 0;
                for (std::int64_t i = 0; i < n; ++i) total += truth[i] = bce(xr[i], yr[i]);
                // float32: 1-ulp logs and a few roundings; float64: libm.
                const double rel = dt == kFloat32 ? 4e-7 : 1e-14;
                const std::vector<double> none = nn::BCELoss({.reduction = Reduction::None})(x, y).to_vector<double>();
                for (std::int64_t i = 0; i < n; ++i)
                    ASSERT_NEAR(none[i], truth[i], rel * std::abs(truth[i]) + 1e-300)
                        << "n " << n << " i " << i << " x " << xr[i] << " y " << yr[i];
                const double sum = nn::BCELoss({.reduction = Reduction::Sum})(x, y).item();
                const double mean = nn::BCELoss()(x, y).item();
                EXPECT_NEAR(sum, total, 2 * rel * std::abs(total) + 1e-12) << "n " << n;
                EXPECT_NEAR(mean, total / n, 2 * rel * std::abs(total / n) + 1e-12) << "n " << n;
            }
}

TEST(BCEFused, ReducedLossEqualsTheComposedMeanAndSum) {
    auto [xs, ys] = make_case(1000, Labels::Mixed, 11);
    const Tensor x = as(xs, kFloat32), y = as(ys, kFloat32);
    const Tensor none = nn::BCELoss({.reduction = Reduction::None})(x, y);
    // Both sum in double; the order of the additions differs, far below a float32 ulp.
    EXPECT_FLOAT_EQ(nn::BCELoss()(x, y).item(), mean(none).item());
    EXPECT_FLOAT_EQ(nn::BCELoss({.reduction = Reduction::Sum})(x, y).item(), sum(none).item());
}

TEST(BCEFused, GradientsMatchTheFormulaWithAndWithoutWeight) {
    for (DType dt : {kFloat32, kFloat64})
        for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
            for (bool weighted : {false, true}) {
                const std::int64_t n = 130;
                auto [xs, ys] = make_case(n, Labels::Mixed, 5);
                for (double& v : xs) v = std::min(std::max(v, 0.01), 0.99);  // away from the clamp
                std::vector<double> ws(n);
                for (std::int64_t i = 0; i < n; ++i) ws[i] = 0.5 + (i % 5) * 0.25;
                const Tensor x = as(xs, dt, true), y = as(ys, dt, true), w = weighted ? as(ws, dt) : Tensor();
                const Tensor loss = nn::F::binary_cross_entropy(x, y, {.weight = w, .reduction = r});
                if (r == Reduction::None)
                    loss.backward(Tensor::full_like(loss, 1.0));
                else
                    loss.backward();
                const std::vector<double> xr = x.to_vector<double>(), yr = y.to_vector<double>();
                const std::vector<double> gx = x.grad().to_vector<double>(), gy = y.grad().to_vector<double>();
                const double scale = r == Reduction::Mean ? 1.0 / n : 1.0;
                const double rel = dt == kFloat32 ? 1e-6 : 1e-13;
                for (std::int64_t i = 0; i < n; ++i) {
                    const double wi = weighted ? ws[i] : 1.0;
                    const double want_x = (xr[i] - yr[i]) / std::max(xr[i] * (1 - xr[i]), 1e-12) * wi * scale;
                    const double want_y =
                        (std::max(std::log1p(-xr[i]), -100.0) - std::max(std::log(xr[i]), -100.0)) * wi * scale;
                    ASSERT_NEAR(gx[i], want_x, rel * std::abs(want_x) + 1e-12) << "i " << i;
                    ASSERT_NEAR(gy[i], want_y, 4 * rel * std::abs(want_y) + 1e-12) << "i " << i;
                }
            }
}

TEST(BCEFused, GradientOfTheMeanEqualsTheComposedOne) {
    auto [xs, ys] = make_case(1000, Labels::Confident, 21);
    for (double& v : xs) v = std::min(std::max(v, 0.01), 0.99);
    const Tensor x1 = as(xs, kFloat32, true), x2 = as(xs, kFloat32, true), y = as(ys, kFloat32);
    nn::BCELoss()(x1, y).backward();
    mean(nn::BCELoss({.reduction = Reduction::None})(x2, y)).backward();
    const std::vector<float> g1 = x1.grad().to_vector<float>(), g2 = x2.grad().to_vector<float>();
    for (std::size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g1[i], g2[i], 4e-7 * std::abs(g2[i])) << i;
}

TEST(BCEFused, StridedOperandsAndTheOpsNode) {
    // A transposed input and target are read through copies; the node is PyTorch's.
    Tensor x = add(mul(Tensor::rand({7, 9}), 0.98), 0.01).transpose(0, 1);
    x.requires_grad_(true);
    const Tensor y = Tensor::rand({7, 9}).round().transpose(0, 1);
    const Tensor loss = nn::BCELoss()(x, y);
    EXPECT_EQ(loss.dim(), 0);
    EXPECT_EQ(loss.grad_fn()->name(), "BinaryCrossEntropyBackward0");
    EXPECT_NEAR(loss.item(), mean(nn::BCELoss({.reduction = Reduction::None})(x.contiguous(), y.contiguous())).item(),
                1e-6);
    loss.backward();
    EXPECT_EQ(x.grad().shape(), (Shape{9, 7}));
}

TEST(BCEFused, OutOfRangeInputInALaterChunkNamesItsIndex) {
    std::vector<float> xs(200, 0.5f);
    xs[150] = 1.5f;
    const std::string msg = error_of([&] { nn::BCELoss()(Tensor::from(xs), Tensor::zeros({200})); });
    EXPECT_NE(msg.find("got 1.5 at flat index 150"), std::string::npos) << msg;
}

TEST(BCEFused, EmptyInputGivesNaNMeanAndZeroSum) {
    const Tensor x = Tensor::zeros({0}), y = Tensor::zeros({0});
    EXPECT_TRUE(std::isnan(nn::BCELoss()(x, y).item()));  // 0/0, as torch
    EXPECT_EQ(nn::BCELoss({.reduction = Reduction::Sum})(x, y).item(), 0.0);
}

}  // namespace
}  // namespace descent
