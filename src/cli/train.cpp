// `descent train`: trains a recipe or config on Fashion-MNIST/MNIST; per epoch it
// prints train/test loss, test accuracy, time and samples/s, saves last.safetensors
// (a checkpoint that resumes bit for bit) and best.safetensors (the model's state_dict).
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>

#include "descent/autograd/grad_mode.hpp"
#include "descent/data/dataloader.hpp"
#include "descent/data/mnist.hpp"
#include "descent/data/tensor_dataset.hpp"
#include "descent/io/checkpoint.hpp"
#include "descent/io/safetensors.hpp"
#include "descent/nn.hpp"
#include "descent/optim.hpp"
#include "descent/plot/figure.hpp"
#include "descent/train/metrics.hpp"
#include "descent/train/progress.hpp"
#include "experiment.hpp"
#include "train.hpp"

namespace descent::cli {

namespace fs = std::filesystem;

std::shared_ptr<const data::MNIST> load_split(const TrainSpec& spec, bool train) {
    std::vector<data::transforms::Transform> steps{data::transforms::ToFloat{}};
    if (!spec.mean.empty()) steps.push_back(data::transforms::Normalize{.mean = spec.mean, .std = spec.std});
    data::MNISTOptions options{.root = spec.root, .train = train, .transform = data::transforms::Compose{steps}};
    if (spec.dataset == "mnist") return std::make_shared<data::MNIST>(options);
    return std::make_shared<data::FashionMNIST>(options);
}

std::shared_ptr<const data::Dataset> first_n(std::shared_ptr<const data::Dataset> set, std::int64_t n) {
    if (n <= 0 || n >= set->size()) return set;
    std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
    return std::make_shared<data::Subset>(std::move(set), std::move(idx));
}

namespace {

std::unique_ptr<optim::Optimizer> optimizer_for(const TrainSpec& s, std::vector<Tensor> params) {
    if (s.optimizer == "adam") return std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = s.lr, .weight_decay = s.weight_decay});
    if (s.optimizer == "adamw")
        return std::make_unique<optim::AdamW>(params, optim::AdamWOptions{.lr = s.lr, .weight_decay = s.weight_decay});
    if (s.optimizer == "sgd")
        return std::make_unique<optim::SGD>(params, optim::SGDOptions{.lr = s.lr, .momentum = s.momentum, .weight_decay = s.weight_decay});
    return std::make_unique<optim::RMSprop>(
        params, optim::RMSpropOptions{.lr = s.lr, .weight_decay = s.weight_decay, .momentum = s.momentum});
}

std::unique_ptr<optim::LRScheduler> scheduler_for(const TrainSpec& s, optim::Optimizer& opt) {
    if (s.scheduler.is_null()) return nullptr;
    const std::string type = s.scheduler.at("type").get<std::string>();
    if (type == "step")
        return std::make_unique<optim::StepLR>(
            opt, optim::StepLROptions{.step_size = s.scheduler.at("step_size").get<std::int64_t>(),
                                      .gamma = s.scheduler.value("gamma", 0.1)});
    return std::make_unique<optim::CosineAnnealingLR>(
        opt, optim::CosineAnnealingLROptions{.T_max = s.scheduler.value("T_max", s.epochs),
                                             .eta_min = s.scheduler.value("eta_min", 0.0)});
}

// A one-line bar redrawn on the terminal during an epoch.
void draw_bar(std::int64_t epoch, std::int64_t epochs, std::int64_t batch, std::int64_t batches, double loss) {
    constexpr int width = 30;
    const int filled = static_cast<int>(width * batch / std::max<std::int64_t>(batches, 1));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\rEpoch %lld/%lld [%s] %lld/%lld loss %.4f", static_cast<long long>(epoch),
                 static_cast<long long>(epochs), bar.c_str(), static_cast<long long>(batch),
                 static_cast<long long>(batches), loss);
    std::fflush(stderr);
}

void save_curves(const train::History& history, const fs::path& out) {
    std::vector<double> epochs;
    for (const auto& r : history.records()) epochs.push_back(static_cast<double>(r.epoch));
    plot::Figure loss;
    loss.plot(epochs, history.series(&train::EpochRecord::train_loss), {.label = "train loss"})
        .plot(epochs, history.series(&train::EpochRecord::test_loss), {.label = "test loss"})
        .xlabel("Epoch")
        .ylabel("Cross-entropy loss")
        .title("Loss per epoch");
    loss.save(out / "loss.png");
    plot::Figure acc;
    acc.plot(epochs, history.series(&train::EpochRecord::test_accuracy), {.label = "test accuracy"})
        .xlabel("Epoch")
        .ylabel("Accuracy")
        .title("Test accuracy per epoch");
    acc.save(out / "accuracy.png");
}

}  // namespace

