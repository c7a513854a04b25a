// W1 (../shared/BENCHMARKS.md): the book's model, Linear(2,4) → ReLU → Linear(4,1) → Sigmoid,
// BCE loss, SGD lr 0.1, on 1000 points x ~ N(0,1)², label x0 + x1 > 0.
//   bench_w1 --batch 1000 --epochs 1000   full batch (the seed's program)
//   bench_w1 --batch 32 --epochs 100      mini-batches (in order, no shuffle: a per-step overhead test)
//   bench_w1 --batch 1 --epochs 100       plain SGD, one point per step
// Threads: OMP_NUM_THREADS. Prints `RESULT W1 <name> ...` lines for bench/run.sh (bench/torch_w1.py
// is the PyTorch side, with the same loop).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "descent/descent.hpp"
#include "descent/nn.hpp"
#include "descent/optim/sgd.hpp"

using namespace descent;

int main(int argc, char** argv) {
    std::int64_t batch = 1000, epochs = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--batch") batch = std::atoll(argv[i + 1]);
        if (a == "--epochs") epochs = std::atoll(argv[i + 1]);
    }
    manual_seed(0);
    const std::int64_t n = 1000;
    Tensor X = Tensor::randn({n, 2});
    Tensor y = (X.select(1, 0) + X.select(1, 1) > 0).to(kFloat32).view({-1, 1});

    auto model = nn::Sequential(nn::Linear(2, 4), nn::ReLU(), nn::Linear(4, 1), nn::Sigmoid());
    nn::BCELoss criterion;
    optim::SGD optimizer(model.parameters(), {.lr = 0.1});

    const auto t0 = std::chrono::steady_clock::now();
    std::int64_t steps = 0;
    double last = 0;
    for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
        for (std::int64_t start = 0; start < n; start += batch) {
            const std::int64_t len = std::min(batch, n - start);
            const Tensor xb = batch >= n ? X : X.narrow(0, start, len);
            const Tensor yb = batch >= n ? y : y.narrow(0, start, len);
            Tensor loss = criterion(model(xb), yb);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            ++steps;
            if (start + batch >= n) last = loss.item();
        }
        if (batch >= n && (epoch + 1) % 100 == 0)
            std::printf("Epoch [%lld/%lld], Loss: %.4f\n", static_cast<long long>(epoch + 1),
                        static_cast<long long>(epochs), last);
    }
    const double loop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double accuracy;
    {
        NoGradGuard no_grad;
        accuracy = (model(X).round() == y).to(kFloat32).mean().item();
    }
    std::printf("RESULT W1 batch%lld_step %.3f us\n", static_cast<long long>(batch), loop_s / steps * 1e6);
    std::printf("RESULT W1 batch%lld_loop %.4f s\n", static_cast<long long>(batch), loop_s);
    std::printf("RESULT W1 batch%lld_final_loss %.4f -\n", static_cast<long long>(batch), last);
    std::printf("RESULT W1 batch%lld_accuracy %.4f -\n", static_cast<long long>(batch), accuracy);
    return 0;
}
