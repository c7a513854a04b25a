// The book's first network, line for line from its PyTorch program: 1000 points
// from N(0, 1)², classed by the side of the line x + y = 0, learned by
// Linear(2, 4) → ReLU → Linear(4, 1) → Sigmoid with BCELoss and SGD, then the
// loss curve and the classified points drawn. Usage: example_book [out-dir]
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "descent/descent.hpp"
#include "descent/nn.hpp"
#include "descent/optim/sgd.hpp"
#include "descent/plot/figure.hpp"

using namespace descent;

int main(int argc, char** argv) {
    const std::filesystem::path out = argc > 1 ? argv[1] : ".";

    // Data: X = np.random.randn(1000, 2); y = (X[:, 0] + X[:, 1] > 0)
    manual_seed(0);
    Tensor X = Tensor::randn({1000, 2});
    Tensor y = (X.select(1, 0) + X.select(1, 1) > 0).to(kFloat32).view({-1, 1});

    // Model, loss, optimizer
    auto model = nn::Sequential(nn::Linear(2, 4), nn::ReLU(), nn::Linear(4, 1), nn::Sigmoid());
    nn::BCELoss criterion;
    optim::SGD optimizer(model.parameters(), {.lr = 0.1});

    // Training
    int epochs = 1000;
    std::vector<double> losses;
    for (int epoch = 0; epoch < epochs; ++epoch) {
        auto outputs = model(X);
        auto loss = criterion(outputs, y);

        optimizer.zero_grad();  // clear the gradients
        loss.backward();        // compute the gradients
        optimizer.step();       // update the weights

        losses.push_back(loss.item());
        if ((epoch + 1) % 100 == 0)
            std::printf("Epoch [%d/%d], Loss: %.4f\n", epoch + 1, epochs, loss.item());
    }

    // The loss curve
    plot::Figure loss_plot;
    loss_plot.plot(losses);
    loss_plot.xlabel("Epoch");
    loss_plot.ylabel("Loss");
    loss_plot.title("Training");
    loss_plot.save(out / "loss.png");

    // The results
    Tensor predictions;
    {
        NoGradGuard no_grad;
        predictions = model(X).round();
    }
    plot::Figure points;
    points.scatter(X.select(1, 0), X.select(1, 1), predictions.reshape({-1}));
    points.title("Classified points");
    points.save(out / "classification.png");

    // The example checks its own target (as every example does).
    const double accuracy = (predictions == y).to(kFloat32).mean().item();
    std::printf("Accuracy: %.4f\n", accuracy);
    std::printf("Wrote %s and %s\n", (out / "loss.png").c_str(), (out / "classification.png").c_str());
    return accuracy >= 0.97 ? 0 : 1;
}
