// Shared by the optimizer tests: the golden MLP (Linear(2,4) -> Tanh -> Linear(4,1)
// with MSE) built from the committed fixture, and optimizers built from its
// JSON configurations.
#pragma once
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "descent/descent.hpp"
#include "descent/optim/adadelta.hpp"
#include "descent/optim/adagrad.hpp"
#include "descent/optim/adam.hpp"
#include "descent/optim/adamax.hpp"
#include "descent/optim/adamw.hpp"
#include "descent/optim/nadam.hpp"
#include "descent/optim/radam.hpp"
#include "descent/optim/rmsprop.hpp"
#include "descent/optim/sgd.hpp"

namespace optim_test {

using descent::Tensor;
using nlohmann::json;
namespace optim = descent::optim;

inline json read_json(const std::string& name) {
    std::ifstream in(std::string(DESCENT_TEST_DATA) + "/optim/" + name);
    if (!in) throw std::runtime_error("cannot open fixture optim/" + name + " (run scripts/make_optim_goldens.py)");
    return json::parse(in);
}

/// The golden problem: data, initial weights and the loss.
struct Problem {
    json doc;
    Tensor X, y;
    std::vector<Tensor> init;  // float32, PyTorch's initial weights

    Problem() : doc(read_json("trajectories.json")) {
        X = Tensor::from(doc["X"].get<std::vector<float>>(), doc["X_shape"].get<descent::Shape>());
        y = Tensor::from(doc["y"].get<std::vector<float>>(), doc["y_shape"].get<descent::Shape>());
        const auto shapes = doc["param_shapes"].get<std::vector<descent::Shape>>();
        for (std::size_t i = 0; i < shapes.size(); ++i)
            init.push_back(Tensor::from(doc["init"][i].get<std::vector<float>>(), shapes[i]));
    }

    /// Fresh leaf parameters in `dtype` holding the initial weights.
    std::vector<Tensor> params(descent::DType dtype) const {
        std::vector<Tensor> out;
        for (const Tensor& p : init) out.push_back(p.to(dtype).clone().requires_grad_(true));
        return out;
    }

