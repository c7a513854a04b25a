// Uses descent as an installed package: a few steps of the book's model and a
// plot, through the public headers only. Exits 0 when the loss went down and the
// picture was written.
#include <cstdio>
#include <filesystem>

#include <descent/descent.hpp>
#include <descent/nn.hpp>
#include <descent/optim/sgd.hpp>
#include <descent/plot/figure.hpp>

using namespace descent;

int main() {
    manual_seed(1);
    Tensor X = Tensor::randn({64, 2});
    Tensor y = (X.select(1, 0) + X.select(1, 1) > 0).to(kFloat32).view({-1, 1});
    auto model = nn::Sequential(nn::Linear(2, 4), nn::ReLU(), nn::Linear(4, 1), nn::Sigmoid());
    nn::BCELoss criterion;
    optim::SGD optimizer(model.parameters(), {.lr = 0.5});
    std::vector<double> losses;
    for (int step = 0; step < 50; ++step) {
        auto loss = criterion(model(X), y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        losses.push_back(loss.item());
    }
    const auto path = std::filesystem::temp_directory_path() / "descent_consumer_loss.png";
    plot::Figure fig;
    fig.plot(losses).title("consumer");
    fig.save(path);
    const bool ok = losses.back() < losses.front() && std::filesystem::file_size(path) > 1000;
    std::filesystem::remove(path);
    std::printf("consumer: loss %.4f -> %.4f: %s\n", losses.front(), losses.back(), ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
