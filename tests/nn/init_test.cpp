// nn::init: gains and fans as PyTorch computes them, bounds and moments of
// each initializer, generators, and use on parameters that require grad.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/descent.hpp"
#include "nn_test_util.hpp"

namespace descent {
namespace {
using nn::init::FanMode;
using nn::init::Nonlinearity;
using nn_test::error_of;

struct Moments {
    double min, max, mean, std;
};

Moments moments(const Tensor& t) {
    const std::vector<double> v = t.to_vector<double>();
    Moments m{v[0], v[0], 0, 0};
    for (double x : v) {
        m.min = std::min(m.min, x);
        m.max = std::max(m.max, x);
        m.mean += x;
    }
    m.mean /= static_cast<double>(v.size());
    for (double x : v) m.std += (x - m.mean) * (x - m.mean);
    m.std = std::sqrt(m.std / static_cast<double>(v.size()));
    return m;
}

TEST(Init, CalculateGainMatchesPyTorch) {
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::Linear), 1.0);
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::Conv2d), 1.0);
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::ConvTranspose3d), 1.0);
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::Sigmoid), 1.0);
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::Tanh), 5.0 / 3.0);
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::ReLU), std::sqrt(2.0));
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::LeakyReLU), std::sqrt(2.0 / (1 + 0.01 * 0.01)));
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::LeakyReLU, 0.2), std::sqrt(2.0 / 1.04));
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::LeakyReLU, std::sqrt(5.0)), std::sqrt(1.0 / 3.0));
    EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::SELU), 0.75);
}

