// Data sets, models, optimizers by name, one training run and its figures, for
// `descent demo` and `descent compare` (src/cli/experiment.hpp).
#include "experiment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "descent/autograd/grad_mode.hpp"
#include "descent/data/dataloader.hpp"
#include "descent/nn.hpp"
#include "descent/ops.hpp"
#include "descent/optim/adadelta.hpp"
#include "descent/optim/adagrad.hpp"
#include "descent/optim/adam.hpp"
#include "descent/optim/adamax.hpp"
#include "descent/optim/adamw.hpp"
#include "descent/optim/nadam.hpp"
#include "descent/optim/radam.hpp"
#include "descent/optim/rmsprop.hpp"
#include "descent/optim/sgd.hpp"

namespace descent::cli {

namespace {
std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}
}  // namespace

const std::vector<std::string>& dataset_names() {
    static const std::vector<std::string> names = {"linear", "xor", "moons", "circles", "spirals", "blobs"};
    return names;
}
const std::vector<std::string>& activation_names() {
    static const std::vector<std::string> names = {"relu", "tanh", "sigmoid", "leaky_relu", "gelu"};
    return names;
}
const std::vector<std::string>& optimizer_names() {
    static const std::vector<std::string> names = {"sgd",  "momentum", "nesterov", "adam",  "adamw", "rmsprop",
                                                   "adagrad", "adadelta", "adamax", "nadam", "radam"};
    return names;
}

// ---- data ------------------------------------------------------------------------------------
double default_noise(const std::string& dataset) {
    static const std::map<std::string, double> noise = {{"linear", 0.0}, {"xor", 0.0},     {"moons", 0.1},
                                                        {"circles", 0.05}, {"spirals", 0.03}, {"blobs", 0.0}};
    const auto it = noise.find(dataset);
    return it == noise.end() ? 0.0 : it->second;
}

data::Points2D make_data(const DataConfig& c) {
    if (c.points < 4) throw UsageError("--points must be at least 4, got " + std::to_string(c.points));
    const double noise = c.noise.value_or(default_noise(c.name));
    if (!(noise >= 0)) throw UsageError("--noise must be ≥ 0, got " + number(noise));
    const bool takes_classes = c.name == "spirals" || c.name == "blobs";
    if (c.classes != 0 && !takes_classes)
        throw UsageError("--classes applies to spirals and blobs only; " + c.name + " has 2 classes");
    if (c.classes != 0 && (c.classes < 2 || c.classes > 10))
        throw UsageError("--classes must be between 2 and 10, got " + std::to_string(c.classes));
    const data::SyntheticOptions o{.noise = noise, .seed = c.seed};
    if (c.name == "linear") return data::make_linear(c.points, o);
    if (c.name == "xor") return data::make_xor(c.points, o);
    if (c.name == "moons") return data::make_moons(c.points, o);
    if (c.name == "circles") return data::make_circles(c.points, 0.5, o);
    if (c.name == "spirals") return data::make_spirals(c.points, c.classes ? c.classes : 2, o);
    if (c.name == "blobs") return data::make_blobs(c.points, c.classes ? c.classes : 3, 0.5, o);
    throw UsageError("unknown data set '" + c.name + "'");
}

std::string describe(const DataConfig& c, const data::Points2D& points) {
    return c.name + " (" + std::to_string(points.inputs.size(0)) + " points, " + std::to_string(points.num_classes) +
           " classes)";
}

// ---- model -----------------------------------------------------------------------------------
namespace {
void add_activation(nn::Sequential& s, const std::string& name) {
    if (name == "relu") s.push_back(nn::ReLU());
    else if (name == "tanh") s.push_back(nn::Tanh());
    else if (name == "sigmoid") s.push_back(nn::Sigmoid());
    else if (name == "leaky_relu") s.push_back(nn::LeakyReLU());
    else if (name == "gelu") s.push_back(nn::GELU());
    else throw UsageError("unknown activation '" + name + "'");
}
std::string activation_title(const std::string& name) {
    static const std::map<std::string, std::string> t = {
        {"relu", "ReLU"}, {"tanh", "Tanh"}, {"sigmoid", "Sigmoid"}, {"leaky_relu", "LeakyReLU"}, {"gelu", "GELU"}};
    const auto it = t.find(name);
    return it == t.end() ? name : it->second;
}
}  // namespace

