// Activation functions as modules (ReLU, LeakyReLU, Sigmoid, Tanh, GELU,
// Softmax, LogSoftmax), each printing as PyTorch does. They hold no
// parameters; the math is the ops in ops/elementwise.hpp and ops/reduction.hpp.
#pragma once
#include <cstdint>
#include <string>

#include "descent/nn/module.hpp"

namespace descent::nn {

/// ReLU(): max(x, 0).
class ReLU : public Module {
public:
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "ReLU"; }
};

struct LeakyReLUOptions {
    double negative_slope = 0.01;
};

/// LeakyReLU(negative_slope = 0.01): x if x ≥ 0, else negative_slope · x.
class LeakyReLU : public Module {
public:
    explicit LeakyReLU(double negative_slope = 0.01) : negative_slope(negative_slope) {}
    explicit LeakyReLU(const LeakyReLUOptions& options) : negative_slope(options.negative_slope) {}
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "LeakyReLU"; }
    /// "negative_slope=0.01"
    std::string extra_repr() const override;

    double negative_slope;
};

/// Sigmoid(): 1 / (1 + exp(−x)).
class Sigmoid : public Module {
public:
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Sigmoid"; }
};

/// Tanh(): tanh(x).
class Tanh : public Module {
public:
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Tanh"; }
};

struct GELUOptions {
    std::string approximate = "none";  ///< "none" (exact, with erf) or "tanh"
};

/// GELU(approximate = "none"): x·Φ(x), or its tanh approximation with "tanh".
class GELU : public Module {
public:
    /// Throws descent::Error unless approximate is "none" or "tanh".
    explicit GELU(const GELUOptions& options = {});
    /// GELU("tanh"). (No std::string overload: it would make GELU({.approximate = ...}) ambiguous.)
    explicit GELU(const char* approximate) : GELU(GELUOptions{approximate}) {}
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "GELU"; }
    /// "approximate='none'"
    std::string extra_repr() const override;

    std::string approximate;
};

struct SoftmaxOptions {
    std::int64_t dim = 1;
};

/// Softmax(dim): exp(x) / Σ exp(x) along dim, computed stably.
/// (PyTorch's dim=None, a deprecated guess of the dim, is not offered: dim is required.)
class Softmax : public Module {
public:
    explicit Softmax(std::int64_t dim) : dim(dim) {}
    explicit Softmax(const SoftmaxOptions& options) : dim(options.dim) {}
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Softmax"; }
    /// "dim=1"
    std::string extra_repr() const override;

    std::int64_t dim;
};

/// LogSoftmax(dim): x − logsumexp(x) along dim, computed stably.
class LogSoftmax : public Module {
public:
    explicit LogSoftmax(std::int64_t dim) : dim(dim) {}
    explicit LogSoftmax(const SoftmaxOptions& options) : dim(options.dim) {}
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "LogSoftmax"; }
    /// "dim=1"
    std::string extra_repr() const override;

    std::int64_t dim;
};

}  // namespace descent::nn
