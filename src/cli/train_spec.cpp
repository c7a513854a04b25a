// The specs of `descent train`: the built-in recipes (workloads W2 and W3 of
// BENCHMARKS.md), the JSON config's validation (every error names its key) and
// the Sequential model a spec describes.
#include <fstream>
#include <set>
#include <sstream>

#include "descent/nn.hpp"
#include "experiment.hpp"
#include "train.hpp"

namespace descent::cli {

using json = nlohmann::ordered_json;

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& message) {
    throw UsageError(key + ": " + message);
}

std::string list(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

// Rejects keys outside `allowed` (naming the first unknown one and what is allowed).
void only_keys(const json& object, const std::string& where, const std::vector<std::string>& allowed) {
    if (!object.is_object()) bad(where, "expected a JSON object, got " + object.dump());
    for (const auto& [key, value] : object.items()) {
        (void)value;
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            bad(where.empty() ? key : where + "." + key, "unknown key (allowed here: " + list(allowed) + ")");
    }
}

std::string child(const std::string& where, const std::string& key) { return where.empty() ? key : where + "." + key; }

std::int64_t get_int(const json& object, const std::string& where, const std::string& key, std::optional<std::int64_t> fallback,
                     std::int64_t min = 1) {
    if (!object.contains(key)) {
        if (!fallback) bad(child(where, key), "required");
        return *fallback;
    }
    const json& v = object.at(key);
    if (!v.is_number_integer()) bad(child(where, key), "expected an integer, got " + v.dump());
    const auto n = v.get<std::int64_t>();
    if (n < min) bad(child(where, key), "must be at least " + std::to_string(min) + ", got " + v.dump());
    return n;
}

double get_number(const json& object, const std::string& where, const std::string& key, double fallback, double min,
                  bool min_exclusive, double max = 1e300) {
    if (!object.contains(key)) return fallback;
    const json& v = object.at(key);
    if (!v.is_number()) bad(child(where, key), "expected a number, got " + v.dump());
    const double x = v.get<double>();
    if (!(min_exclusive ? x > min : x >= min) || !(x <= max))
        bad(child(where, key), "out of range (" + std::string(min_exclusive ? "> " : ">= ") + std::to_string(min) +
                                   "), got " + v.dump());
    return x;
}

bool get_bool(const json& object, const std::string& where, const std::string& key, bool fallback) {
    if (!object.contains(key)) return fallback;
    if (!object.at(key).is_boolean()) bad(child(where, key), "expected true or false, got " + object.at(key).dump());
    return object.at(key).get<bool>();
}

std::string get_string(const json& object, const std::string& where, const std::string& key, const std::string& fallback,
                       const std::vector<std::string>& choices = {}) {
    if (!object.contains(key)) return fallback;
    const json& v = object.at(key);
    if (!v.is_string()) bad(child(where, key), "expected a string, got " + v.dump());
    auto s = v.get<std::string>();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), s) == choices.end())
        bad(child(where, key), "unknown value '" + s + "' (one of: " + list(choices) + ")");
    return s;
}

// The keys each layer type takes besides "type".
const std::vector<std::pair<std::string, std::vector<std::string>>>& layer_keys() {
    static const std::vector<std::pair<std::string, std::vector<std::string>>> keys{
        {"Linear", {"in", "out", "bias"}},
        {"Conv2d", {"in", "out", "kernel", "stride", "padding", "dilation", "groups", "bias"}},
        {"MaxPool2d", {"kernel", "stride", "padding"}},
        {"AvgPool2d", {"kernel", "stride", "padding"}},
        {"AdaptiveAvgPool2d", {"size"}},
        {"BatchNorm1d", {"features"}},
        {"BatchNorm2d", {"features"}},
        {"Flatten", {}},
        {"ReLU", {}},
        {"LeakyReLU", {"negative_slope"}},
        {"Tanh", {}},
        {"Sigmoid", {}},
        {"GELU", {}},
        {"Dropout", {"p"}},
        {"Dropout2d", {"p"}},
    };
    return keys;
}

void check_layer(const json& layer, const std::string& where) {
    if (!layer.is_object()) bad(where, "expected a layer object like {\"type\": \"Linear\", \"in\": 784, \"out\": 256}");
    if (!layer.contains("type")) bad(where + ".type", "required");
    std::vector<std::string> types;
    for (const auto& [t, k] : layer_keys()) types.push_back(t);
    const std::string type = get_string(layer, where, "type", "", types);
    std::vector<std::string> allowed{"type"};
    for (const auto& [t, k] : layer_keys())
        if (t == type) allowed.insert(allowed.end(), k.begin(), k.end());
    only_keys(layer, where, allowed);
    // Validate every value now so training never starts with a bad model.
    if (type == "Linear" || type == "Conv2d") {
        get_int(layer, where, "in", std::nullopt);
        get_int(layer, where, "out", std::nullopt);
        get_bool(layer, where, "bias", true);
    }
    if (type == "Conv2d") {
        get_int(layer, where, "kernel", std::nullopt);
        get_int(layer, where, "stride", 1);
        get_int(layer, where, "padding", 0, 0);
        get_int(layer, where, "dilation", 1);
        get_int(layer, where, "groups", 1);
    }
    if (type == "MaxPool2d" || type == "AvgPool2d") {
        get_int(layer, where, "kernel", std::nullopt);
        get_int(layer, where, "stride", 1);
        get_int(layer, where, "padding", 0, 0);
    }
    if (type == "AdaptiveAvgPool2d") get_int(layer, where, "size", std::nullopt);
    if (type == "BatchNorm1d" || type == "BatchNorm2d") get_int(layer, where, "features", std::nullopt);
    if (type == "LeakyReLU") get_number(layer, where, "negative_slope", 0.01, 0, false);
    if (type == "Dropout" || type == "Dropout2d") get_number(layer, where, "p", 0.5, 0, false, 1);
}