std::pair<double, double> evaluate(nn::Module& model, data::DataLoader& loader, std::vector<std::int64_t>* predictions) {
    NoGradGuard no_grad;
    model.eval();
    nn::CrossEntropyLoss ce({.reduction = nn::Reduction::Sum});
    double loss = 0;
    std::int64_t correct = 0, count = 0;
    for (auto [x, y] : loader) {
        Tensor logits = model(x);
        loss += ce(logits, y).item();
        const auto pred = logits.argmax(1).to_vector<std::int64_t>();
        const auto target = y.to_vector<std::int64_t>();
        for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == target[i];
        count += static_cast<std::int64_t>(pred.size());
        if (predictions) predictions->insert(predictions->end(), pred.begin(), pred.end());
    }
    return {count ? loss / static_cast<double>(count) : 0.0, count ? static_cast<double>(correct) / static_cast<double>(count) : 0.0};
}

int run_train(const TrainArgs& args) {
    std::optional<io::Checkpoint> resumed;
    if (!args.resume.empty()) {
        if (!fs::exists(args.resume)) throw UsageError("--resume: no such file '" + args.resume + "'");
        resumed = io::load_checkpoint(args.resume);
    }
    TrainSpec spec;
    if (!args.recipe.empty() && !args.config.empty()) throw UsageError("give a RECIPE or --config, not both");
    if (!args.config.empty()) {
        spec = load_config_file(args.config);
    } else if (!args.recipe.empty()) {
        spec = recipe(args.recipe);
    } else if (resumed && resumed->metadata.count("config")) {
        spec = parse_config(nlohmann::ordered_json::parse(resumed->metadata.at("config")), args.resume);
    } else {
        throw UsageError("give a RECIPE (" + recipe_names()[0] + ", " + recipe_names()[1] + ") or --config FILE.json");
    }
    if (args.epochs) spec.epochs = *args.epochs;
    if (args.batch_size) spec.batch_size = *args.batch_size;
    if (args.lr) {
        if (!(*args.lr > 0)) throw UsageError("--lr must be > 0");
        spec.lr = *args.lr;
    }
    if (args.seed) spec.seed = *args.seed;
    if (args.limit_train) spec.limit_train = *args.limit_train;
    if (args.limit_test) spec.limit_test = *args.limit_test;
    if (!args.data_root.empty()) spec.root = args.data_root;
    const fs::path out = args.out;
    prepare_output_dir(out);

    manual_seed(spec.seed);  // the initial weights and any dropout draw from the default generator
    auto model = build_model(spec);
    Generator loader_gen(spec.seed);
    auto train_set = first_n(load_split(spec, true), spec.limit_train);
    auto test_set = first_n(load_split(spec, false), spec.limit_test);
    data::DataLoader train_loader(train_set, {.batch_size = spec.batch_size, .shuffle = true, .generator = &loader_gen});
    data::DataLoader test_loader(test_set, {.batch_size = 1000});
    auto optimizer = optimizer_for(spec, model->parameters());
    auto scheduler = scheduler_for(spec, *optimizer);
    nn::CrossEntropyLoss ce;

    train::History history;
    double best = -1;
    std::int64_t start = 0;
    if (resumed) {
        model->load_state_dict(resumed->model);
        optimizer->load_state_dict(resumed->optimizer);
        if (scheduler) scheduler->load_state_dict(resumed->scheduler);
        start = resumed->epoch;
        if (!resumed->generators.count("loader") || !resumed->generators.count("default"))
            throw Error("--resume: checkpoint '" + args.resume + "' has no loader/default generator state");
        loader_gen.set_state(resumed->generators.at("loader"));
        default_generator().set_state(resumed->generators.at("default"));
        if (resumed->metadata.count("history")) history = train::History::from_json(resumed->metadata.at("history"));
        if (resumed->metadata.count("best_accuracy")) best = std::stod(resumed->metadata.at("best_accuracy"));
    }
    const bool bar = !args.quiet && train::is_terminal(std::cerr);
    if (!args.quiet) {
        std::cout << "descent train " << spec.name << ": " << train_set->size() << " training / " << test_set->size()
                  << " test images, " << spec.epochs << " epochs, batch " << spec.batch_size << ", " << spec.optimizer
                  << " lr " << spec.lr << ", seed " << spec.seed;
        if (start > 0) std::cout << ", resumed after epoch " << start;
        std::cout << "\n" << model->to_string() << "\n" << std::flush;
    }
    const std::int64_t batches = train_loader.size();
    for (std::int64_t epoch = start + 1; epoch <= spec.epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        model->train();
        double loss_sum = 0;
        std::int64_t seen = 0, b = 0;
        for (auto [x, y] : train_loader) {
            optimizer->zero_grad();
            Tensor loss = ce((*model)(x), y);
            loss.backward();
            optimizer->step();
            const auto n = y.numel();
            loss_sum += loss.item() * static_cast<double>(n);
            seen += n;
            if (bar && (++b % 5 == 0 || b == batches)) draw_bar(epoch, spec.epochs, b, batches, loss_sum / static_cast<double>(seen));
        }
        if (scheduler) scheduler->step();
        const double train_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto [test_loss, test_acc] = evaluate(*model, test_loader);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double train_loss = seen ? loss_sum / static_cast<double>(seen) : 0.0;
        history.add({.epoch = epoch, .train_loss = train_loss, .test_loss = test_loss, .test_accuracy = test_acc,
                     .seconds = seconds});
        const bool improved = test_acc > best;
        if (improved) best = test_acc;
        if (bar) std::fprintf(stderr, "\r%*s\r", 80, "");
        if (!args.quiet) {
            char line[256];
            std::snprintf(line, sizeof line,
                          "Epoch [%lld/%lld]  train loss %.4f  test loss %.4f  test acc %.4f  time %.1f s (train %.1f s, "
                          "%.0f samples/s)%s",
                          static_cast<long long>(epoch), static_cast<long long>(spec.epochs), train_loss, test_loss,
                          test_acc, seconds, train_seconds, static_cast<double>(seen) / train_seconds,
                          improved ? "  best" : "");
            std::cout << line << std::endl;
        }
        io::Metadata meta{{"config", spec.to_json().dump()},
                          {"history", history.to_json()},
                          {"best_accuracy", std::to_string(best)}};
        if (improved) {
            io::Metadata best_meta{{"config", spec.to_json().dump()}, {"epoch", std::to_string(epoch)},
                                   {"test_accuracy", std::to_string(test_acc)}};
            io::save_safetensors((out / "best.safetensors").string(), model->state_dict(), best_meta);
        }
        io::save_checkpoint((out / "last.safetensors").string(),
                            {.model = model->state_dict(),
                             .optimizer = optimizer->state_dict(),
                             .scheduler = scheduler ? scheduler->state_dict() : StateDict{},
                             .epoch = epoch,
                             .generators = {{"loader", loader_gen.get_state()}, {"default", default_generator().get_state()}},
                             .metadata = meta});
    }
    if (!history.empty()) save_curves(history, out);
    if (!args.quiet)
        std::cout << "best test accuracy " << best << "\nwrote " << (out / "last.safetensors").string() << ", "
                  << (out / "best.safetensors").string() << ", " << (out / "loss.png").string() << ", "
                  << (out / "accuracy.png").string() << "\n";
    else
        std::cout << (out / "best.safetensors").string() << "\n";
    return 0;
}