    /// mean((W2 · tanh(W1 · x + b1) + b2 - y)²)
    Tensor loss(const std::vector<Tensor>& p, descent::DType dtype) const {
        const Tensor x = X.to(dtype), target = y.to(dtype);
        const Tensor out = descent::linear(descent::tanh(descent::linear(x, p[0], p[1])), p[2], p[3]);
        return descent::mean(descent::square(out - target));
    }
};

template <class T>
void read(const json& j, const char* key, T& field) {
    if (j.contains(key)) field = j[key].get<T>();
}
inline void read(const json& j, const char* key, optim::Betas& field) {
    if (j.contains(key)) field = {j[key][0].get<double>(), j[key][1].get<double>()};
}

inline optim::SGDOptions sgd_options(const json& j) {
    optim::SGDOptions o;
    read(j, "lr", o.lr), read(j, "momentum", o.momentum), read(j, "dampening", o.dampening);
    read(j, "weight_decay", o.weight_decay), read(j, "nesterov", o.nesterov), read(j, "maximize", o.maximize);
    return o;
}
template <class O>
O adam_like_options(const json& j) {
    O o;
    read(j, "lr", o.lr), read(j, "betas", o.betas), read(j, "eps", o.eps), read(j, "weight_decay", o.weight_decay);
    read(j, "amsgrad", o.amsgrad), read(j, "maximize", o.maximize);
    return o;
}
inline optim::RMSpropOptions rmsprop_options(const json& j) {
    optim::RMSpropOptions o;
    read(j, "lr", o.lr), read(j, "alpha", o.alpha), read(j, "eps", o.eps), read(j, "weight_decay", o.weight_decay);
    read(j, "momentum", o.momentum), read(j, "centered", o.centered), read(j, "maximize", o.maximize);
    return o;
}
inline optim::AdagradOptions adagrad_options(const json& j) {
    optim::AdagradOptions o;
    read(j, "lr", o.lr), read(j, "lr_decay", o.lr_decay), read(j, "weight_decay", o.weight_decay);
    read(j, "initial_accumulator_value", o.initial_accumulator_value), read(j, "eps", o.eps);
    read(j, "maximize", o.maximize);
    return o;
}
inline optim::AdadeltaOptions adadelta_options(const json& j) {
    optim::AdadeltaOptions o;
    read(j, "lr", o.lr), read(j, "rho", o.rho), read(j, "eps", o.eps), read(j, "weight_decay", o.weight_decay);
    read(j, "maximize", o.maximize);
    return o;
}
inline optim::AdamaxOptions adamax_options(const json& j) {
    optim::AdamaxOptions o;
    read(j, "lr", o.lr), read(j, "betas", o.betas), read(j, "eps", o.eps), read(j, "weight_decay", o.weight_decay);
    read(j, "maximize", o.maximize);
    return o;
}
inline optim::NAdamOptions nadam_options(const json& j) {
    optim::NAdamOptions o;
    read(j, "lr", o.lr), read(j, "betas", o.betas), read(j, "eps", o.eps), read(j, "weight_decay", o.weight_decay);
    read(j, "momentum_decay", o.momentum_decay);
    return o;
}
inline optim::RAdamOptions radam_options(const json& j) {
    optim::RAdamOptions o;
    read(j, "lr", o.lr), read(j, "betas", o.betas), read(j, "eps", o.eps), read(j, "weight_decay", o.weight_decay);
    return o;
}

template <class Opt, class O, class F>
std::unique_ptr<optim::Optimizer> build(const json& config, const std::vector<Tensor>& params, F&& parse) {
    std::vector<optim::ParamGroup<O>> groups;
    for (const json& g : config["groups"]) {
        optim::ParamGroup<O> group;
        for (int i : g["params"]) group.params.push_back(params[static_cast<std::size_t>(i)]);
        group.options = parse(g["options"]);
        groups.push_back(std::move(group));
    }
    return std::make_unique<Opt>(std::move(groups));
}

/// The optimizer a golden configuration describes, over `params`.
inline std::unique_ptr<optim::Optimizer> make_optimizer(const json& config, const std::vector<Tensor>& params) {
    const std::string kind = config["optimizer"];
    if (kind == "SGD") return build<optim::SGD, optim::SGDOptions>(config, params, sgd_options);
    if (kind == "Adam")
        return build<optim::Adam, optim::AdamOptions>(config, params, adam_like_options<optim::AdamOptions>);
    if (kind == "AdamW")
        return build<optim::AdamW, optim::AdamWOptions>(config, params, adam_like_options<optim::AdamWOptions>);
    if (kind == "RMSprop") return build<optim::RMSprop, optim::RMSpropOptions>(config, params, rmsprop_options);
    if (kind == "Adagrad") return build<optim::Adagrad, optim::AdagradOptions>(config, params, adagrad_options);
    if (kind == "Adadelta") return build<optim::Adadelta, optim::AdadeltaOptions>(config, params, adadelta_options);
    if (kind == "Adamax") return build<optim::Adamax, optim::AdamaxOptions>(config, params, adamax_options);
    if (kind == "NAdam") return build<optim::NAdam, optim::NAdamOptions>(config, params, nadam_options);
    if (kind == "RAdam") return build<optim::RAdam, optim::RAdamOptions>(config, params, radam_options);
    throw std::runtime_error("unknown optimizer in fixture: " + kind);
}

/// One training step on the golden problem; returns the loss before the update.
inline double train_step(const Problem& problem, optim::Optimizer& opt, const std::vector<Tensor>& params,
                         descent::DType dtype) {
    opt.zero_grad();
    Tensor loss = problem.loss(params, dtype);
    loss.backward();
    opt.step();
    return loss.item();
}

}  // namespace optim_test
