// nn::Flatten: merges the dims start_dim..end_dim into one (a view when the
// input is contiguous), as torch.nn.Flatten; by default all but the batch dim.
#pragma once
#include <cstdint>
#include <string>

#include "descent/nn/module.hpp"

namespace descent::nn {

struct FlattenOptions {
    std::int64_t start_dim = 1;
    std::int64_t end_dim = -1;
};

/// Flatten(start_dim = 1, end_dim = -1): [N, C, H, W] → [N, C·H·W] by default.
class Flatten : public Module {
public:
    explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}
    explicit Flatten(const FlattenOptions& options) : Flatten(options.start_dim, options.end_dim) {}

    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Flatten"; }
    /// "start_dim=1, end_dim=-1"
    std::string extra_repr() const override;

    std::int64_t start_dim;
    std::int64_t end_dim;
};

}  // namespace descent::nn
