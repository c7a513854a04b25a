// Normalization layers (BatchNorm1d, BatchNorm2d, LayerNorm) and channel
// dropout (Dropout2d), with PyTorch's parameters, buffer names (so state_dict
// keys match: "running_mean", "running_var", "num_batches_tracked"), defaults
// and printout. The math is ops/normalization.hpp's.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "descent/core/generator.hpp"
#include "descent/nn/module.hpp"
#include "descent/ops/normalization.hpp"

namespace descent::nn {

/// Options of BatchNorm1d/2d, with PyTorch's defaults.
struct BatchNormOptions {
    double eps = 1e-5;
    /// Weight of the new batch in the running statistics; nullopt: a cumulative average
    /// (factor 1/num_batches_tracked), as PyTorch's momentum=None.
    std::optional<double> momentum = 0.1;
    bool affine = true;  ///< learnable weight (ones) and bias (zeros)
    bool track_running_stats = true;  ///< keep running statistics and use them in eval mode
};

/// What BatchNorm1d and BatchNorm2d share (PyTorch's _BatchNorm). In training mode the batch's
/// statistics normalize and the running ones are updated (unbiased variance); in eval mode the
/// running statistics normalize. Without track_running_stats, batch statistics are always used.
class BatchNormBase : public Module {
public:
    Tensor forward(const Tensor& input) override;
    /// "32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True"
    std::string extra_repr() const override;
    /// running_mean = 0, running_var = 1, num_batches_tracked = 0.
    void reset_running_stats();
    /// Running statistics reset; weight = 1, bias = 0.
    void reset_parameters();

    std::int64_t num_features;
    BatchNormOptions options;
    Tensor weight;               ///< [num_features]; undefined unless affine
    Tensor bias;                 ///< [num_features]; undefined unless affine
    Tensor running_mean;         ///< buffer [num_features]; undefined unless track_running_stats
    Tensor running_var;          ///< buffer [num_features]
    Tensor num_batches_tracked;  ///< buffer, 0-dim int64: training steps taken

protected:
    BatchNormBase(std::int64_t num_features, const BatchNormOptions& options);
    virtual void check_input_dim(const Tensor& input) const = 0;
};

/// BatchNorm1d(num_features, {.eps, .momentum, .affine, .track_running_stats}) over input [N, C] or [N, C, L].
class BatchNorm1d : public BatchNormBase {
public:
    explicit BatchNorm1d(std::int64_t num_features, const BatchNormOptions& options = {})
        : BatchNormBase(num_features, options) {}
    std::string name() const override { return "BatchNorm1d"; }

protected:
    void check_input_dim(const Tensor& input) const override;
};

/// BatchNorm2d(num_features, {...}) over input [N, C, H, W].
class BatchNorm2d : public BatchNormBase {
public:
    explicit BatchNorm2d(std::int64_t num_features, const BatchNormOptions& options = {})
        : BatchNormBase(num_features, options) {}
    std::string name() const override { return "BatchNorm2d"; }

protected:
    void check_input_dim(const Tensor& input) const override;
};

/// Options of LayerNorm, with PyTorch's defaults.
struct LayerNormOptions {
    double eps = 1e-5;
    bool elementwise_affine = true;  ///< learnable weight (ones) and bias (zeros) of normalized_shape
};

/// LayerNorm(normalized_shape, {.eps, .elementwise_affine}): normalizes over the trailing dims.
class LayerNorm : public Module {
public:
    explicit LayerNorm(Shape normalized_shape, const LayerNormOptions& options = {});
    explicit LayerNorm(std::int64_t normalized_size, const LayerNormOptions& options = {})
        : LayerNorm(Shape{normalized_size}, options) {}
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "LayerNorm"; }
    /// "(10,), eps=1e-05, elementwise_affine=True"
    std::string extra_repr() const override;
    void reset_parameters();

    Shape normalized_shape;
    LayerNormOptions options;
    Tensor weight;  ///< normalized_shape; undefined unless elementwise_affine
    Tensor bias;
};

/// Dropout2d(p): in training mode, zeroes whole channels x[n, c] with probability p and scales
/// the rest by 1/(1 − p); the identity in eval mode. Masks come from `generator` (nullptr: the default).
class Dropout2d : public Module {
public:
    explicit Dropout2d(double p = 0.5, Generator* generator = nullptr);
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Dropout2d"; }
    /// "p=0.5, inplace=False"
    std::string extra_repr() const override;

    double p;
    Generator* generator;
};

}  // namespace descent::nn