std::shared_ptr<nn::Sequential> make_model(const ModelConfig& c, std::int64_t classes, Generator& init) {
    for (std::int64_t h : c.hidden)
        if (h <= 0 || h > 4096) throw UsageError("--hidden sizes must be in [1, 4096], got " + std::to_string(h));
    auto model = std::make_shared<nn::Sequential>();
    std::int64_t in = 2;
    for (std::int64_t h : c.hidden) {
        model->push_back(nn::Linear(in, h, {.generator = &init}));
        add_activation(*model, c.activation);
        in = h;
    }
    if (classes == 2) {
        model->push_back(nn::Linear(in, 1, {.generator = &init}));
        model->push_back(nn::Sigmoid());
    } else {
        model->push_back(nn::Linear(in, classes, {.generator = &init}));
    }
    return model;
}

std::string describe(const ModelConfig& c, std::int64_t classes) {
    std::string s;
    std::int64_t in = 2;
    for (std::int64_t h : c.hidden) {
        s += "Linear(" + std::to_string(in) + ", " + std::to_string(h) + ") → " + activation_title(c.activation) + " → ";
        in = h;
    }
    s += "Linear(" + std::to_string(in) + ", " + std::to_string(classes == 2 ? 1 : classes) + ")";
    return s + (classes == 2 ? " → Sigmoid" : " (logits)");
}

// ---- optimizers ------------------------------------------------------------------------------
double default_lr(const std::string& o) {
    static const std::map<std::string, double> lr = {
        {"sgd", 0.1},      {"momentum", 0.05}, {"nesterov", 0.05}, {"adam", 0.01},  {"adamw", 0.01}, {"rmsprop", 0.01},
        {"adagrad", 0.1},  {"adadelta", 1.0},  {"adamax", 0.02},   {"nadam", 0.01}, {"radam", 0.01}};
    const auto it = lr.find(o);
    return it == lr.end() ? 0.01 : it->second;
}

bool takes_momentum(const std::string& o) {
    return o == "sgd" || o == "momentum" || o == "nesterov" || o == "rmsprop";
}

namespace {
double momentum_of(const OptimConfig& c) {
    return c.momentum.value_or(c.name == "momentum" || c.name == "nesterov" ? 0.9 : 0.0);
}
}  // namespace

