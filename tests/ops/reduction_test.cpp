// Reductions over all elements and over dims (keepdim or not), max/min with
// indices, and the numerical stability of softmax, log_softmax and logsumexp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "descent/descent.hpp"

using namespace descent;

namespace {
// [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], [[12, ...], ...]]: x[i][j][k] = 12i + 4j + k.
Tensor iota234() { return Tensor::arange(0, 24, 1, {.dtype = kFloat64}).reshape({2, 3, 4}); }
double at(std::int64_t i, std::int64_t j, std::int64_t k) { return static_cast<double>(12 * i + 4 * j + k); }
}  // namespace

TEST(Reduction, SumOverDimsWithAndWithoutKeepdim) {
    const Tensor x = iota234();
    EXPECT_EQ(sum(x).dim(), 0);
    EXPECT_EQ(sum(x).item(), 276.0);  // 0 + ... + 23
    const Tensor s1 = sum(x, {1});
    EXPECT_EQ(s1.shape(), (Shape{2, 4}));
    for (std::int64_t i = 0; i < 2; ++i)
        for (std::int64_t k = 0; k < 4; ++k)
            EXPECT_EQ(s1.select(0, i).select(0, k).item(), at(i, 0, k) + at(i, 1, k) + at(i, 2, k));
    EXPECT_EQ(sum(x, {1}, true).shape(), (Shape{2, 1, 4}));
    EXPECT_EQ(sum(x, {0, 2}).shape(), (Shape{3}));
    EXPECT_EQ(sum(x, {-1, 0}, true).shape(), (Shape{1, 3, 1}));
    EXPECT_EQ(sum(x, {0, 2}).to_vector<double>(), (std::vector<double>{60, 92, 124}));
    // The same reduction on a transposed (non-contiguous) view.
    EXPECT_EQ(sum(x.transpose(0, 2), {2, 0}).to_vector<double>(), (std::vector<double>{60, 92, 124}));
    EXPECT_EQ(sum(Tensor::zeros({0, 3})).item(), 0.0);
    EXPECT_EQ(sum(Tensor::zeros({0, 3}), {0}).to_vector<float>(), (std::vector<float>{0, 0, 0}));
    EXPECT_EQ(x.sum({2}, true).shape(), (Shape{2, 3, 1}));
}

TEST(Reduction, MeanVarStd) {
    const Tensor x = Tensor::from({1.0, 5.0, 3.0, 4.0, 2.0, 6.0}, {2, 3});
    EXPECT_DOUBLE_EQ(mean(x).item(), 3.5);
    EXPECT_EQ(mean(x, {1}).to_vector<double>(), (std::vector<double>{3, 4}));
    EXPECT_EQ(mean(x, {0}, true).shape(), (Shape{1, 3}));
    // torch.var(x, 1) = [4, 4]; torch.std(x, 0, unbiased=False) = [1.5, 1.5, 1.5]
    EXPECT_EQ(var(x, {1}).to_vector<double>(), (std::vector<double>{4, 4}));
    EXPECT_EQ(descent::std(x, {0}, 0).to_vector<double>(), (std::vector<double>{1.5, 1.5, 1.5}));
    EXPECT_DOUBLE_EQ(var(x).item(), 3.5);  // Σ(x - 3.5)² / 5 = 17.5 / 5
    EXPECT_DOUBLE_EQ(var(x, 0).item(), 17.5 / 6);
    EXPECT_DOUBLE_EQ(descent::std(x).item(), std::sqrt(3.5));
    EXPECT_EQ(var(x, {1}, 1, true).shape(), (Shape{2, 1}));
    // One element with correction 1: nan, as PyTorch (no error).
    EXPECT_TRUE(std::isnan(var(Tensor::from({1.0})).item()));
}

TEST(Reduction, MaxMinWithIndices) {
    const Tensor x = Tensor::from({1.f, 3.f, 3.f, 7.f, -2.f, 0.f}, {2, 3});
    EXPECT_EQ(max(x).item(), 7.0);
    EXPECT_EQ(min(x).item(), -2.0);
    const auto [values, indices] = max(x, 1);
    EXPECT_EQ(values.to_vector<float>(), (std::vector<float>{3, 7}));
    EXPECT_EQ(indices.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0}));  // first of ties, as torch
    EXPECT_EQ(indices.dtype(), kInt64);
    EXPECT_EQ(max(x, 0, true).values.shape(), (Shape{1, 3}));
    EXPECT_EQ(min(x, -1).indices.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1}));
    EXPECT_EQ(argmax(x).item(), 3.0);
    EXPECT_EQ(argmin(x).item(), 4.0);
    EXPECT_EQ(argmax(x, 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 0}));
    EXPECT_EQ(argmin(x, 1, true).shape(), (Shape{2, 1}));
    EXPECT_EQ(x.argmax().item(), 3.0);
    // NaN is the largest and the smallest, as in PyTorch.
    const Tensor n = Tensor::from({1.f, std::nanf(""), 2.f});
    EXPECT_TRUE(std::isnan(max(n).item()));
    EXPECT_TRUE(std::isnan(min(n).item()));
    EXPECT_EQ(argmax(n).item(), 1.0);
    // Integer tensors.
    EXPECT_EQ(max(Tensor::from({4, 9, 2})).item<std::int64_t>(), 9);
}

