// Misuse of the layers gives a descent::Error whose message names the op and
// the values involved (both shapes on a shape mismatch), never a crash.
#include <gtest/gtest.h>

#include <functional>

#include "descent/descent.hpp"

using namespace descent;

namespace {

// Expects fn to throw descent::Error with every one of `parts` in its message.
void expect_error(const std::function<void()>& fn, std::initializer_list<std::string> parts) {
    try {
        fn();
        ADD_FAILURE() << "expected a descent::Error containing \"" << *parts.begin() << "\"";
    } catch (const Error& e) {
        const std::string msg = e.what();
        for (const std::string& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "\"" << p << "\" not in: " << msg;
    }
}

TEST(LayerErrors, Conv2dWrongInputRank) {
    nn::Conv2d conv(3, 4, 3);
    expect_error([&] { conv(Tensor::ones({2, 3})); }, {"conv2d", "[2, 3]", "4-D"});
    expect_error([&] { conv(Tensor::ones({1, 1, 3, 5, 5})); }, {"conv2d", "[1, 1, 3, 5, 5]"});
}

TEST(LayerErrors, Conv2dWrongChannelsNamesBothShapes) {
    nn::Conv2d conv(3, 4, 3);
    expect_error([&] { conv(Tensor::ones({2, 5, 8, 8})); },
                 {"conv2d", "[4, 3, 3, 3]", "[2, 5, 8, 8]", "3 channels", "5 channels"});
    expect_error([&] { conv(Tensor::ones({5, 8, 8})); }, {"conv2d", "[1, 5, 8, 8]", "3 channels"});
}

TEST(LayerErrors, Conv2dKernelLargerThanPaddedInput) {
    nn::Conv2d conv(1, 2, 5, {.padding = 1});
    expect_error([&] { conv(Tensor::ones({1, 1, 2, 6})); }, {"conv2d", "(4 x 8)", "(5 x 5)", "[1, 1, 2, 6]"});
    nn::Conv2d dilated(1, 2, 3, {.dilation = 3});
    expect_error([&] { dilated(Tensor::ones({1, 1, 6, 6})); }, {"conv2d", "(7 x 7)"});
}

TEST(LayerErrors, Conv2dGroupsMustDivideChannels) {
    expect_error([] { nn::Conv2d(3, 4, 3, {.groups = 2}); }, {"Conv2d", "in_channels (3)", "groups (2)"});
    expect_error([] { nn::Conv2d(4, 3, 3, {.groups = 2}); }, {"Conv2d", "out_channels (3)", "groups (2)"});
    expect_error([] { conv2d(Tensor::ones({1, 4, 5, 5}), Tensor::ones({3, 2, 3, 3}), Tensor(), {.groups = 2}); },
                 {"conv2d", "groups=2", "[3, 2, 3, 3]"});
    expect_error([] { conv2d(Tensor::ones({1, 4, 5, 5}), Tensor::ones({4, 4, 3, 3}), Tensor(), {.groups = 0}); },
                 {"conv2d", "groups"});
}

TEST(LayerErrors, Conv2dBadArguments) {
    const Tensor x = Tensor::ones({1, 2, 5, 5}), w = Tensor::ones({3, 2, 3, 3});
    expect_error([&] { conv2d(x, w, Tensor(), {.stride = 0}); }, {"conv2d", "stride", "(0, 0)"});
    expect_error([&] { conv2d(x, w, Tensor(), {.padding = {-1, 0}}); }, {"conv2d", "padding", "(-1, 0)"});
    expect_error([&] { conv2d(x, w, Tensor(), {.dilation = {1, 0}}); }, {"conv2d", "dilation"});
    expect_error([&] { conv2d(x, Tensor::ones({3, 2, 3})); }, {"conv2d", "4-D weight", "[3, 2, 3]"});
    expect_error([&] { conv2d(x, w, Tensor::ones({4})); }, {"conv2d", "bias", "[4]", "[3, 2, 3, 3]"});
    expect_error([&] { conv2d(x.to(kFloat64), w); }, {"conv2d", "float64", "float32"});
    expect_error([&] { nn::Conv2d(0, 3, 3); }, {"Conv2d", "positive"});
    expect_error([&] { nn::Conv2d(1, 3, {0, 3}); }, {"Conv2d", "kernel_size", "(0, 3)"});
}

TEST(LayerErrors, PoolingInputsAndSizes) {
    expect_error([] { max_pool2d(Tensor::ones({4, 4}), 2); }, {"max_pool2d", "[4, 4]"});
    expect_error([] { avg_pool2d(Tensor::ones({1, 1, 1, 4, 4}), 2); }, {"avg_pool2d", "[1, 1, 1, 4, 4]"});
    expect_error([] { adaptive_avg_pool2d(Tensor::ones({4}), 2); }, {"adaptive_avg_pool2d", "[4]"});
    expect_error([] { max_pool2d(Tensor::ones({1, 1, 2, 2}), 3); }, {"max_pool2d", "[1, 1, 2, 2]", "too small"});
    expect_error([] { avg_pool2d(Tensor::ones({1, 1, 3, 3}), 4, {.padding = 0}); }, {"avg_pool2d", "too small"});
    expect_error([] { max_pool2d(Tensor::ones({1, 1, 8, 8}), 2, {.padding = 2}); },
                 {"max_pool2d", "half the kernel", "(2, 2)"});
    expect_error([] { max_pool2d(Tensor::ones({1, 1, 8, 8}), 2, {.stride = {1, -1}}); }, {"max_pool2d", "stride"});
    expect_error([] { max_pool2d(Tensor::ones({1, 1, 8, 8}), 2, {.dilation = 0}); }, {"max_pool2d", "dilation"});
    expect_error([] { max_pool2d(Tensor::ones({1, 1, 8, 8}), 0); }, {"max_pool2d", "kernel"});
    // The fused convolution + max-pool reports each part's errors as the op alone would.
    const Tensor x = Tensor::ones({2, 1, 4, 4}), w = Tensor::ones({3, 1, 3, 3});
    expect_error([&] { conv2d_max_pool2d(x, w, Tensor(), {}, 3, {}); }, {"max_pool2d", "[2, 3, 2, 2]", "too small"});
    expect_error([&] { conv2d_max_pool2d(x, w, Tensor(), {}, 2, {.padding = 2}); }, {"max_pool2d", "half the kernel"});
    expect_error([&] { conv2d_max_pool2d(x, Tensor::ones({3, 2, 3, 3}), Tensor(), {}, 2, {}); },
                 {"conv2d", "[3, 2, 3, 3]", "2 channels", "1 channels"});
    expect_error([] { avg_pool2d(Tensor::ones({1, 1, 8, 8}), 2, {.divisor_override = 0}); }, {"avg_pool2d", "divisor"});
    expect_error([] { adaptive_avg_pool2d(Tensor::ones({1, 1, 8, 8}), {0, 2}); }, {"adaptive_avg_pool2d", "(0, 2)"});
    expect_error([] { max_pool2d(Tensor::ones({1, 0, 8, 8}), 2); }, {"max_pool2d", "[1, 0, 8, 8]"});
    expect_error([] { max_pool2d(Tensor::ones({1, 1, 4, 4}, {.dtype = kInt64}), 2); }, {"max_pool2d", "int64"});
}

TEST(LayerErrors, BatchNormInputs) {
    nn::BatchNorm2d bn2(3);
    expect_error([&] { bn2(Tensor::ones({2, 3, 4})); }, {"BatchNorm2d", "4-D", "[2, 3, 4]"});
    expect_error([&] { bn2(Tensor::ones({2, 4, 5, 5})); }, {"BatchNorm2d", "3 channels", "[2, 4, 5, 5]"});
    expect_error([&] { bn2(Tensor::ones({1, 3, 1, 1})); }, {"batch_norm", "more than 1 value per channel", "[1, 3, 1, 1]"});
    bn2.eval();  // one value per channel is fine with running statistics
    EXPECT_EQ(bn2(Tensor::ones({1, 3, 1, 1})).shape(), (Shape{1, 3, 1, 1}));
    nn::BatchNorm1d bn1(4);
    expect_error([&] { bn1(Tensor::ones({2, 4, 3, 3})); }, {"BatchNorm1d", "[2, 4, 3, 3]"});
    expect_error([&] { bn1(Tensor::ones({5, 3})); }, {"BatchNorm1d", "4 channels", "[5, 3]"});
    expect_error([] { batch_norm(Tensor::ones({4, 3}), Tensor::zeros({2}), Tensor::ones({2}), Tensor(), Tensor(), true); },
                 {"batch_norm", "running_mean", "3 elements", "[2]", "[4, 3]"});
    expect_error([] { batch_norm(Tensor::ones({4, 3}), Tensor(), Tensor(), Tensor(), Tensor(), false); },
                 {"batch_norm", "not training"});
    expect_error([] { batch_norm(Tensor::ones({4}), Tensor(), Tensor(), Tensor(), Tensor(), true); },
                 {"batch_norm", "[4]"});
    expect_error([] { nn::BatchNorm2d(0); }, {"BatchNorm", "num_features"});
}

TEST(LayerErrors, LayerNormShapeMismatchNamesBoth) {
    nn::LayerNorm ln(Shape{4, 5});
    expect_error([&] { ln(Tensor::ones({2, 5, 4})); }, {"layer_norm", "[4, 5]", "[2, 5, 4]"});
    expect_error([&] { ln(Tensor::ones({5})); }, {"layer_norm", "[5]"});
    expect_error([] { layer_norm(Tensor::ones({2, 3}), {3}, Tensor::ones({4})); }, {"layer_norm", "weight", "[4]", "[3]"});
    expect_error([] { nn::LayerNorm(Shape{}); }, {"LayerNorm"});
}

TEST(LayerErrors, Dropout2dArguments) {
    expect_error([] { nn::Dropout2d(1.5); }, {"Dropout2d", "1.5"});
    expect_error([] { dropout2d(Tensor::ones({2, 3}), 0.5); }, {"dropout2d", "[2, 3]"});
    expect_error([] { dropout2d(Tensor::ones({2, 3, 4, 4}), -0.1); }, {"dropout2d", "-0.1"});
}

}  // namespace
