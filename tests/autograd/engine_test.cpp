// The backward engine: deep graphs, graph freeing, version checks, grad mode.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/descent.hpp"

using namespace descent;

TEST(Engine, ChainOf100000OpsBacksThroughWithoutRecursion) {
    Tensor x = Tensor::scalar(1.0, {.dtype = kFloat64, .requires_grad = true});
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = y * 1.0000001;
    y.backward();
    EXPECT_NEAR(x.grad().item(), std::pow(1.0000001, 100000), 1e-9);
}

TEST(Engine, UnusedDeepGraphIsFreedWithoutRecursion) {
    Tensor x = Tensor::scalar(1.0, {.requires_grad = true});
    {
        Tensor y = x;
        for (int i = 0; i < 200000; ++i) y = y + 1.0;
    }  // destroying the chain must not overflow the stack
    EXPECT_FALSE(x.grad().defined());
}

TEST(Engine, SecondBackwardIsAnErrorUnlessRetained) {
    Tensor x = Tensor::from({1.f, 2.f}, {}, {.requires_grad = true});
    Tensor y = (x * x).sum();
    y.backward({}, /*retain_graph=*/true);
    y.backward();
    EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{4, 8}));
    EXPECT_THROW(y.backward(), Error);
}

TEST(Engine, InPlaceChangeOfSavedTensorIsDetected) {
    Tensor x = Tensor::from({1.f, 2.f}, {}, {.requires_grad = true});
    Tensor h = x * 2.0;
    Tensor y = (h * h).sum();
    {
        NoGradGuard guard;
        h.detach().add_(Tensor::ones({2}));
    }
    try {
        y.backward();
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("modified by an in-place operation"), std::string::npos) << e.what();
    }
}

TEST(Engine, NoGradGuardRecordsNothing) {
    Tensor x = Tensor::ones({2}, {.requires_grad = true});
    NoGradGuard guard;
    Tensor y = x * 3.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
}

TEST(Engine, BackwardOnNonScalarNeedsGradient) {
    Tensor x = Tensor::ones({2}, {.requires_grad = true});
    Tensor y = x * 2.0;
    EXPECT_THROW(y.backward(), Error);
    y.backward(Tensor::from({1.f, 10.f}));
    EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 20}));
}
