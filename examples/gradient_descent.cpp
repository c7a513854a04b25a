// The book's three kinds of gradient descent on one model and one data set:
// full batch (batch_size = N), stochastic (batch_size = 1) and mini-batch
// (batch_size = k). Same initial weights, same SGD; only the DataLoader's batch
// size changes — and with it the number of updates per epoch and the noise in
// each step. Ends by checking that each run classifies the points (≥ 95 %).
//
//     ./example_gradient_descent
#include <cmath>
#include <cstdio>
#include <vector>

#include "descent/data/dataloader.hpp"
#include "descent/data/synthetic.hpp"
#include "descent/descent.hpp"
#include "descent/optim/sgd.hpp"

using namespace descent;

namespace {
// The book's network: 2 inputs → 4 tanh units → 1 sigmoid output, weights as nn.Linear initializes them.
std::vector<Tensor> init_params(std::uint64_t seed) {
    Generator g(seed);
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

// Binary cross-entropy, with the probabilities kept off 0 and 1 so the log stays finite.
Tensor bce(const Tensor& prob, const Tensor& target) {
    const Tensor p = clamp(prob, 1e-7, 1.0 - 1e-7);
    return -mean(target * log(p) + (1.0 - target) * log(1.0 - p));
}

double accuracy(const std::vector<Tensor>& p, const data::Points2D& set) {
    NoGradGuard no_grad;
    const Tensor predicted = round(forward(p, set.inputs));
    return mean(eq(predicted, set.binary_targets()).to(kFloat32)).item();
}

struct Run {
    const char* name;
    std::int64_t batch_size;
    int epochs;
    double lr;
};
}  // namespace

int main() {
    const data::Points2D points = data::make_linear(200, {.noise = 0.0, .seed = 1});
    const std::int64_t n = points.inputs.size(0);
    const std::vector<Run> runs = {{"full batch (batch_size = N)", n, 200, 1.0},
                                   {"stochastic (batch_size = 1)", 1, 5, 0.05},
                                   {"mini-batch (batch_size = 20)", 20, 40, 0.3}};
    bool ok = true;
    for (const Run& run : runs) {
        std::vector<Tensor> params = init_params(42);  // the same start for every kind
        optim::SGD optimizer(params, {.lr = run.lr});
        Generator shuffle(7);
        data::DataLoader loader(points.binary_dataset(), {.batch_size = run.batch_size, .shuffle = true, .generator = &shuffle});
        std::int64_t updates = 0;
        for (int epoch = 0; epoch < run.epochs; ++epoch) {
            for (auto [x, y] : loader) {
                Tensor loss = bce(forward(params, x), y);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                ++updates;
            }
        }
        double full_loss;
        {
            NoGradGuard no_grad;
            full_loss = bce(forward(params, points.inputs), points.binary_targets()).item();
        }
        const double acc = accuracy(params, points);
        std::printf("%-30s %3d epochs, %5lld updates (%lld per epoch): loss %.4f, accuracy %.1f%%\n", run.name,
                    run.epochs, static_cast<long long>(updates), static_cast<long long>(loader.size()), full_loss,
                    100.0 * acc);
        ok = ok && acc >= 0.95;
    }
    std::printf(ok ? "OK: every kind of gradient descent learned the split\n" : "FAILED: accuracy below 95%%\n");
    return ok ? 0 : 1;
}