TEST(Reduction, MaxGradientSplitsTiesEvenlyOverAllButPicksOneAlongADim) {
    Tensor x = Tensor::from({1.0, 3.0, 3.0}, {}, {.requires_grad = true});
    max(x).backward();
    EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0.5, 0.5}));  // as torch.max()
    Tensor y = Tensor::from({1.0, 3.0, 3.0}, {1, 3}, {.requires_grad = true});
    sum(max(y, 1).values).backward();
    EXPECT_EQ(y.grad().to_vector<double>(), (std::vector<double>{0, 1, 0}));  // the returned index
}

TEST(Reduction, SoftmaxIsStableOnHugeInputs) {
    // torch.softmax(tensor([1000., 1001., 1002.]), 0) = [0.0900, 0.2447, 0.6652]
    const Tensor big = Tensor::from({1000.f, 1001.f, 1002.f});
    const double z = 1 + std::exp(1.0) + std::exp(2.0);
    const auto s = softmax(big, 0).to_vector<float>();
    EXPECT_NEAR(s[0], 1 / z, 1e-6);  // float32 rounding
    EXPECT_NEAR(s[2], std::exp(2.0) / z, 1e-6);
    const auto ls = log_softmax(big, 0).to_vector<float>();
    EXPECT_NEAR(ls[0], -std::log(z), 1e-5);
    EXPECT_NEAR(ls[2], 2 - std::log(z), 1e-5);
    const auto small = softmax(Tensor::from({-1000.f, -1001.f, -1002.f}), 0).to_vector<float>();
    EXPECT_NEAR(small[0], std::exp(2.0) / z, 1e-6);
    // Extreme float64 range: nothing overflows.
    const Tensor huge = Tensor::from({1e300, -1e300, 0.0});
    EXPECT_EQ(softmax(huge, 0).to_vector<double>(), (std::vector<double>{1, 0, 0}));
    EXPECT_EQ(log_softmax(huge, 0).to_vector<double>()[0], 0.0);
    EXPECT_NEAR(logsumexp(Tensor::from({1000.f, 1000.f}), {0}).item(), 1000 + std::log(2.0), 1e-3);
    EXPECT_EQ(logsumexp(Tensor::from({-INFINITY, -INFINITY}), {0}).item(), -INFINITY);  // as torch
    const auto lp = log_softmax(Tensor::from({-INFINITY, 0.f}), 0).to_vector<float>();
    EXPECT_EQ(lp[0], -INFINITY);
    EXPECT_EQ(lp[1], 0.f);
}

TEST(Reduction, SoftmaxAlongEachDimSumsToOne) {
    Generator g(3);
    const Tensor x = Tensor::randn({2, 3, 4}, {.dtype = kFloat64, .generator = &g}) * 10.0;
    for (std::int64_t d = -3; d < 3; ++d) {
        const Tensor s = softmax(x, d);
        EXPECT_TRUE(allclose(sum(s, {d}), Tensor::ones_like(sum(s, {d})), 1e-12, 1e-12)) << d;
        EXPECT_TRUE(allclose(log_softmax(x, d), log(s), 1e-10, 1e-10)) << d;
        EXPECT_TRUE(allclose(log_softmax(x, d), x - logsumexp(x, {d}, true), 1e-12, 1e-12)) << d;
    }
    EXPECT_EQ(softmax(Tensor::scalar(5.0), 0).item(), 1.0);
}

TEST(Reduction, SumToUndoesBroadcasting) {
    const Tensor g = Tensor::ones({4, 2, 3});
    EXPECT_EQ(sum_to(g, {2, 1}).shape(), (Shape{2, 1}));
    EXPECT_EQ(sum_to(g, {2, 1}).to_vector<float>(), (std::vector<float>{12, 12}));
    EXPECT_EQ(sum_to(g, {3}).to_vector<float>(), (std::vector<float>{8, 8, 8}));
    EXPECT_EQ(sum_to(g, {}).item(), 24.0);
    EXPECT_THROW(sum_to(g, {5}), Error);
}
