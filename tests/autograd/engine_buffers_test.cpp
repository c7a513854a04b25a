// What the engine and the nodes do to spare allocations, checked for their edge cases: the
// per-thread buffers of a backward pass (a pass inside a pass, a pass that throws), backwards
// that write their result over an incoming gradient nobody else holds (not over one that is
// shared, retained or captured), and saved tensors kept without a detached copy (no cycle).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "descent/autograd/node.hpp"
#include "descent/descent.hpp"
#include "descent/nn.hpp"

using namespace descent;

namespace {

// A node whose backward runs another backward (on a graph built beforehand), then passes 3·g on.
struct NestedBackward final : autograd::Node {
    Tensor inner_loss;
    autograd::TensorList apply(autograd::TensorList&& g) override {
        inner_loss.backward();
        return {mul(g[0], 3.0)};
    }
    std::string name() const override { return "NestedBackward"; }
};

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

}  // namespace

TEST(EngineBuffers, BackwardInsideABackwardUsesItsOwnBuffers) {
    Tensor a = Tensor::from({1.0, 2.0}, {}, {.requires_grad = true});
    Tensor x = Tensor::from({1.0, -1.0, 2.0}, {}, {.requires_grad = true});
    auto node = autograd::make_node<NestedBackward>({&x});
    ASSERT_TRUE(node);
    node->inner_loss = sum(mul(a, a));
    Tensor out = mul(x, 1.0).detach();
    autograd::set_history(out, node);
    sum(mul(relu(out), 2.0)).backward();
    EXPECT_EQ(values(a.grad()), (std::vector<double>{2, 4}));
    EXPECT_EQ(values(x.grad()), (std::vector<double>{6, 0, 6}));
}

TEST(EngineBuffers, APassThatThrowsLeavesTheNextOneCorrect) {
    Tensor x = Tensor::from({1.f, 2.f}, {}, {.requires_grad = true});
    Tensor y = sum(mul(sigmoid(x), x));
    y.backward();
    EXPECT_THROW(y.backward(), Error);  // freed graph: thrown in the middle of a pass
    Tensor z = Tensor::from({3.f, 4.f}, {}, {.requires_grad = true});
    sum(mul(z, z)).backward();
    EXPECT_EQ(z.grad().to_vector<float>(), (std::vector<float>{6, 8}));
}

TEST(EngineBuffers, SharedIncomingGradientIsNotOverwritten) {
    // add's backward hands the same gradient to both branches: the first backward to run may
    // not write over it; the second, then its only holder, may.
    const std::vector<double> xs = {-1.0, 0.5, 2.0};
    Tensor x1 = Tensor::from(xs, {}, {.requires_grad = true});
    Tensor x2 = Tensor::from(xs, {}, {.requires_grad = true});
    Tensor w = Tensor::from({1.0, 2.0, 3.0});
    sum(mul(add(relu(x1), sigmoid(x2)), w)).backward();
    const std::vector<double> g1 = values(x1.grad()), g2 = values(x2.grad());
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double s = 1 / (1 + std::exp(-xs[i])), wi = i + 1.0;
        EXPECT_DOUBLE_EQ(g1[i], xs[i] > 0 ? wi : 0.0);
        EXPECT_NEAR(g2[i], wi * s * (1 - s), 1e-15);
    }
}

TEST(EngineBuffers, RetainedAndCapturedGradientsAreNotOverwritten) {
    Tensor x = Tensor::from({-1.0, 2.0, 3.0}, {}, {.requires_grad = true});
    Tensor w = Tensor::from({5.0, 6.0, 7.0});
    Tensor y = tanh(relu(x));
    y.retain_grad();
    sum(mul(y, w)).backward();
    EXPECT_EQ(values(y.grad()), (std::vector<double>{5, 6, 7}));

    Tensor h = sigmoid(x);
    const std::vector<Tensor> g = autograd::grad({sum(mul(relu(h), w))}, {h, x});
    const std::vector<double> gh = values(g[0]);
    EXPECT_EQ(gh, (std::vector<double>{5, 6, 7}));  // relu passes all (h > 0)
    const std::vector<double> hv = values(h), gx = values(g[1]);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(gx[i], gh[i] * hv[i] * (1 - hv[i]), 1e-15);
}

TEST(EngineBuffers, GraphWithoutBackwardIsFreedWithItsSavedTensors) {
    // Saved inputs are kept as they are (no detached copy); outputs are detached: either way no
    // node may keep itself alive.
    nn::Sequential model(nn::Linear(2, 4), nn::ReLU(), nn::Linear(4, 1), nn::Sigmoid());
    std::weak_ptr<autograd::Node> loss_fn, sigmoid_fn;
    {
        const Tensor x = Tensor::randn({8, 2});
        const Tensor p = model(x);
        const Tensor loss = nn::BCELoss()(p, Tensor::ones({8, 1}));
        loss_fn = loss.grad_fn();
        sigmoid_fn = p.grad_fn();
        ASSERT_FALSE(loss_fn.expired());
    }
    EXPECT_TRUE(loss_fn.expired());
    EXPECT_TRUE(sigmoid_fn.expired());
}

TEST(EngineBuffers, InPlaceChangeOfAKeptInputIsStillDetected) {
    Tensor x = Tensor::from({0.2f, 0.7f}, {}, {.requires_grad = true});
    Tensor p = sigmoid(x);  // BCE keeps p itself (it requires grad)
    Tensor loss = nn::BCELoss()(p, Tensor::from({0.f, 1.f}));
    {
        NoGradGuard guard;
        p.detach().mul_(0.5);
    }
    EXPECT_THROW(loss.backward(), Error);
}
