// The layer modules as modules: PyTorch's printouts and state_dict keys (from
// the goldens), default initialization, buffers across train/eval and
// state_dict round trips, Dropout2d's channel masks, and a W3-shaped stack.
#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.hpp"

using namespace descent;
using namespace layer_test;

namespace {

std::vector<std::string> keys_of(const StateDict& sd) {
    std::vector<std::string> out;
    for (const auto& [name, t] : sd) out.push_back(name);
    return out;
}

// Each module of modules.json, built the way the generator script built it.
std::unique_ptr<nn::Module> build(const std::string& key) {
    if (key == "conv_w3") return std::make_unique<nn::Conv2d>(1, 32, 3, nn::Conv2dOptions{.padding = 1});
    if (key == "conv_all_options")
        return std::make_unique<nn::Conv2d>(4, 8, Size2{2, 3},
                                            nn::Conv2dOptions{.stride = 2, .dilation = 2, .groups = 2, .bias = false});
    if (key == "conv_stride_pair")
        return std::make_unique<nn::Conv2d>(3, 6, 5, nn::Conv2dOptions{.stride = {2, 1}, .padding = {0, 2}});
    if (key == "maxpool_2") return std::make_unique<nn::MaxPool2d>(2);
    if (key == "maxpool_options")
        return std::make_unique<nn::MaxPool2d>(3, nn::MaxPool2dOptions{.stride = 2, .padding = 1, .ceil_mode = true});
    if (key == "avgpool_2") return std::make_unique<nn::AvgPool2d>(2);
    if (key == "avgpool_options") return std::make_unique<nn::AvgPool2d>(3, nn::AvgPool2dOptions{.stride = 2, .padding = 1});
    if (key == "adaptive_pair") return std::make_unique<nn::AdaptiveAvgPool2d>(Size2{5, 7});
    if (key == "adaptive_1") return std::make_unique<nn::AdaptiveAvgPool2d>(1);
    if (key == "bn2d") return std::make_unique<nn::BatchNorm2d>(32);
    if (key == "bn1d_cumulative_no_affine")
        return std::make_unique<nn::BatchNorm1d>(10, nn::BatchNormOptions{.momentum = std::nullopt, .affine = false});
    if (key == "bn1d_options")
        return std::make_unique<nn::BatchNorm1d>(
            4, nn::BatchNormOptions{.eps = 1e-3, .momentum = 0.3, .track_running_stats = false});
    if (key == "ln_10") return std::make_unique<nn::LayerNorm>(10);
    if (key == "ln_options")
        return std::make_unique<nn::LayerNorm>(Shape{4, 5}, nn::LayerNormOptions{.eps = 1e-4, .elementwise_affine = false});
    if (key == "dropout2d") return std::make_unique<nn::Dropout2d>();
    if (key == "dropout2d_quarter") return std::make_unique<nn::Dropout2d>(0.25);
    if (key == "w3") {
        auto seq = std::make_unique<nn::Sequential>();
        seq->push_back(nn::Conv2d(1, 32, 3, {.padding = 1}));
        seq->push_back(nn::BatchNorm2d(32));
        seq->push_back(nn::MaxPool2d(2));
        return seq;
    }
    return nullptr;
}

TEST(LayerModules, PrintoutsAndStateDictKeysMatchPyTorch) {
    const json cases = load_cases("modules.json");
    ASSERT_GE(cases.size(), 15u);
    for (const auto& [key, expected] : cases.items()) {
        auto m = build(key);
        ASSERT_NE(m, nullptr) << "no builder for golden module " << key;
        EXPECT_EQ(m->to_string(), expected.at("repr").get<std::string>()) << key;
        EXPECT_EQ(keys_of(m->state_dict()), expected.at("state_dict_keys").get<std::vector<std::string>>()) << key;
    }
}

TEST(LayerModules, Conv2dInitIsUniformWithinOneOverSqrtFanIn) {
    for (auto [in, out, groups] : {std::tuple{32, 64, 1}, std::tuple{8, 16, 4}}) {
        nn::Conv2d conv(in, out, 3, {.groups = groups});
        const double bound = 1.0 / std::sqrt(static_cast<double>(in / groups * 9));
        ASSERT_EQ(conv.weight.shape(), (Shape{out, in / groups, 3, 3}));
        EXPECT_TRUE(conv.weight.requires_grad());
        for (const Tensor& t : {conv.weight, conv.bias}) {
            const std::vector<float> v = t.to_vector<float>();
            double lo = 1e9, hi = -1e9, mean = 0;
            for (float x : v) lo = std::min<double>(lo, x), hi = std::max<double>(hi, x), mean += x;
            mean /= static_cast<double>(v.size());
            EXPECT_GE(lo, -bound);
            EXPECT_LE(hi, bound);
            if (v.size() >= 1000) {  // the weight: spread over the whole interval, centred
                EXPECT_GT(hi, 0.95 * bound);
                EXPECT_LT(lo, -0.95 * bound);
                EXPECT_NEAR(mean, 0.0, 0.05 * bound);
            }
        }
    }
}

TEST(LayerModules, Conv2dWithoutBiasHasOnlyAWeight) {
    nn::Conv2d conv(2, 3, {1, 2}, {.bias = false});
    EXPECT_FALSE(conv.bias.defined());
    ASSERT_EQ(conv.named_parameters().size(), 1u);
    EXPECT_EQ(conv.named_parameters()[0].first, "weight");
    EXPECT_EQ(conv(Tensor::ones({1, 2, 4, 4})).shape(), (Shape{1, 3, 4, 3}));
}

TEST(LayerModules, BatchNormBuffersFollowTrainAndEval) {
    nn::BatchNorm2d bn(2);
    EXPECT_EQ(bn.running_mean.to_vector<float>(), (std::vector<float>{0, 0}));
    EXPECT_EQ(bn.running_var.to_vector<float>(), (std::vector<float>{1, 1}));
    EXPECT_EQ(bn.num_batches_tracked.dtype(), kInt64);
    EXPECT_EQ(bn.num_batches_tracked.dim(), 0);
    // Channel 0 holds 1..8, channel 1 holds 10·(1..8): mean 4.5 / 45, unbiased var 6 / 600.
    std::vector<float> v;
    for (int n = 0; n < 2; ++n)
        for (int c = 0; c < 2; ++c)
            for (int i = 1; i <= 4; ++i) v.push_back(static_cast<float>((c ? 10 : 1) * (n * 4 + i)));
    const Tensor x = Tensor::from(v, {2, 2, 2, 2});
    bn(x);
    EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 1);
    const auto rm = bn.running_mean.to_vector<float>(), rv = bn.running_var.to_vector<float>();
    EXPECT_NEAR(rm[0], 0.45, 1e-6);
    EXPECT_NEAR(rm[1], 4.5, 1e-5);
    EXPECT_NEAR(rv[0], 0.9 + 0.1 * 6.0, 1e-6);
    EXPECT_NEAR(rv[1], 0.9 + 0.1 * 600.0, 1e-4);
    // Eval: normalizes with the running statistics and leaves them alone.
    bn.eval();
    const Tensor y = bn(x);
    EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 1);
    EXPECT_NEAR(y.to_vector<float>()[0], (1 - 0.45) / std::sqrt(1.5 + 1e-5), 1e-6);
    EXPECT_EQ(bn.running_mean.to_vector<float>(), rm);
}

