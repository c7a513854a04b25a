// W3 replay, descent side: trains W3 from the initial parameters and batch order that
// bench/torch_w3_replay.py recorded, writing the loss of every step next to PyTorch's, so the two
// runs can be compared step for step (in float32 they agree to ~1e-7 for the first tens of steps,
// then drift apart as any two summation orders do).
//   bench_w3_replay DIR EPOCHS [own-init] [own-order]
// own-init: descent's own initialization (seed 0) instead of DIR/init.bin; own-order: descent's own
// shuffling (generator seeded 1234) instead of DIR/perm<e>.bin. Losses go to
// DIR/descent_losses[-own-init][-own-order].txt; the test accuracy after each epoch to stdout.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
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

namespace {
std::vector<char> read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("bench_w3_replay: cannot open " + path);
    return {std::istreambuf_iterator<char>(f), {}};
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_w3_replay DIR EPOCHS [own-init] [own-order]\n");
        return 2;
    }
    const std::string dir = argv[1];
    const int epochs = std::atoi(argv[2]);
    bool own_init = false, own_order = false;
    for (int i = 3; i < argc; ++i) {
        own_init |= std::string(argv[i]) == "own-init";
        own_order |= std::string(argv[i]) == "own-order";
    }
    manual_seed(0);
    namespace T = data::transforms;
    const T::Compose transform{{T::ToFloat{}, T::Normalize{.mean = {0.2860}, .std = {0.3530}}}};
    data::FashionMNIST train_set({.train = true, .transform = transform});
    data::DataLoader test_loader(data::FashionMNIST({.train = false, .transform = transform}), {.batch_size = 1000});
    nn::Sequential model(nn::Conv2d(1, 32, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                         nn::Conv2d(32, 64, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                         nn::Linear(3136, 128), nn::ReLU(), nn::Linear(128, 10));
    if (!own_init) {
        const std::vector<char> init = read_all(dir + "/init.bin");
        std::size_t offset = 0;
        for (Tensor& p : model.parameters()) {
            const std::size_t bytes = static_cast<std::size_t>(p.numel()) * sizeof(float);
            if (offset + bytes > init.size()) throw std::runtime_error("bench_w3_replay: init.bin is too short");
            std::memcpy(p.data_ptr<float>(), init.data() + offset, bytes);
            offset += bytes;
        }
    }
    nn::CrossEntropyLoss criterion;
    optim::Adam optimizer(model.parameters(), {.lr = 1e-3});
    const std::int64_t n = train_set.size();
    const std::string losses_path = dir + "/descent_losses" + (own_init ? "-own-init" : "") +
                                    (own_order ? "-own-order" : "") + ".txt";
    std::FILE* losses = std::fopen(losses_path.c_str(), "w");
    Generator order_generator(1234);
    for (int epoch = 0; epoch < epochs; ++epoch) {
        model.train();
        std::vector<std::int64_t> order(static_cast<std::size_t>(n));
        if (own_order) {
            order = data::randperm(n, order_generator);
        } else {
            const std::vector<char> bytes = read_all(dir + "/perm" + std::to_string(epoch) + ".bin");
            if (bytes.size() != order.size() * sizeof(std::int64_t))
                throw std::runtime_error("bench_w3_replay: perm file has the wrong size");
            std::memcpy(order.data(), bytes.data(), bytes.size());
        }
        double total = 0;
        for (std::int64_t start = 0; start < n; start += 128) {
            const std::vector<std::int64_t> batch(order.begin() + start, order.begin() + std::min(n, start + 128));
            const data::Example ex = train_set.get_batch(batch);
            Tensor loss = criterion(model(ex.input), ex.target);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            std::fprintf(losses, "%.7f\n", loss.item());
            total += loss.item() * static_cast<double>(batch.size());
        }
        model.eval();
        std::int64_t correct = 0;
        {
            NoGradGuard no_grad;
            for (auto [x, y] : test_loader) correct += (argmax(model(x), 1) == y).sum().item<std::int64_t>();
        }
        std::printf("epoch %d: train loss %.4f, test accuracy %.4f\n", epoch + 1, total / static_cast<double>(n),
                    static_cast<double>(correct) / 10000.0);
        std::fflush(stdout);
    }
    std::fclose(losses);
    return 0;
}
