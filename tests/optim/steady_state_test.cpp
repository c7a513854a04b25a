// The caching allocator's promise: once a training loop has run a few steps with the same
// shapes, a step takes no tensor memory from the system (every block comes from the cache),
// for an MLP and for a CNN, with Adam and with SGD + momentum. Builds with AddressSanitizer
// bypass the cache (so ASan sees every use after free): there the same steps must reach the
// system every time and the cache must never serve a block.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <functional>
#include <memory>

#include "descent/core/allocator.hpp"
#include "descent/descent.hpp"
#include "descent/nn.hpp"
#include "descent/optim/adam.hpp"
#include "descent/optim/adamw.hpp"
#include "descent/optim/sgd.hpp"

using namespace descent;

namespace {

#ifdef __SANITIZE_ADDRESS__
constexpr bool kCacheBypassed = true;
#else
constexpr bool kCacheBypassed = false;
#endif

// What the steady state must show: no system allocation with the cache; with the cache
// bypassed (ASan), system allocations on every step and no cache hit at all.
void expect_steady_state(std::size_t fresh) {
    if (kCacheBypassed) {
        EXPECT_GT(fresh, 0u);
        EXPECT_EQ(allocator_stats().cache_hits, 0u);
    } else {
        EXPECT_EQ(fresh, 0u);
        EXPECT_GT(allocator_stats().cache_hits, 0u);
    }
}

// System allocations made by `steps` calls of step() after `warmup` calls; with
// `reserved_change`, also how much the bytes held from the system moved over those steps.
std::size_t allocations_in_steady_state(const std::function<void()>& step, int warmup = 3, int steps = 10,
                                        long long* reserved_change = nullptr) {
    for (int i = 0; i < warmup; ++i) step();
    const AllocatorStats before = allocator_stats();
    for (int i = 0; i < steps; ++i) step();
    const AllocatorStats after = allocator_stats();
    if (reserved_change)
        *reserved_change = static_cast<long long>(after.bytes_reserved) - static_cast<long long>(before.bytes_reserved);
    return after.system_allocations - before.system_allocations;
}

}  // namespace

TEST(SteadyState, MlpStepWithAdamTakesNoMemoryFromTheSystem) {
    Generator g(1);
    const Tensor x = Tensor::randn({64, 784}, {.generator = &g});
    const Tensor y = Tensor::randint(0, 10, {64}, {.generator = &g});
    nn::Sequential model(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(),
                         nn::Linear(128, 10));
    nn::CrossEntropyLoss criterion;
    optim::Adam optimizer(model.parameters(), {.lr = 1e-3});
    double last = 0;
    const std::size_t fresh = allocations_in_steady_state([&] {
        Tensor loss = criterion(model(x), y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        last = loss.item();
    });
    expect_steady_state(fresh);
    EXPECT_TRUE(std::isfinite(last));
}

// W3's two-conv network with c1 and c2 channels and a hidden layer of `hidden` units.
nn::Sequential two_conv_net(std::int64_t c1, std::int64_t c2, std::int64_t hidden) {
    return nn::Sequential(nn::Conv2d(1, c1, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                          nn::Conv2d(c1, c2, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                          nn::Linear(c2 * 7 * 7, hidden), nn::ReLU(), nn::Linear(hidden, 10));
}

// System allocations of a steady training step of `model` on a random batch of `batch` images.
std::size_t cnn_steady_allocations(nn::Sequential& model, optim::Optimizer& optimizer, std::int64_t batch,
                                   long long* reserved_change = nullptr) {
    Generator g(2);
    const Tensor x = Tensor::randn({batch, 1, 28, 28}, {.generator = &g});
    const Tensor y = Tensor::randint(0, 10, {batch}, {.generator = &g});
    nn::CrossEntropyLoss criterion;
    return allocations_in_steady_state([&] {
        Tensor loss = criterion(model(x), y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
    }, 3, 10, reserved_change);
}

TEST(SteadyState, CnnStepWithSgdMomentumTakesNoMemoryFromTheSystem) {
    nn::Sequential model = two_conv_net(8, 16, 32);
    optim::SGD optimizer(model.parameters(), {.lr = 0.01, .momentum = 0.9});
    expect_steady_state(cnn_steady_allocations(model, optimizer, 16));
}

// W3's own network at batch 32: its activations are large blocks (conv1's output is 3.2 MB),
// carved from the allocator's segments; Adam's state is created at the first step.
TEST(SteadyState, CnnStepWithLargeActivationsAndAdamTakesNoMemoryFromTheSystem) {
    nn::Sequential model = two_conv_net(32, 64, 128);
    optim::Adam optimizer(model.parameters(), {.lr = 1e-3});
    long long reserved_change = 0;
    expect_steady_state(cnn_steady_allocations(model, optimizer, 32, &reserved_change));
    if (!kCacheBypassed) {
        EXPECT_GT(allocator_stats().segments, 0u) << "the step should use large blocks";
        EXPECT_EQ(reserved_change, 0) << "bytes held from the system moved in the steady state";
    }
}

// The check itself can fail: a step whose shapes grow every time must reach the system.
TEST(SteadyState, GrowingShapesDoReachTheSystem) {
    std::int64_t n = 1000;
    const std::size_t fresh = allocations_in_steady_state([&] { Tensor t = Tensor::ones({n}) * 2.0;
        n += 1000; });
    EXPECT_GT(fresh, 0u);
}

// Large parameters are updated by several threads (each a contiguous chunk); the update is
// elementwise, so 1 and 2 threads must give the same bits, for Adam and AdamW with amsgrad.
TEST(ThreadedUpdate, AdamOnALargeParameterIsTheSameOnOneAndTwoThreads) {
    auto run = [](int threads, bool adamw) {
        const int saved = omp_get_max_threads();
        omp_set_num_threads(threads);
        Generator g(5);
        Tensor w = Tensor::randn({300001}, {.generator = &g}).requires_grad_(true);
        const Tensor target = Tensor::randn({300001}, {.generator = &g});
        std::unique_ptr<optim::Optimizer> opt;
        if (adamw)
            opt = std::make_unique<optim::AdamW>(std::vector<Tensor>{w}, optim::AdamWOptions{.lr = 1e-2, .amsgrad = true});
        else
            opt = std::make_unique<optim::Adam>(std::vector<Tensor>{w}, optim::AdamOptions{.lr = 1e-2, .weight_decay = 0.1});
        for (int step = 0; step < 3; ++step) {
            opt->zero_grad();
            ((w - target) * (w - target)).sum().backward();
            opt->step();
        }
        omp_set_num_threads(saved);
        return w.detach().to_vector<float>();
    };
    for (bool adamw : {false, true}) {
        const auto one = run(1, adamw), two = run(2, adamw);
        ASSERT_EQ(one.size(), two.size());
        std::size_t differ = 0;
        for (std::size_t i = 0; i < one.size(); ++i) differ += one[i] != two[i];
        EXPECT_EQ(differ, 0u) << (adamw ? "AdamW" : "Adam");
    }
}
