// nn::init: PyTorch's parameter initializers (torch.nn.init). Each fills its
// tensor in place under NoGradGuard (so it works on parameters that require
// grad), returns the same handle, and draws from `generator` when given, else
// from default_generator(). Fans and gains are computed exactly as PyTorch does.
#pragma once
#include <cstdint>
#include <optional>
#include <utility>

#include "descent/core/tensor.hpp"

namespace descent::nn::init {

/// The nonlinearities calculate_gain knows (torch.nn.init.calculate_gain's names).
enum class Nonlinearity {
    Linear, Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
    Sigmoid, Tanh, ReLU, LeakyReLU, SELU
};

/// Which fan the kaiming initializers preserve the variance of.
enum class FanMode { FanIn, FanOut };

/// The recommended gain for a nonlinearity: 1 for linear, conv and sigmoid; 5/3 for tanh; √2 for
/// relu; √(2 / (1 + slope²)) for leaky_relu (slope = param, 0.01 when not given); 3/4 for selu.
double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param = std::nullopt);

/// (fan_in, fan_out) of a weight: for [out, in, k...], fan_in = in·∏k and fan_out = out·∏k
/// (the receptive field ∏k is 1 for a matrix). Throws for tensors with fewer than 2 dims.
std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

/// Uniform in [a, b).
Tensor uniform_(Tensor tensor, double a = 0.0, double b = 1.0, Generator* generator = nullptr);
/// Normal with the given mean and standard deviation.
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0, Generator* generator = nullptr);
/// Every element set to `value`.
Tensor constant_(Tensor tensor, double value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);

/// Glorot: uniform in ±gain·√(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);
/// Glorot: normal with std = gain·√(2 / (fan_in + fan_out)).
Tensor xavier_normal_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);

/// Options of the kaiming initializers, with PyTorch's defaults.
struct KaimingOptions {
    double a = 0.0;                 ///< negative slope of the leaky_relu that follows (leaky_relu only)
    FanMode mode = FanMode::FanIn;  ///< fan_in preserves the forward pass's variance, fan_out the backward's
    Nonlinearity nonlinearity = Nonlinearity::LeakyReLU;
    Generator* generator = nullptr;
};

/// He: uniform in ±gain·√(3 / fan), gain = calculate_gain(nonlinearity, a).
/// A zero-element tensor is left as it is (PyTorch warns and does the same).
Tensor kaiming_uniform_(Tensor tensor, const KaimingOptions& options = {});
/// He: normal with std = gain / √fan.
Tensor kaiming_normal_(Tensor tensor, const KaimingOptions& options = {});

}  // namespace descent::nn::init