json layer(const std::string& type, json fields = json::object()) {
    json l{{"type", type}};
    for (const auto& [k, v] : fields.items()) l[k] = v;
    return l;
}

}  // namespace

json TrainSpec::to_json() const {
    json j;
    j["model"] = model;
    j["optimizer"] = {{"type", optimizer}, {"lr", lr}, {"weight_decay", weight_decay}};
    if (optimizer == "sgd" || optimizer == "rmsprop") j["optimizer"]["momentum"] = momentum;
    if (!scheduler.is_null()) j["scheduler"] = scheduler;
    j["data"] = {{"dataset", dataset}};
    if (mean.empty())
        j["data"]["normalize"] = nullptr;
    else
        j["data"]["normalize"] = {{"mean", mean[0]}, {"std", std[0]}};
    if (!root.empty()) j["data"]["root"] = root;
    if (limit_train > 0) j["data"]["limit_train"] = limit_train;
    if (limit_test > 0) j["data"]["limit_test"] = limit_test;
    j["epochs"] = epochs;
    j["batch_size"] = batch_size;
    j["seed"] = seed;
    return j;
}

const std::vector<std::string>& recipe_names() {
    static const std::vector<std::string> names{"fmnist-mlp", "fmnist-cnn"};
    return names;
}

TrainSpec recipe(const std::string& name) {
    TrainSpec s;
    s.name = name;
    if (name == "fmnist-mlp") {
        s.model = json::array({layer("Flatten"), layer("Linear", {{"in", 784}, {"out", 256}}), layer("ReLU"),
                               layer("Linear", {{"in", 256}, {"out", 128}}), layer("ReLU"),
                               layer("Linear", {{"in", 128}, {"out", 10}})});
        s.epochs = 10;
    } else if (name == "fmnist-cnn") {
        s.model = json::array({layer("Conv2d", {{"in", 1}, {"out", 32}, {"kernel", 3}, {"padding", 1}}), layer("ReLU"),
                               layer("MaxPool2d", {{"kernel", 2}}),
                               layer("Conv2d", {{"in", 32}, {"out", 64}, {"kernel", 3}, {"padding", 1}}), layer("ReLU"),
                               layer("MaxPool2d", {{"kernel", 2}}), layer("Flatten"),
                               layer("Linear", {{"in", 3136}, {"out", 128}}), layer("ReLU"),
                               layer("Linear", {{"in", 128}, {"out", 10}})});
        s.epochs = 5;
    } else {
        throw UsageError("unknown recipe '" + name + "' (built-in recipes: " + list(recipe_names()) +
                         "; or give --config FILE.json)");
    }
    return s;
}