TEST(LayerModules, BatchNormStateDictRoundTripsAndConvertsDtype) {
    nn::BatchNorm1d a(3), b(3);
    a(Tensor::randn({6, 3}));
    a(Tensor::randn({6, 3}));
    b.load_state_dict(a.state_dict());
    EXPECT_EQ(b.running_mean.to_vector<float>(), a.running_mean.to_vector<float>());
    EXPECT_EQ(b.running_var.to_vector<float>(), a.running_var.to_vector<float>());
    EXPECT_EQ(b.num_batches_tracked.item<std::int64_t>(), 2);
    b.to(kFloat64);
    EXPECT_EQ(b.running_mean.dtype(), kFloat64);
    EXPECT_EQ(b.weight.dtype(), kFloat64);
    EXPECT_EQ(b.num_batches_tracked.dtype(), kInt64);  // a counter stays an integer
    EXPECT_EQ(b(Tensor::randn({4, 3}, {.dtype = kFloat64})).dtype(), kFloat64);
}

TEST(LayerModules, BatchNormRunningStatsCannotCorruptAGradient) {
    // The update of the running statistics writes in place; the backward must not
    // depend on them (it saves its own statistics), so a later step is harmless.
    nn::BatchNorm2d bn(2);
    Tensor x = Tensor::randn({3, 2, 2, 2}, {.requires_grad = true});
    Tensor y = bn(x);
    bn(Tensor::randn({3, 2, 2, 2}));  // second training step: running stats change in place
    EXPECT_NO_THROW(y.sum().backward());
    // Σ_batch of a batch-normalized output is constant in x: its gradient is ~0.
    for (float g : x.grad().to_vector<float>()) EXPECT_NEAR(g, 0.0f, 1e-5);
}

