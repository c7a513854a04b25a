// W2 and W3 (../shared/BENCHMARKS.md): Fashion-MNIST, pixels to [0, 1] then normalized
// (mean 0.2860, std 0.3530); the MLP 784-256-128-10 (W2) or the two-conv CNN (W3);
// cross-entropy on logits, Adam lr 1e-3, batch 128, shuffled every epoch.
//   bench_fmnist --model mlp|cnn [--epochs 1] [--limit-train N]
// Threads: OMP_NUM_THREADS. Prints `RESULT W2|W3 ...` lines for bench/run.sh; bench/torch_fmnist.py
// is the PyTorch side, with the same loop. (`descent train fmnist-mlp|fmnist-cnn` is the same
// training with checkpoints, plots and per-epoch test evaluation on top.)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "descent/data/dataloader.hpp"
#include "descent/data/mnist.hpp"
#include "descent/data/tensor_dataset.hpp"
#include "descent/data/transforms.hpp"
#include "descent/descent.hpp"
#include "descent/nn.hpp"
#include "descent/optim/adam.hpp"

using namespace descent;

int main(int argc, char** argv) {
    std::string which = "mlp";
    std::int64_t epochs = 1, limit_train = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--model") which = argv[i + 1];
        if (a == "--epochs") epochs = std::atoll(argv[i + 1]);
        if (a == "--limit-train") limit_train = std::atoll(argv[i + 1]);
    }
    if (which != "mlp" && which != "cnn") {
        std::fprintf(stderr, "bench_fmnist: --model must be mlp or cnn, got %s\n", which.c_str());
        return 2;
    }
    manual_seed(0);
    namespace T = data::transforms;
    const T::Compose transform{{T::ToFloat{}, T::Normalize{.mean = {0.2860}, .std = {0.3530}}}};
    // Batches gathered from the pixel bytes and transformed per batch, as `descent train` does.
    std::shared_ptr<const data::Dataset> train_set =
        std::make_shared<data::FashionMNIST>(data::MNISTOptions{.train = true, .transform = transform});
    if (limit_train > 0 && limit_train < train_set->size()) {
        std::vector<std::int64_t> first(static_cast<std::size_t>(limit_train));
        for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<std::int64_t>(i);
        train_set = std::make_shared<data::Subset>(train_set, first);
    }
    data::DataLoader train_loader(train_set, {.batch_size = 128, .shuffle = true});
    data::DataLoader test_loader(data::FashionMNIST({.train = false, .transform = transform}), {.batch_size = 1000});

    auto model = which == "mlp"
                     ? std::make_unique<nn::Sequential>(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(),
                                                        nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10))
                     : std::make_unique<nn::Sequential>(
                           nn::Conv2d(1, 32, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                           nn::Conv2d(32, 64, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                           nn::Linear(3136, 128), nn::ReLU(), nn::Linear(128, 10));
    nn::CrossEntropyLoss criterion;
    optim::Adam optimizer(model->parameters(), {.lr = 1e-3});
    const char* w = which == "mlp" ? "W2" : "W3";

    const std::int64_t n = train_set->size();
    std::vector<double> epoch_times;
    for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
        model->train();
        const auto t0 = std::chrono::steady_clock::now();
        double total = 0;
        for (auto [x, y] : train_loader) {
            Tensor loss = criterion((*model)(x), y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            total += loss.item() * static_cast<double>(x.size(0));
        }
        epoch_times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        std::printf("epoch %lld: train loss %.4f, %.2f s\n", static_cast<long long>(epoch + 1), total / n,
                    epoch_times.back());
    }
    model->eval();
    std::int64_t correct = 0, seen = 0;
    {
        NoGradGuard no_grad;
        for (auto [x, y] : test_loader) {
            correct += (argmax((*model)(x), 1) == y).sum().item<std::int64_t>();
            seen += x.size(0);
        }
    }
    std::sort(epoch_times.begin(), epoch_times.end());
    std::printf("RESULT %s epoch_s %.3f s\n", w, epoch_times[epoch_times.size() / 2]);
    std::printf("RESULT %s test_accuracy %.4f -\n", w, static_cast<double>(correct) / static_cast<double>(seen));
    return 0;
}