TrainSpec parse_config(const json& config, const std::string& name) {
    TrainSpec s;
    s.name = name;
    only_keys(config, "", {"model", "optimizer", "scheduler", "data", "epochs", "batch_size", "seed"});
    if (!config.contains("model")) bad("model", "required (a list of layers)");
    const json& model = config.at("model");
    if (!model.is_array() || model.empty()) bad("model", "expected a non-empty list of layers, got " + model.dump());
    for (std::size_t i = 0; i < model.size(); ++i) check_layer(model[i], "model[" + std::to_string(i) + "]");
    s.model = model;

    if (config.contains("optimizer")) {
        const json& o = config.at("optimizer");
        only_keys(o, "optimizer", {"type", "lr", "weight_decay", "momentum"});
        s.optimizer = get_string(o, "optimizer", "type", "adam", {"adam", "adamw", "sgd", "rmsprop"});
        s.lr = get_number(o, "optimizer", "lr", s.optimizer == "rmsprop" ? 1e-2 : 1e-3, 0, true);
        s.weight_decay = get_number(o, "optimizer", "weight_decay", s.optimizer == "adamw" ? 1e-2 : 0, 0, false);
        if (o.contains("momentum") && s.optimizer != "sgd" && s.optimizer != "rmsprop")
            bad("optimizer.momentum", "only sgd and rmsprop take a momentum");
        s.momentum = get_number(o, "optimizer", "momentum", 0, 0, false, 0.999999);
    }
    s.epochs = get_int(config, "", "epochs", s.epochs);
    s.batch_size = get_int(config, "", "batch_size", s.batch_size);
    s.seed = static_cast<std::uint64_t>(get_int(config, "", "seed", 0, 0));
    if (config.contains("scheduler") && !config.at("scheduler").is_null()) {
        const json& sc = config.at("scheduler");
        if (!sc.is_object()) bad("scheduler", "expected an object like {\"type\": \"step\", \"step_size\": 2}");
        const std::string type = get_string(sc, "scheduler", "type", "", {"step", "cosine"});
        if (type.empty()) bad("scheduler.type", "required (step or cosine)");
        if (type == "step") {
            only_keys(sc, "scheduler", {"type", "step_size", "gamma"});
            get_int(sc, "scheduler", "step_size", std::nullopt);
            get_number(sc, "scheduler", "gamma", 0.1, 0, true);
        } else {
            only_keys(sc, "scheduler", {"type", "T_max", "eta_min"});
            get_int(sc, "scheduler", "T_max", s.epochs);
            get_number(sc, "scheduler", "eta_min", 0, 0, false);
        }
        s.scheduler = sc;
    }
    if (config.contains("data")) {
        const json& d = config.at("data");
        only_keys(d, "data", {"dataset", "root", "normalize", "limit_train", "limit_test"});
        s.dataset = get_string(d, "data", "dataset", "fashion-mnist", {"fashion-mnist", "mnist"});
        s.root = get_string(d, "data", "root", "");
        if (s.dataset == "mnist" && s.root.empty()) bad("data.root", "required for mnist (Debian does not package it)");
        s.limit_train = get_int(d, "data", "limit_train", 0, 0);
        s.limit_test = get_int(d, "data", "limit_test", 0, 0);
        if (d.contains("normalize")) {
            const json& n = d.at("normalize");
            if (n.is_null()) {
                s.mean.clear();
                s.std.clear();
            } else {
                only_keys(n, "data.normalize", {"mean", "std"});
                if (!n.contains("mean") || !n.contains("std")) bad("data.normalize", "needs both mean and std");
                s.mean = {get_number(n, "data.normalize", "mean", 0, -1e300, false)};
                s.std = {get_number(n, "data.normalize", "std", 1, 0, true)};
            }
        } else if (s.dataset == "mnist") {
            s.mean = {0.1307};  // torchvision's MNIST example values
            s.std = {0.3081};
        }
    }
    return s;
}

TrainSpec load_config_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError("cannot read config file '" + path + "'");
    json config;
    try {
        config = json::parse(in);
    } catch (const json::parse_error& e) {
        throw UsageError("config file '" + path + "' is not valid JSON: " + e.what());
    }
    try {
        return parse_config(config, path);
    } catch (const UsageError& e) {
        throw UsageError("config file '" + path + "': " + e.what());
    }
}

std::shared_ptr<nn::Sequential> build_model(const TrainSpec& spec) {
    auto model = std::make_shared<nn::Sequential>();
    for (const json& l : spec.model) {
        const std::string type = l.at("type").get<std::string>();
        auto i = [&](const char* k, std::int64_t fallback) { return l.contains(k) ? l.at(k).get<std::int64_t>() : fallback; };
        auto d = [&](const char* k, double fallback) { return l.contains(k) ? l.at(k).get<double>() : fallback; };
        const bool bias = l.contains("bias") ? l.at("bias").get<bool>() : true;
        if (type == "Linear") {
            model->push_back(nn::Linear(i("in", 0), i("out", 0), {.bias = bias}));
        } else if (type == "Conv2d") {
            model->push_back(nn::Conv2d(i("in", 0), i("out", 0), i("kernel", 0),
                                        {.stride = i("stride", 1), .padding = i("padding", 0),
                                         .dilation = i("dilation", 1), .groups = i("groups", 1), .bias = bias}));
        } else if (type == "MaxPool2d") {
            model->push_back(nn::MaxPool2d(i("kernel", 0), {.stride = i("stride", 0), .padding = i("padding", 0)}));
        } else if (type == "AvgPool2d") {
            model->push_back(nn::AvgPool2d(i("kernel", 0), {.stride = i("stride", 0), .padding = i("padding", 0)}));
        } else if (type == "AdaptiveAvgPool2d") {
            model->push_back(nn::AdaptiveAvgPool2d(i("size", 1)));
        } else if (type == "BatchNorm1d") {
            model->push_back(nn::BatchNorm1d(i("features", 0)));
        } else if (type == "BatchNorm2d") {
            model->push_back(nn::BatchNorm2d(i("features", 0)));
        } else if (type == "Flatten") {
            model->push_back(nn::Flatten());
        } else if (type == "ReLU") {
            model->push_back(nn::ReLU());
        } else if (type == "LeakyReLU") {
            model->push_back(nn::LeakyReLU(d("negative_slope", 0.01)));
        } else if (type == "Tanh") {
            model->push_back(nn::Tanh());
        } else if (type == "Sigmoid") {
            model->push_back(nn::Sigmoid());
        } else if (type == "GELU") {
            model->push_back(nn::GELU());
        } else if (type == "Dropout") {
            model->push_back(nn::Dropout(d("p", 0.5)));
        } else if (type == "Dropout2d") {
            model->push_back(nn::Dropout2d(d("p", 0.5)));
        }
    }
    return model;
}

}  // namespace descent::cli
