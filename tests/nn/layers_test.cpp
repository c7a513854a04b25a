// Layers: Linear (forward, PyTorch's init bounds and statistics, generator),
// Identity, Flatten, Dropout (train/eval, scaling, p = 0 and 1) and the
// activation modules against their formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/descent.hpp"
#include "nn_test_util.hpp"

namespace descent {
namespace {
using nn_test::error_of;
using nn_test::near_values;

TEST(Linear, ForwardIsXWtPlusB) {
    nn::Linear layer(3, 2, {.dtype = kFloat64});
    const Tensor x = Tensor::from({1.0, -2.0, 0.5, 3.0, 0.0, -1.0}, {2, 3});
    const std::vector<double> w = layer.weight.to_vector<double>(), b = layer.bias.to_vector<double>();
    const std::vector<double> xv = x.to_vector<double>();
    std::vector<double> expected;
    for (int n = 0; n < 2; ++n)
        for (int o = 0; o < 2; ++o) {
            double acc = b[static_cast<std::size_t>(o)];
            for (int i = 0; i < 3; ++i) acc += xv[static_cast<std::size_t>(n * 3 + i)] * w[static_cast<std::size_t>(o * 3 + i)];
            expected.push_back(acc);
        }
    const Tensor y = layer(x);
    EXPECT_EQ(y.shape(), (Shape{2, 2}));
    EXPECT_TRUE(near_values(y, expected, 1e-12));  // float64: only summation-order rounding
    // Extra leading dims, as PyTorch: [..., in] → [..., out].
    EXPECT_EQ(layer(Tensor::ones({4, 5, 3}, {.dtype = kFloat64})).shape(), (Shape{4, 5, 2}));
    const std::string msg = error_of([&] { layer(Tensor::ones({2, 4}, {.dtype = kFloat64})); });
    EXPECT_NE(msg.find("[2, 4]"), std::string::npos) << msg;
}

TEST(Linear, WithoutBias) {
    nn::Linear layer(4, 3, {.bias = false});
    EXPECT_FALSE(layer.bias.defined());
    EXPECT_EQ(layer.parameters().size(), 1u);
    EXPECT_EQ(layer.extra_repr(), "in_features=4, out_features=3, bias=False");
    EXPECT_TRUE(allclose(layer(Tensor::zeros({1, 4})), Tensor::zeros({1, 3})));
}

TEST(Linear, InitIsUniformWithinOneOverSqrtFanIn) {
    Generator gen(123);
    nn::Linear layer(400, 300, {.generator = &gen});
    const double bound = 1.0 / std::sqrt(400.0);  // kaiming_uniform_(a=√5) = U(±1/√fan_in)
    const std::vector<double> w = layer.weight.to_vector<double>();
    double lo = 1, hi = -1, total = 0, total_sq = 0;
    for (double v : w) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        total += v;
        total_sq += v * v;
    }
    const double n = static_cast<double>(w.size());
    EXPECT_GE(lo, -bound);
    EXPECT_LE(hi, bound);
    // 120,000 draws reach within 0.1% of both ends (a miss has probability ~e^-60).
    EXPECT_LT(lo, -0.999 * bound);
    EXPECT_GT(hi, 0.999 * bound);
    // Mean 0 (sd of the sample mean ≈ 8e-5: 6σ) and variance bound²/3 (relative sd ≈ 0.3%: 7σ).
    EXPECT_NEAR(total / n, 0.0, 5e-4);
    EXPECT_NEAR(total_sq / n / (bound * bound / 3.0), 1.0, 0.02);
    for (double v : layer.bias.to_vector<double>()) {
        EXPECT_GE(v, -bound);
        EXPECT_LE(v, bound);
    }
    EXPECT_EQ(layer.weight.shape(), (Shape{300, 400}));
    EXPECT_EQ(layer.bias.shape(), (Shape{300}));
}

TEST(Linear, GeneratorMakesInitReproducible) {
    Generator a(7), b(7), c(8);
    nn::Linear la(5, 4, {.generator = &a}), lb(5, 4, {.generator = &b}), lc(5, 4, {.generator = &c});
    EXPECT_TRUE(allclose(la.weight, lb.weight, 0, 0));
    EXPECT_TRUE(allclose(la.bias, lb.bias, 0, 0));
    EXPECT_FALSE(allclose(la.weight, lc.weight));
    // Without a generator the default one is used: re-seeding it repeats the draw.
    manual_seed(99);
    nn::Linear d1(5, 4);
    manual_seed(99);
    nn::Linear d2(5, 4);
    EXPECT_TRUE(allclose(d1.weight, d2.weight, 0, 0));
    // reset_parameters draws again.
    Generator again(7);
    la.reset_parameters(&again);
    EXPECT_TRUE(allclose(la.weight, lb.weight, 0, 0));
}

TEST(Linear, ZeroInFeaturesGivesZeroBias) {
    nn::Linear layer(0, 3);
    EXPECT_TRUE(allclose(layer.bias, Tensor::zeros({3})));
    EXPECT_EQ(layer.weight.shape(), (Shape{3, 0}));
}

TEST(Linear, GradientsReachWeightAndBias) {
    nn::Linear layer(3, 2);
    const Tensor x = Tensor::from({1.f, 2.f, 3.f, -1.f, 0.f, 1.f}, {2, 3});
    sum(layer(x)).backward();
    // d Σy / dW[o, i] = Σ_n x[n, i]; d Σy / db[o] = N.
    EXPECT_TRUE(near_values(layer.weight.grad(), {0, 2, 4, 0, 2, 4}, 1e-6));
    EXPECT_TRUE(near_values(layer.bias.grad(), {2, 2}, 1e-6));
}

TEST(Identity, ReturnsItsInput) {
    nn::Identity id;
    const Tensor x = Tensor::randn({2, 3});
    EXPECT_TRUE(id(x).is_same(x));
    EXPECT_EQ(id.to_string(), "Identity()");
}

TEST(Flatten, MergesTheGivenDims) {
    const Tensor x = Tensor::randn({2, 3, 4, 5});
    EXPECT_EQ(nn::Flatten()(x).shape(), (Shape{2, 60}));
    EXPECT_EQ(nn::Flatten(0, -1)(x).shape(), (Shape{120}));
    EXPECT_EQ(nn::Flatten(1, 2)(x).shape(), (Shape{2, 12, 5}));
    EXPECT_EQ(nn::Flatten({.start_dim = 2})(x).shape(), (Shape{2, 3, 20}));
    EXPECT_TRUE(allclose(nn::Flatten()(x).reshape({2, 3, 4, 5}), x, 0, 0));
}

TEST(Dropout, TrainingZeroesAboutPAndScalesTheRest) {
    Generator gen(2024);
    nn::Dropout dropout({.p = 0.3, .generator = &gen});
    const Tensor x = Tensor::ones({100000});
    const std::vector<double> y = dropout(x).to_vector<double>();
    std::int64_t zeros = 0;
    double total = 0;
    for (double v : y) {
        if (v == 0.0) ++zeros;
        else EXPECT_NEAR(v, 1.0 / 0.7, 1e-6);  // float32 rounding of 1/(1 − p)
        total += v;
    }
    // The zero fraction has sd √(0.21/1e5) ≈ 0.0014; 0.01 is 7σ. Inverted dropout keeps the mean at 1.
    EXPECT_NEAR(static_cast<double>(zeros) / 1e5, 0.3, 0.01);
    EXPECT_NEAR(total / 1e5, 1.0, 0.02);
}

TEST(Dropout, EvalIsTheIdentity) {
    nn::Dropout dropout(0.5);
    dropout.eval();
    const Tensor x = Tensor::randn({50});
    EXPECT_TRUE(dropout(x).is_same(x));
    dropout.train();
    EXPECT_FALSE(allclose(dropout(x), x));
    // eval() on a parent reaches the Dropout inside it.
    auto model = nn::Sequential(nn::Linear(4, 4), nn::Dropout(0.9));
    model.eval();
    const Tensor in = Tensor::randn({3, 4});
    EXPECT_TRUE(allclose(model(in), model(in), 0, 0));
}

TEST(Dropout, GradientIsTheScaledMask) {
    Generator gen(5);
    nn::Dropout dropout(0.25, &gen);
    const Tensor x = Tensor::full({1000}, 2.0, {.requires_grad = true});
    const Tensor y = dropout(x);
    sum(y).backward();
    // y = x·mask/(1 − p), so dy/dx = y / x.
    EXPECT_TRUE(allclose(x.grad(), div(y.detach(), 2.0), 1e-6, 1e-7));
}

TEST(Dropout, SameGeneratorSeedSameMask) {
    Generator a(11), b(11);
    const Tensor x = Tensor::ones({64});
    EXPECT_TRUE(allclose(nn::F::dropout(x, 0.5, true, &a), nn::F::dropout(x, 0.5, true, &b), 0, 0));
}

TEST(Dropout, EdgeProbabilities) {
    const Tensor x = Tensor::randn({20}, {.requires_grad = true});
    EXPECT_TRUE(allclose(nn::Dropout(0.0)(x), x, 0, 0));
    const Tensor y = nn::Dropout(1.0)(x);
    EXPECT_TRUE(allclose(y, Tensor::zeros({20}), 0, 0));  // zeros, not NaN from 0·(1/0)
    sum(y).backward();
    EXPECT_TRUE(allclose(x.grad(), Tensor::zeros({20}), 0, 0));
    EXPECT_NE(error_of([] { nn::Dropout(1.5); }).find("between 0 and 1, but got 1.5"), std::string::npos);
    EXPECT_NE(error_of([] { nn::F::dropout(Tensor::ones({2}), -0.1); }).find("between 0 and 1"), std::string::npos);
}

// ---- activations ----------------------------------------------------------------------------------
const std::vector<double> kInputs = {-3.0, -0.5, 0.0, 0.25, 2.0};

std::vector<double> apply_each(double (*f)(double)) {
    std::vector<double> out;
    for (double v : kInputs) out.push_back(f(v));
    return out;
}

Tensor inputs() { return Tensor::from(kInputs); }

// Activations in float64: the op and the formula differ by rounding only.
constexpr double kTol = 1e-12;

TEST(Activation, ReLUSigmoidTanh) {
    EXPECT_TRUE(near_values(nn::ReLU()(inputs()), apply_each([](double v) { return v > 0 ? v : 0.0; }), kTol));
    EXPECT_TRUE(near_values(nn::Sigmoid()(inputs()), apply_each([](double v) { return 1 / (1 + std::exp(-v)); }), kTol));
    EXPECT_TRUE(near_values(nn::Tanh()(inputs()), apply_each([](double v) { return std::tanh(v); }), kTol));
}

TEST(Activation, LeakyReLU) {
    EXPECT_TRUE(near_values(nn::LeakyReLU()(inputs()), apply_each([](double v) { return v >= 0 ? v : 0.01 * v; }), kTol));
    EXPECT_TRUE(near_values(nn::LeakyReLU({.negative_slope = 0.2})(inputs()),
                            apply_each([](double v) { return v >= 0 ? v : 0.2 * v; }), kTol));
}

TEST(Activation, GELUExactAndTanh) {
    EXPECT_TRUE(near_values(nn::GELU()(inputs()),
                            apply_each([](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }), kTol));
    EXPECT_TRUE(near_values(nn::GELU({.approximate = "tanh"})(inputs()), apply_each([](double v) {
                                const double k = std::sqrt(2.0 / M_PI);
                                return 0.5 * v * (1 + std::tanh(k * (v + 0.044715 * v * v * v)));
                            }),
                            kTol));
    EXPECT_NE(error_of([] { nn::GELU("fast"); }).find("\"fast\""), std::string::npos);
}

TEST(Activation, SoftmaxAndLogSoftmaxAlongDim) {
    const Tensor x = Tensor::from({1.0, 2.0, 3.0, -1.0, 0.0, 1000.0}, {2, 3});
    const Tensor rows = nn::Softmax(1)(x);
    EXPECT_TRUE(near_values(sum(rows, {1}), {1.0, 1.0}, kTol));
    const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    EXPECT_TRUE(near_values(rows.select(0, 0), {std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z}, kTol));
    EXPECT_TRUE(near_values(rows.select(0, 1), {0.0, 0.0, 1.0}, kTol));  // stable with a huge logit
    const Tensor cols = nn::Softmax({.dim = 0})(x);
    EXPECT_TRUE(near_values(sum(cols, {0}), {1.0, 1.0, 1.0}, kTol));
    const Tensor log_rows = nn::LogSoftmax(-1)(x);
    EXPECT_TRUE(near_values(log_rows.select(0, 0), {1 - std::log(z), 2 - std::log(z), 3 - std::log(z)}, kTol));
    EXPECT_TRUE(near_values(log_rows.select(0, 1), {-1001.0, -1000.0, 0.0}, kTol));
}

TEST(Activation, FunctionalFormsAreTheOps) {
    const Tensor x = inputs();
    EXPECT_TRUE(allclose(nn::F::relu(x), nn::ReLU()(x), 0, 0));
    EXPECT_TRUE(allclose(nn::F::leaky_relu(x, 0.1), nn::LeakyReLU(0.1)(x), 0, 0));
    EXPECT_TRUE(allclose(nn::F::gelu(x, "tanh"), nn::GELU("tanh")(x), 0, 0));
    EXPECT_TRUE(allclose(nn::F::log_softmax(x, 0), nn::LogSoftmax(0)(x), 0, 0));
    // The layer ops of the other nn headers are reachable as nn::F too.
    const Tensor image = Tensor::ones({1, 1, 4, 4});
    EXPECT_EQ(nn::F::max_pool2d(image, 2).shape(), (Shape{1, 1, 2, 2}));
    EXPECT_EQ(nn::F::conv2d(image, Tensor::ones({2, 1, 3, 3})).shape(), (Shape{1, 2, 2, 2}));
}

}  // namespace
}  // namespace descent