TEST(LayerModules, Dropout2dDropsWholeChannels) {
    Generator gen(123);
    nn::Dropout2d drop(0.5, &gen);
    Tensor x = (Tensor::rand({8, 16, 3, 3}) + 0.5).detach().requires_grad_();  // never 0: a zero means dropped
    Tensor y = drop(x);
    y.sum().backward();
    const auto xv = x.to_vector<float>(), yv = y.to_vector<float>(), gv = x.grad().to_vector<float>();
    int dropped = 0;
    for (int ch = 0; ch < 8 * 16; ++ch) {
        const bool zero = yv[ch * 9] == 0.0f;
        dropped += zero;
        for (int i = ch * 9; i < ch * 9 + 9; ++i) {
            // Every element of a channel shares its fate: 0, or scaled by 1/(1 − p) = 2.
            EXPECT_FLOAT_EQ(yv[i], zero ? 0.0f : 2 * xv[i]);
            EXPECT_FLOAT_EQ(gv[i], zero ? 0.0f : 2.0f);
        }
    }
    // 128 fair coins: 64 ± 8 is one standard deviation; this seed's count lies well inside ±32.
    EXPECT_GT(dropped, 32);
    EXPECT_LT(dropped, 96);
}

TEST(LayerModules, Dropout2dIsTheIdentityInEvalAndReproducibleWithASeed) {
    Tensor x = Tensor::randn({2, 4, 3, 3});
    nn::Dropout2d drop(0.3);
    drop.eval();
    EXPECT_EQ(drop(x).to_vector<float>(), x.to_vector<float>());
    Generator g1(9), g2(9);
    EXPECT_EQ(dropout2d(x, 0.3, true, &g1).to_vector<float>(), dropout2d(x, 0.3, true, &g2).to_vector<float>());
    for (float v : dropout2d(x, 1.0).to_vector<float>()) EXPECT_EQ(v, 0.0f);
    EXPECT_EQ(dropout2d(x, 0.0).to_vector<float>(), x.to_vector<float>());
    // Unbatched [C, H, W]: one draw per channel.
    const auto yv = dropout2d(Tensor::ones({6, 2, 2}), 0.5, true, &g1).to_vector<float>();
    for (int c = 0; c < 6; ++c)
        for (int i = 1; i < 4; ++i) EXPECT_EQ(yv[c * 4 + i], yv[c * 4]);
}

TEST(LayerModules, LayerNormParametersHaveTheNormalizedShape) {
    nn::LayerNorm ln(Shape{3, 4});
    EXPECT_EQ(ln.weight.shape(), (Shape{3, 4}));
    EXPECT_EQ(ln.bias.shape(), (Shape{3, 4}));
    const Tensor y = ln(Tensor::randn({5, 3, 4}));
    // Each sample normalized over its 12 values: mean 0, biased variance 1 − eps-ish.
    const Tensor m = mean(y, {1, 2}), v = var(y, {1, 2}, 0);
    for (float x : m.to_vector<float>()) EXPECT_NEAR(x, 0.0f, 1e-5);
    for (float x : v.to_vector<float>()) EXPECT_NEAR(x, 1.0f, 1e-3);
}

TEST(LayerModules, W3StackHasTheExpectedShapesAndGradients) {
    nn::Sequential net(nn::Conv2d(1, 32, 3, {.padding = 1}), nn::MaxPool2d(2), nn::Conv2d(32, 64, 3, {.padding = 1}),
                       nn::MaxPool2d(2));
    Tensor x = Tensor::randn({4, 1, 28, 28});
    Tensor y = net(x);
    EXPECT_EQ(y.shape(), (Shape{4, 64, 7, 7}));
    y.sum().backward();
    for (const auto& [name, p] : net.named_parameters()) {
        ASSERT_TRUE(p.grad().defined()) << name;
        EXPECT_EQ(p.grad().shape(), p.shape()) << name;
    }
}

}  // namespace
