// The book's three kinds of gradient descent — full batch (batch_size = N),
// stochastic (1) and mini-batch (k) — on the same model, data and initial weights:
// each makes N / batch_size updates per epoch and each learns the linear split.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/data/dataloader.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/descent.hpp"
#include "descent/optim/sgd.hpp"

namespace {
using namespace descent;

std::vector<Tensor> init_params() {
    Generator g(42);
    auto uniform = [&](const Shape& shape, double fan_in) {
        const double bound = 1.0 / std::sqrt(fan_in);
        Tensor t = Tensor::empty(shape);
        t.uniform_(-bound, bound, &g);
        return t.requires_grad_(true);
    };
    return {uniform({4, 2}, 2), uniform({4}, 2), uniform({1, 4}, 4), uniform({1}, 4)};
}

Tensor forward(const std::vector<Tensor>& p, const Tensor& x) {
    return sigmoid(linear(tanh(linear(x, p[0], p[1])), p[2], p[3]));
}

Tensor bce(const Tensor& prob, const Tensor& target) {
    const Tensor p = clamp(prob, 1e-7, 1.0 - 1e-7);
    return -mean(target * log(p) + (1.0 - target) * log(1.0 - p));
}

struct Outcome {
    std::int64_t updates = 0;
    double initial_loss = 0, final_loss = 0, accuracy = 0;
};

Outcome train(const data::Points2D& points, std::int64_t batch_size, int epochs, double lr) {
    std::vector<Tensor> params = init_params();
    optim::SGD optimizer(params, {.lr = lr});
    Generator shuffle(7);
    data::DataLoader loader(points.binary_dataset(), {.batch_size = batch_size, .shuffle = true, .generator = &shuffle});
    Outcome out;
    auto full_loss = [&] {
        NoGradGuard no_grad;
        return bce(forward(params, points.inputs), points.binary_targets()).item();
    };
    out.initial_loss = full_loss();
    for (int e = 0; e < epochs; ++e)
        for (auto [x, y] : loader) {
            EXPECT_LE(x.size(0), batch_size);
            Tensor loss = bce(forward(params, x), y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            ++out.updates;
        }
    out.final_loss = full_loss();
    NoGradGuard no_grad;
    out.accuracy = mean(eq(round(forward(params, points.inputs)), points.binary_targets()).to(kFloat32)).item();
    return out;
}

TEST(GradientDescent, FullBatchStochasticAndMiniBatchAllLearnTheSplit) {
    const data::Points2D points = data::make_linear(200, {.seed = 1});
    const Outcome full = train(points, 200, 200, 1.0);
    const Outcome stochastic = train(points, 1, 5, 0.05);
    const Outcome mini = train(points, 20, 40, 0.3);
    EXPECT_EQ(full.updates, 200);          // 1 update per epoch
    EXPECT_EQ(stochastic.updates, 5 * 200);  // N updates per epoch
    EXPECT_EQ(mini.updates, 40 * 10);      // N / k updates per epoch
    for (const Outcome* o : {&full, &stochastic, &mini}) {
        EXPECT_DOUBLE_EQ(o->initial_loss, full.initial_loss);  // same model, same start
        EXPECT_LT(o->final_loss, 0.5 * o->initial_loss);
        EXPECT_GE(o->accuracy, 0.95);
    }
}

}  // namespace
