// nn::Linear (y = x·Wᵀ + b with PyTorch's default initialization) and
// nn::Identity. The math is ops/linalg.hpp's fused linear.
#pragma once
#include <cstdint>
#include <string>

#include "descent/nn/module.hpp"

namespace descent::nn {

/// Options of Linear, with PyTorch's defaults.
struct LinearOptions {
    bool bias = true;             ///< learn an additive bias
    DType dtype = kFloat32;       ///< dtype of weight and bias
    Generator* generator = nullptr;  ///< draws the initial values; nullptr = default_generator()
};

/// Linear(in_features, out_features, {.bias = true}): input [..., in_features] → [..., out_features].
/// weight [out_features, in_features] starts as kaiming_uniform_(a = √5), i.e. uniform in
/// ±1/√in_features; bias [out_features] uniform in ±1/√in_features (PyTorch's reset_parameters).
class Linear : public Module {
public:
    Linear(std::int64_t in_features, std::int64_t out_features, const LinearOptions& options = {});

    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Linear"; }
    /// "in_features=2, out_features=4, bias=True"
    std::string extra_repr() const override;
    /// Draws weight and bias again (with `generator`, or the options' generator when null).
    void reset_parameters(Generator* generator = nullptr);

    std::int64_t in_features;
    std::int64_t out_features;
    LinearOptions options;
    Tensor weight;  ///< [out_features, in_features]
    Tensor bias;    ///< [out_features], undefined without bias
};

/// Identity(): returns its input unchanged (a placeholder, e.g. for an optional layer).
class Identity : public Module {
public:
    Tensor forward(const Tensor& input) override { return input; }
    std::string name() const override { return "Identity"; }
};

}  // namespace descent::nn
