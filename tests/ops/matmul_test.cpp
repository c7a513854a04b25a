// matmul in every form torch.matmul accepts (vector, matrix, batched, broadcast
// batch dims, transposed operands) against a naive triple loop written here.
#include <gtest/gtest.h>

#include "descent/descent.hpp"

using namespace descent;

namespace {
Tensor seq(const Shape& shape, double scale = 0.1) {
    const std::int64_t n = shape_numel(shape);
    std::vector<double> v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v[i] = scale * static_cast<double>((i * 7) % 11) - 0.5;
    return Tensor::from(v, {n}).reshape(shape);
}

// Naive [M, K] · [K, N] on contiguous float64 copies.
std::vector<double> naive(const Tensor& a, const Tensor& b) {
    const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
    const std::int64_t M = a.size(0), K = a.size(1), N = b.size(1);
    std::vector<double> c(static_cast<std::size_t>(M * N), 0.0);
    for (std::int64_t i = 0; i < M; ++i)
        for (std::int64_t k = 0; k < K; ++k)
            for (std::int64_t j = 0; j < N; ++j) c[i * N + j] += va[i * K + k] * vb[k * N + j];
    return c;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;  // float64 sums of ≤ 8 terms
}
}  // namespace

TEST(Matmul, MatrixVectorAndDot) {
    const Tensor a = seq({3, 4}), b = seq({4, 2}, 0.2), v = seq({4}, 0.3), w = seq({3}, 0.05);
    EXPECT_EQ(matmul(a, b).shape(), (Shape{3, 2}));
    expect_near(matmul(a, b).to_vector<double>(), naive(a, b));
    EXPECT_EQ(matmul(a, v).shape(), (Shape{3}));
    expect_near(matmul(a, v).to_vector<double>(), naive(a, v.reshape({4, 1})));
    EXPECT_EQ(matmul(w, a).shape(), (Shape{4}));
    expect_near(matmul(w, a).to_vector<double>(), naive(w.reshape({1, 3}), a));
    EXPECT_EQ(matmul(v, v).dim(), 0);
    expect_near({matmul(v, v).item()}, naive(v.reshape({1, 4}), v.reshape({4, 1})));
    expect_near(mm(a, b).to_vector<double>(), naive(a, b));
    expect_near(a.matmul(b).to_vector<double>(), naive(a, b));
}

TEST(Matmul, TransposedOperandsAreReadCorrectly) {
    const Tensor a = seq({4, 3}), b = seq({2, 4}, 0.2);
    const Tensor at = a.t(), bt = b.t();  // [3, 4], [4, 2], both non-contiguous
    expect_near(matmul(at, bt).to_vector<double>(), naive(at.contiguous(), bt.contiguous()));
    const Tensor sliced = seq({3, 8}).slice(1, 0, std::nullopt, 2);  // [3, 4] with column stride 2
    expect_near(matmul(sliced, bt).to_vector<double>(), naive(sliced.contiguous(), bt.contiguous()));
}

TEST(Matmul, BatchedAndBroadcast) {
    const Tensor a = seq({2, 3, 4}), b = seq({2, 4, 5}, 0.2);
    const Tensor c = matmul(a, b);
    EXPECT_EQ(c.shape(), (Shape{2, 3, 5}));
    for (std::int64_t i = 0; i < 2; ++i) expect_near(c.select(0, i).to_vector<double>(), naive(a.select(0, i), b.select(0, i)));
    // Broadcast batch dims: [2, 1, 3, 4] · [3, 4, 2] → [2, 3, 3, 2].
    const Tensor x = seq({2, 1, 3, 4}), y = seq({3, 4, 2}, 0.2);
    const Tensor z = matmul(x, y);
    EXPECT_EQ(z.shape(), (Shape{2, 3, 3, 2}));
    for (std::int64_t i = 0; i < 2; ++i)
        for (std::int64_t j = 0; j < 3; ++j)
            expect_near(z.select(0, i).select(0, j).to_vector<double>(), naive(x.select(0, i).select(0, 0), y.select(0, j)));
    // A matrix times a batch, and vectors against batches.
    EXPECT_EQ(matmul(seq({3, 4}), b).shape(), (Shape{2, 3, 5}));
    expect_near(matmul(seq({3, 4}), b).select(0, 1).to_vector<double>(), naive(seq({3, 4}), b.select(0, 1)));
    EXPECT_EQ(matmul(seq({4}), b).shape(), (Shape{2, 5}));
    EXPECT_EQ(matmul(a, seq({4})).shape(), (Shape{2, 3}));
    // Empty inner dim: zeros, as torch.
    EXPECT_EQ(matmul(Tensor::ones({2, 0}), Tensor::ones({0, 3})).to_vector<float>(), std::vector<float>(6, 0.f));
}

TEST(Matmul, GradientsOfBatchedBroadcastProduct) {
    Tensor x = seq({2, 1, 3, 4}).detach().requires_grad_();
    Tensor y = seq({3, 4, 2}, 0.2).detach().requires_grad_();
    sum(matmul(x, y)).backward();
    // d/dx Σ x·y = Σ over the broadcast batch of 1·yᵀ; checked against composing by hand.
    const Tensor gx = sum(matmul(Tensor::ones({2, 3, 3, 2}, {.dtype = kFloat64}), y.detach().transpose(-1, -2)), {1}, true);
    EXPECT_TRUE(allclose(x.grad(), gx, 1e-12, 1e-12));
    const Tensor gy = sum(matmul(x.detach().transpose(-1, -2), Tensor::ones({2, 3, 3, 2}, {.dtype = kFloat64})), {0});
    EXPECT_TRUE(allclose(y.grad(), gy, 1e-12, 1e-12));
}

TEST(Matmul, LinearIsXTimesWeightTransposedPlusBias) {
    const Tensor x = seq({2, 5, 3}), w = seq({4, 3}, 0.2), b = seq({4}, 0.3);
    const Tensor y = linear(x, w, b);
    EXPECT_EQ(y.shape(), (Shape{2, 5, 4}));
    EXPECT_TRUE(allclose(y, matmul(x, w.t()) + b, 1e-12, 1e-12));
    EXPECT_TRUE(allclose(linear(x, w), matmul(x, w.t()), 1e-12, 1e-12));
}
