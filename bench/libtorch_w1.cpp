// W1 for LibTorch (Debian's libtorch-dev): the same model, loss, optimizer and loop as
// bench/w1_book.cpp and bench/torch_w1.py, printing the same RESULT lines. The C++ peer shows what
// is left of PyTorch's per-step cost once the Python interpreter is out of the loop.
//   bench_w1_libtorch --batch 1000|32|1 --epochs E --threads k
// Threads: set by bench/run.sh through OMP_NUM_THREADS, OPENBLAS_NUM_THREADS=1 and --threads
// (at::set_num_threads), as for the Python peer.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    std::int64_t batch = 1000, epochs = 1000;
    int threads = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--batch") batch = std::atoll(argv[i + 1]);
        if (a == "--epochs") epochs = std::atoll(argv[i + 1]);
        if (a == "--threads") threads = std::atoi(argv[i + 1]);
    }
    at::set_num_threads(threads);
    // Same generator and draw order as torch_w1.py, so data and initial weights match it.
    torch::manual_seed(0);
    const std::int64_t n = 1000;
    const torch::Tensor X = torch::randn({n, 2});
    const torch::Tensor y = (X.select(1, 0) + X.select(1, 1) > 0).to(torch::kFloat32).view({-1, 1});

    // The layers are built one statement each: as arguments of one call, GCC would construct (and
    // draw the initial weights of) the second Linear first, unlike Python.
    torch::nn::Linear fc1(2, 4);
    torch::nn::Linear fc2(4, 1);
    torch::nn::Sequential model(fc1, torch::nn::ReLU(), fc2, torch::nn::Sigmoid());
    torch::nn::BCELoss criterion;
    torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));

    const auto t0 = std::chrono::steady_clock::now();
    std::int64_t steps = 0;
    double last = 0;
    for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
        for (std::int64_t start = 0; start < n; start += batch) {
            const std::int64_t len = std::min(batch, n - start);
            const torch::Tensor xb = batch >= n ? X : X.narrow(0, start, len);
            const torch::Tensor yb = batch >= n ? y : y.narrow(0, start, len);
            torch::Tensor loss = criterion(model->forward(xb), yb);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            ++steps;
            if (start + batch >= n) last = loss.item<double>();
        }
        if (batch >= n && (epoch + 1) % 100 == 0)
            std::printf("Epoch [%lld/%lld], Loss: %.4f\n", static_cast<long long>(epoch + 1),
                        static_cast<long long>(epochs), last);
    }
    const double loop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double accuracy;
    {
        torch::NoGradGuard no_grad;
        accuracy = (model->forward(X).round() == y).to(torch::kFloat32).mean().item<double>();
    }
    std::printf("RESULT W1 batch%lld_step %.3f us\n", static_cast<long long>(batch), loop_s / steps * 1e6);
    std::printf("RESULT W1 batch%lld_loop %.4f s\n", static_cast<long long>(batch), loop_s);
    std::printf("RESULT W1 batch%lld_final_loss %.4f -\n", static_cast<long long>(batch), last);
    std::printf("RESULT W1 batch%lld_accuracy %.4f -\n", static_cast<long long>(batch), accuracy);
    return 0;
}