TEST(Init, FansIncludeTheReceptiveField) {
    EXPECT_EQ(nn::init::calculate_fan_in_and_fan_out(Tensor::empty({30, 20})), (std::pair<std::int64_t, std::int64_t>{20, 30}));
    // Conv2d weight [out=16, in=8, 3, 5]: receptive field 15.
    EXPECT_EQ(nn::init::calculate_fan_in_and_fan_out(Tensor::empty({16, 8, 3, 5})),
              (std::pair<std::int64_t, std::int64_t>{120, 240}));
    const std::string msg = error_of([] { nn::init::calculate_fan_in_and_fan_out(Tensor::empty({5})); });
    EXPECT_NE(msg.find("fewer than 2 dimensions"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[5]"), std::string::npos) << msg;
    EXPECT_NE(error_of([] { nn::init::xavier_uniform_(Tensor::empty({5})); }).find("fewer than 2"), std::string::npos);
}

TEST(Init, UniformNormalConstant) {
    Generator gen(1);
    const Tensor t = Tensor::empty({200, 100});
    const Moments u = moments(nn::init::uniform_(t, -2.0, 3.0, &gen));
    EXPECT_GE(u.min, -2.0);
    EXPECT_LT(u.max, 3.0);
    // 20,000 samples: sd of the mean ≈ 0.01, of the sd ≈ 0.005 relative.
    EXPECT_NEAR(u.mean, 0.5, 0.06);
    EXPECT_NEAR(u.std, 5.0 / std::sqrt(12.0), 0.03);
    const Moments n = moments(nn::init::normal_(t, 1.0, 0.5, &gen));
    EXPECT_NEAR(n.mean, 1.0, 0.02);
    EXPECT_NEAR(n.std, 0.5, 0.015);
    EXPECT_TRUE(allclose(nn::init::constant_(t, 0.25), Tensor::full({200, 100}, 0.25), 0, 0));
    EXPECT_TRUE(allclose(nn::init::zeros_(t), Tensor::zeros({200, 100}), 0, 0));
    EXPECT_TRUE(allclose(nn::init::ones_(t), Tensor::ones({200, 100}), 0, 0));
    EXPECT_NE(error_of([] { nn::init::uniform_(Tensor::zeros({2}, {.dtype = kInt64})); }).find("floating"),
              std::string::npos);
}

TEST(Init, XavierBoundAndStd) {
    Generator gen(2);
    const Tensor t = Tensor::empty({300, 200});
    const double gain = 5.0 / 3.0;
    const double std = gain * std::sqrt(2.0 / 500.0);
    const Moments u = moments(nn::init::xavier_uniform_(t, gain, &gen));
    const double bound = std::sqrt(3.0) * std;
    EXPECT_GE(u.min, -bound);
    EXPECT_LE(u.max, bound);
    EXPECT_GT(u.max, 0.999 * bound);
    // 60,000 samples: the sample sd is within ~0.3% of the true one (1σ); 2% is ~7σ.
    EXPECT_NEAR(u.std / std, 1.0, 0.02);
    const Moments n = moments(nn::init::xavier_normal_(t, gain, &gen));
    EXPECT_NEAR(n.std / std, 1.0, 0.02);
    EXPECT_NEAR(n.mean, 0.0, 0.03 * std);  // sd of the mean ≈ 0.004·std
}

TEST(Init, KaimingModesAndNonlinearities) {
    Generator gen(3);
    // Conv weight [64, 32, 3, 3]: fan_in 288, fan_out 576.
    const Tensor t = Tensor::empty({64, 32, 3, 3});
    const double relu_std_in = std::sqrt(2.0) / std::sqrt(288.0);
    const Moments u = moments(nn::init::kaiming_uniform_(t, {.nonlinearity = Nonlinearity::ReLU, .generator = &gen}));
    EXPECT_LE(u.max, std::sqrt(3.0) * relu_std_in);
    EXPECT_GE(u.min, -std::sqrt(3.0) * relu_std_in);
    EXPECT_NEAR(u.std / relu_std_in, 1.0, 0.02);  // 18,432 samples: ~0.4% sd
    const Moments fan_out = moments(
        nn::init::kaiming_normal_(t, {.mode = FanMode::FanOut, .nonlinearity = Nonlinearity::ReLU, .generator = &gen}));
    EXPECT_NEAR(fan_out.std / (std::sqrt(2.0) / std::sqrt(576.0)), 1.0, 0.03);
    // Default: leaky_relu with a = 0, i.e. gain √2.
    const Moments dflt = moments(nn::init::kaiming_normal_(t, {.generator = &gen}));
    EXPECT_NEAR(dflt.std / relu_std_in, 1.0, 0.03);
    // a = √5 (Linear's init): bound exactly 1/√fan_in.
    const Moments linear_like = moments(nn::init::kaiming_uniform_(t, {.a = std::sqrt(5.0), .generator = &gen}));
    EXPECT_LE(linear_like.max, 1.0 / std::sqrt(288.0));
    EXPECT_GT(linear_like.max, 0.99 / std::sqrt(288.0));
}

TEST(Init, WorksOnParametersAndIsNotRecorded) {
    nn::Linear layer(4, 3);
    nn::init::xavier_uniform_(layer.weight);
    nn::init::zeros_(layer.bias);
    EXPECT_TRUE(layer.weight.requires_grad());
    EXPECT_TRUE(layer.weight.is_leaf());
    EXPECT_TRUE(allclose(layer.bias, Tensor::zeros({3}), 0, 0));
    EXPECT_TRUE(is_grad_enabled());  // the guard was restored
}

TEST(Init, SameGeneratorSameValuesAndZeroElementTensorsAreLeftAlone) {
    Generator a(9), b(9);
    const Tensor x = nn::init::kaiming_uniform_(Tensor::empty({5, 4}), {.generator = &a});
    const Tensor y = nn::init::kaiming_uniform_(Tensor::empty({5, 4}), {.generator = &b});
    EXPECT_TRUE(allclose(x, y, 0, 0));
    EXPECT_NO_THROW(nn::init::kaiming_normal_(Tensor::empty({0, 4})));
}

}  // namespace
}  // namespace descent
