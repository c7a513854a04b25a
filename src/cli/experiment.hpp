// What `descent demo` and `descent compare` share: the 2-D data sets, the MLP
// built from --hidden/--activation, the optimizers by name with their demo
// learning rates, one training run (full-batch, stochastic or mini-batch) with
// progress and a JSONL log, and the figures drawn from a run.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "descent/data/synthetic.hpp"
#include "descent/nn/module.hpp"
#include "descent/optim/optimizer.hpp"
#include "descent/plot/figure.hpp"
#include "descent/train/log.hpp"
#include "descent/train/progress.hpp"

namespace descent::cli {

/// A bad command line: printed with the command's name, exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Names accepted by --dataset, --activation and --optimizer.
const std::vector<std::string>& dataset_names();
const std::vector<std::string>& activation_names();
const std::vector<std::string>& optimizer_names();

struct DataConfig {
    std::string name = "linear";
    std::int64_t points = 1000;
    std::optional<double> noise;  ///< default: the data set's own (see default_noise)
    std::int64_t classes = 0;     ///< spirals and blobs; 0: 2 arms / 3 blobs
    std::uint64_t seed = 0;
};
double default_noise(const std::string& dataset);
data::Points2D make_data(const DataConfig& config);
/// "linear (1000 points, 2 classes)"
std::string describe(const DataConfig& config, const data::Points2D& points);

struct ModelConfig {
    std::vector<std::int64_t> hidden{4};  ///< the book's one hidden layer of 4
    std::string activation = "relu";
};
/// Linear(2, h1) → act → ... → Linear(hk, out) → Sigmoid for two classes (out = 1, BCELoss),
/// logits for more (out = classes, CrossEntropyLoss). Weights drawn from `init`.
std::shared_ptr<nn::Sequential> make_model(const ModelConfig& config, std::int64_t classes, Generator& init);
/// "Linear(2, 4) → ReLU → Linear(4, 1) → Sigmoid"
std::string describe(const ModelConfig& config, std::int64_t classes);

struct OptimConfig {
    std::string name = "sgd";
    std::optional<double> lr;        ///< default: default_lr(name)
    std::optional<double> momentum;  ///< sgd, momentum, nesterov, rmsprop; default 0.9 for momentum/nesterov, else 0
};
/// Learning rates that train the book's model in 1000 epochs (SGD's is the book's 0.1).
double default_lr(const std::string& optimizer);
bool takes_momentum(const std::string& optimizer);
/// The optimizer with its options validated (UsageError on a bad value).
std::unique_ptr<optim::Optimizer> make_optimizer(const OptimConfig& config, std::vector<Tensor> params);
/// "SGD lr=0.1", "SGD momentum=0.9 lr=0.05", "Adam lr=0.01"
std::string describe(const OptimConfig& config);

struct RunConfig {
    OptimConfig optim;
    std::int64_t batch = 0;  ///< 0: the full data set
    std::int64_t epochs = 1000;
    std::uint64_t seed = 0;  ///< initial weights and shuffling
    std::string name;        ///< the run's name in tables, legends and the log
};
/// "full batch", "batch 32", "stochastic (batch 1)"
std::string describe_batch(std::int64_t batch, std::int64_t points);

struct RunResult {
    std::vector<double> epoch_loss;  ///< mean loss over each epoch's batches
    double final_loss = 0;           ///< loss on the whole data set after training
    double accuracy = 0;
    std::int64_t correct = 0;
    std::int64_t steps = 0;
    double seconds = 0;  ///< training time
    std::shared_ptr<nn::Sequential> model;
    Tensor predicted;  ///< int64 [N]
};

struct RunOutput {
    train::ProgressMode progress = train::ProgressMode::automatic;
    std::int64_t log_every = 100;
    train::JsonlLog* log = nullptr;  ///< one record per logged epoch
};

/// Trains a fresh model (weights from `seed`) on `points`.
RunResult train_run(const data::Points2D& points, const ModelConfig& model, const RunConfig& run,
                    const RunOutput& output);

/// Class probabilities of a model for plot::RegionMap ([M, 1] or softmax [M, k]).
Tensor class_probabilities(nn::Module& model, const Tensor& inputs, std::int64_t classes);

/// The loss curve of one run.
plot::Figure loss_figure(const RunResult& result, const std::string& title);
/// Decision regions, the points coloured by class, mistakes crossed.
plot::Figure classification_figure(const data::Points2D& points, const RunResult& result, const std::string& title,
                                   plot::FigureOptions size = {});

/// Creates `dir` when missing and checks that a file can be written in it (UsageError otherwise).
void prepare_output_dir(const std::filesystem::path& dir);
/// Parses "full", "1", "32" (UsageError otherwise); full = 0.
std::int64_t parse_batch(const std::string& text, std::int64_t points);

}  // namespace descent::cli