std::unique_ptr<optim::Optimizer> make_optimizer(const OptimConfig& c, std::vector<Tensor> params) {
    const double lr = c.lr.value_or(default_lr(c.name));
    if (!(lr > 0) || !std::isfinite(lr)) throw UsageError("--lr must be positive, got " + number(lr));
    const double m = momentum_of(c);
    if (!(m >= 0) || !(m < 1)) throw UsageError("--momentum must be in [0, 1), got " + number(m));
    if (c.name == "nesterov" && m == 0) throw UsageError("nesterov needs a momentum > 0");
    try {
        if (c.name == "sgd" || c.name == "momentum")
            return std::make_unique<optim::SGD>(std::move(params), optim::SGDOptions{.lr = lr, .momentum = m});
        if (c.name == "nesterov")
            return std::make_unique<optim::SGD>(std::move(params),
                                                optim::SGDOptions{.lr = lr, .momentum = m, .nesterov = true});
        if (c.name == "adam") return std::make_unique<optim::Adam>(std::move(params), optim::AdamOptions{.lr = lr});
        if (c.name == "adamw") return std::make_unique<optim::AdamW>(std::move(params), optim::AdamWOptions{.lr = lr});
        if (c.name == "rmsprop")
            return std::make_unique<optim::RMSprop>(std::move(params), optim::RMSpropOptions{.lr = lr, .momentum = m});
        if (c.name == "adagrad")
            return std::make_unique<optim::Adagrad>(std::move(params), optim::AdagradOptions{.lr = lr});
        if (c.name == "adadelta")
            return std::make_unique<optim::Adadelta>(std::move(params), optim::AdadeltaOptions{.lr = lr});
        if (c.name == "adamax") return std::make_unique<optim::Adamax>(std::move(params), optim::AdamaxOptions{.lr = lr});
        if (c.name == "nadam") return std::make_unique<optim::NAdam>(std::move(params), optim::NAdamOptions{.lr = lr});
        if (c.name == "radam") return std::make_unique<optim::RAdam>(std::move(params), optim::RAdamOptions{.lr = lr});
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    throw UsageError("unknown optimizer '" + c.name + "'");
}

std::string describe(const OptimConfig& c) {
    const double lr = c.lr.value_or(default_lr(c.name));
    const double m = momentum_of(c);
    static const std::map<std::string, std::string> title = {
        {"sgd", "SGD"},         {"momentum", "SGD"},      {"nesterov", "SGD nesterov"}, {"adam", "Adam"},
        {"adamw", "AdamW"},     {"rmsprop", "RMSprop"},   {"adagrad", "Adagrad"},       {"adadelta", "Adadelta"},
        {"adamax", "Adamax"},   {"nadam", "NAdam"},       {"radam", "RAdam"}};
    const auto it = title.find(c.name);
    std::string s = it == title.end() ? c.name : it->second;
    if (takes_momentum(c.name) && m > 0) s += " momentum=" + number(m);
    return s + " lr=" + number(lr);
}

std::string describe_batch(std::int64_t batch, std::int64_t points) {
    if (batch == 0 || batch >= points) return "full batch";
    if (batch == 1) return "stochastic (batch 1)";
    return "batch " + std::to_string(batch);
}

// ---- training --------------------------------------------------------------------------------
Tensor class_probabilities(nn::Module& model, const Tensor& inputs, std::int64_t classes) {
    Tensor out = model(inputs);
    return classes == 2 ? out : softmax(out, 1);
}

namespace {
struct Evaluation {
    double loss = 0;
    std::int64_t correct = 0;
    Tensor predicted;
};

Evaluation evaluate(nn::Module& model, const data::Points2D& points) {
    NoGradGuard no_grad;
    Evaluation e;
    const Tensor out = model(points.inputs);
    if (points.num_classes == 2) {
        e.loss = nn::BCELoss()(out, points.binary_targets()).item();
        e.predicted = out.round().reshape({-1}).to(kInt64);  // the book's predictions: round(p)
    } else {
        e.loss = nn::CrossEntropyLoss()(out, points.labels).item();
        e.predicted = out.argmax(1);
    }
    e.correct = eq(e.predicted, points.labels).to(kInt64).sum().item<std::int64_t>();
    return e;
}
}  // namespace

RunResult train_run(const data::Points2D& points, const ModelConfig& model_config, const RunConfig& run,
                    const RunOutput& output) {
    const std::int64_t n = points.inputs.size(0);
    const std::int64_t batch = run.batch == 0 ? n : run.batch;
    if (run.epochs <= 0) throw UsageError("--epochs must be positive, got " + std::to_string(run.epochs));
    if (batch <= 0 || batch > n)
        throw UsageError("--batch " + std::to_string(batch) + " is larger than the data set (" + std::to_string(n) +
                         " points)");
    RunResult r;
    Generator init(run.seed);
    r.model = make_model(model_config, points.num_classes, init);
    nn::Sequential& model = *r.model;
    auto optimizer = make_optimizer(run.optim, model.parameters());

    const bool binary = points.num_classes == 2;
    Generator shuffle(run.seed ^ 0x5eedULL);
    // Full batch keeps the data's order, as the book's loop does; smaller batches reshuffle every epoch.
    data::DataLoader loader(binary ? points.binary_dataset() : points.dataset(),
                            {.batch_size = batch, .shuffle = batch < n, .generator = &shuffle});
    nn::BCELoss bce;
    nn::CrossEntropyLoss cross_entropy;
    train::Progress progress({.epochs = run.epochs, .log_every = output.log_every, .mode = output.progress,
                              .label = run.name},
                             std::cout);
    const auto start = std::chrono::steady_clock::now();
    double excluded = 0;  // seconds spent on evaluation for the log, not training
    for (std::int64_t epoch = 0; epoch < run.epochs; ++epoch) {
        double sum = 0;
        std::int64_t seen = 0;
        for (auto [input, target] : loader) {
            Tensor loss = binary ? bce(model(input), target) : cross_entropy(model(input), target);
            optimizer->zero_grad();
            loss.backward();
            optimizer->step();
            ++r.steps;
            sum += loss.item() * input.size(0);
            seen += input.size(0);
        }
        r.epoch_loss.push_back(sum / seen);
        const bool logged = (epoch + 1) % output.log_every == 0 || epoch + 1 == run.epochs;
        std::optional<double> accuracy;
        if (logged && (output.log || progress.mode() == train::ProgressMode::bar)) {
            const auto t0 = std::chrono::steady_clock::now();
            accuracy = static_cast<double>(evaluate(model, points).correct) / n;
            excluded += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        progress.update(epoch + 1, r.epoch_loss.back(), accuracy);
        if (logged && output.log) {
            train::LogRecord rec;
            if (!run.name.empty()) rec.emplace_back("run", run.name);
            rec.emplace_back("epoch", epoch + 1);
            rec.emplace_back("epochs", run.epochs);
            rec.emplace_back("loss", r.epoch_loss.back());
            rec.emplace_back("accuracy", *accuracy);
            rec.emplace_back("steps", r.steps);
            rec.emplace_back("lr", optimizer->lr());
            rec.emplace_back("time_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            output.log->write(rec);
        }
        if (!std::isfinite(r.epoch_loss.back())) break;  // diverged: the rest would be NaN too
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() - excluded;
    progress.finish();
    const Evaluation e = evaluate(model, points);
    r.final_loss = e.loss;
    r.correct = e.correct;
    r.accuracy = static_cast<double>(e.correct) / n;
    r.predicted = e.predicted;
    return r;
}

// ---- figures ---------------------------------------------------------------------------------
plot::Figure loss_figure(const RunResult& result, const std::string& title) {
    std::vector<double> epochs(result.epoch_loss.size());
    for (std::size_t i = 0; i < epochs.size(); ++i) epochs[i] = static_cast<double>(i + 1);
    plot::Figure fig;
    fig.plot(epochs, result.epoch_loss).xlabel("Epoch").ylabel("Loss").title(title);
    return fig;
}

plot::Figure classification_figure(const data::Points2D& points, const RunResult& result, const std::string& title,
                                   plot::FigureOptions size) {
    plot::Figure fig(size);
    nn::Sequential& model = *result.model;
    const std::int64_t classes = points.num_classes;
    const double small = std::min(size.width, size.height) < 500 ? 0.7 : 1.0;
    const double radius = (points.inputs.size(0) > 1500 ? 3.0 : 4.0) * small;
    fig.decision_regions([&](const Tensor& grid) { return class_probabilities(model, grid, classes); },
                         plot::Bounds::around(points.inputs))
        .scatter(points.inputs.select(1, 0), points.inputs.select(1, 1), points.labels,
                 {.predicted = result.predicted, .size = radius})
        .xlabel("x₀")
        .ylabel("x₁")
        .title(title);
    return fig;
}

// ---- command-line helpers --------------------------------------------------------------------
void prepare_output_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir))
        throw UsageError("cannot create the output folder '" + dir.string() + "': " +
                         (ec ? ec.message() : "a file of that name exists"));
    const auto probe = dir / ".descent-write-test";
    {
        std::ofstream out(probe);
        out << "ok";
        if (!out.good()) throw UsageError("the output folder '" + dir.string() + "' is not writable");
    }
    std::filesystem::remove(probe, ec);
}

std::int64_t parse_batch(const std::string& text, std::int64_t points) {
    if (text == "full") return 0;
    std::size_t used = 0;
    long long v = 0;
    try {
        v = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty())
        throw UsageError("--batch must be 'full' or a positive number, got '" + text + "'");
    if (v <= 0) throw UsageError("--batch must be positive, got " + text);
    if (v > points)
        throw UsageError("--batch " + text + " is larger than the data set (" + std::to_string(points) + " points)");
    return v == points ? 0 : v;
}

}  // namespace descent::cli