CLI::App* add_train_command(CLI::App& app, TrainArgs& a) {
    CLI::App* cmd = app.add_subcommand(
        "train", "Train an image classifier on Fashion-MNIST (or MNIST): a built-in RECIPE (fmnist-mlp: W2, "
                 "fmnist-cnn: W3) or --config FILE.json (schema: docs/TRAINING.md). Writes last.safetensors "
                 "(checkpoint), best.safetensors (state_dict), loss.png and accuracy.png into --out");
    cmd->add_option("recipe", a.recipe, "Built-in recipe: fmnist-mlp|fmnist-cnn");
    cmd->add_option("--config", a.config, "JSON config file instead of a recipe")->type_name("FILE.json");
    cmd->add_option("--epochs", a.epochs, "Epochs (overrides the recipe's)")->check(CLI::Range(1, 1000000));
    cmd->add_option("--batch-size", a.batch_size, "Batch size")->check(CLI::Range(1, 100000000));
    cmd->add_option("--lr", a.lr, "Learning rate")->check(CLI::PositiveNumber);
    cmd->add_option("--seed", a.seed, "Seed of the initial weights and the shuffling");
    cmd->add_option("--limit-train", a.limit_train, "Train on the first N training images only")->check(CLI::Range(1, 100000000));
    cmd->add_option("--limit-test", a.limit_test, "Test on the first N test images only")->check(CLI::Range(1, 100000000));
    cmd->add_option("--data-root", a.data_root, "Folder with the IDX files (default: /usr/share/datasets/fashion-mnist)");
    cmd->add_option("--out", a.out, "Output folder")->type_name("DIR")->capture_default_str();
    cmd->add_option("--resume", a.resume, "Continue from a last.safetensors checkpoint")->type_name("CHECKPOINT");
    cmd->add_flag("--quiet,-q", a.quiet, "No progress output: print only the best model's path");
    return cmd;
}

int run_train_or_eval(CLI::App* train, const TrainArgs& train_args, const EvalArgs& eval_args) {
    const std::string name = *train ? "train" : "eval";
    try {
        return *train ? run_train(train_args) : run_eval(eval_args);
    } catch (const UsageError& e) {
        std::cerr << "descent " << name << ": error: " << e.what() << "\nRun 'descent " << name
                  << " --help' for the options.\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "descent " << name << ": error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace descent::cli
