// Tensor basics: factories, views sharing storage, dtype promotion, errors.
#include <gtest/gtest.h>

#include "descent/descent.hpp"

using namespace descent;

TEST(Tensor, FactoriesHaveShapeAndDtype) {
    Tensor z = Tensor::zeros({2, 3});
    EXPECT_EQ(z.shape(), (Shape{2, 3}));
    EXPECT_EQ(z.dtype(), kFloat32);
    EXPECT_EQ(z.numel(), 6);
    EXPECT_EQ(Tensor::arange(5).dtype(), kInt64);
    EXPECT_EQ(Tensor::arange(5).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
    Tensor f = Tensor::from({{1.f, 2.f}, {3.f, 4.f}});
    EXPECT_EQ(f.shape(), (Shape{2, 2}));
    EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
}

TEST(Tensor, TransposeIsAViewSharingStorage) {
    Tensor a = Tensor::arange(0, 6, 1, {.dtype = kFloat32}).reshape({2, 3});
    Tensor t = a.t();
    EXPECT_FALSE(t.is_contiguous());
    EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
    {
        NoGradGuard guard;
        t.select(0, 0).fill_(9);
    }
    EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{9, 1, 2, 9, 4, 5}));
}

TEST(Tensor, BroadcastAddAndBackward) {
    Tensor a = Tensor::ones({2, 3}, {.requires_grad = true});
    Tensor b = Tensor::from({1.f, 2.f, 3.f}, {}, {.requires_grad = true});
    Tensor y = (a * b + a).sum();
    y.backward();
    EXPECT_DOUBLE_EQ(y.item(), 18.0);
    EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{2, 3, 4, 2, 3, 4}));
    EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{2, 2, 2}));
}

TEST(Tensor, MatmulShapeErrorNamesBothShapes) {
    try {
        matmul(Tensor::zeros({3, 4}), Tensor::zeros({5, 2}));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "matmul: cannot multiply [3, 4] by [5, 2]");
    }
}
