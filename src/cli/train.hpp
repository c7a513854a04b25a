// `descent train` and `descent eval`: image classifiers trained on MNIST-format
// data sets from a built-in recipe (fmnist-mlp, fmnist-cnn: workloads W2, W3) or
// a JSON config (schema in docs/TRAINING.md), with checkpoints that resume bit for bit.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "descent/data/dataloader.hpp"
#include "descent/data/mnist.hpp"
#include "descent/nn/module.hpp"

namespace CLI {
class App;
}

namespace descent::cli {

/// Everything that defines a training run; a recipe or a config file fills it.
struct TrainSpec {
    std::string name;            ///< recipe name or config file
    nlohmann::ordered_json model = nlohmann::ordered_json::array();  ///< the layers, validated
    std::string optimizer = "adam";
    double lr = 1e-3;
    double weight_decay = 0;
    double momentum = 0;  ///< sgd and rmsprop
    nlohmann::ordered_json scheduler;  ///< null: none; else {"type": "step"|"cosine", ...}
    std::string dataset = "fashion-mnist";
    std::string root;  ///< empty: the data set's default folder
    std::vector<double> mean{0.2860}, std{0.3530};
    std::int64_t limit_train = 0, limit_test = 0;  ///< 0: all
    std::int64_t epochs = 10;
    std::int64_t batch_size = 128;
    std::uint64_t seed = 0;

    /// The config-file form of the spec (what parse_config reads back).
    nlohmann::ordered_json to_json() const;
};

/// Names of the built-in recipes.
const std::vector<std::string>& recipe_names();
/// The recipe's spec; an unknown name is a UsageError listing the recipes.
TrainSpec recipe(const std::string& name);
/// Validates a config (schema in docs/TRAINING.md); an unknown key or a bad value is a
/// UsageError naming the key ("model[2].out: ...").
TrainSpec parse_config(const nlohmann::ordered_json& config, const std::string& name);
TrainSpec load_config_file(const std::string& path);
/// The model of the spec, its weights drawn from the default generator.
std::shared_ptr<nn::Sequential> build_model(const TrainSpec& spec);

struct TrainArgs {
    std::string recipe;  ///< or config
    std::string config;
    std::optional<std::int64_t> epochs, batch_size, limit_train, limit_test;
    std::optional<double> lr;
    std::optional<std::uint64_t> seed;
    std::string data_root;
    std::string out = "descent-out/train";
    std::string resume;
    bool quiet = false;
};

struct EvalArgs {
    std::string model;
    std::string recipe;
    std::string config;
    std::string data_root;
    std::optional<std::int64_t> limit_test;
    std::string out = "descent-out/eval";
    std::int64_t grid = 64;  ///< images in the grid
    bool quiet = false;
};

/// Declares the subcommands' options on `app`.
CLI::App* add_train_command(CLI::App& app, TrainArgs& args);
CLI::App* add_eval_command(CLI::App& app, EvalArgs& args);
/// Runs whichever of the two was chosen; exit code (2 for a UsageError, 1 for a failure).
int run_train_or_eval(CLI::App* train, const TrainArgs& train_args, const EvalArgs& eval_args);

/// The spec's data set split (train or test), transformed to float and normalized.
std::shared_ptr<const data::MNIST> load_split(const TrainSpec& spec, bool train);
/// The first n examples of `set` (all of it when n is 0 or too large).
std::shared_ptr<const data::Dataset> first_n(std::shared_ptr<const data::Dataset> set, std::int64_t n);
/// Mean cross-entropy and accuracy of `model` on `loader` (eval mode, no grad); the predicted
/// classes are appended to `predictions` when given.
std::pair<double, double> evaluate(nn::Module& model, data::DataLoader& loader,
                                   std::vector<std::int64_t>* predictions = nullptr);

int run_train(const TrainArgs& args);
int run_eval(const EvalArgs& args);

}  // namespace descent::cli
