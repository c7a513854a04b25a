// Pooling layers: nn::MaxPool2d, nn::AvgPool2d, nn::AdaptiveAvgPool2d, with
// PyTorch's options and printout. The math is ops/pooling.hpp's.
#pragma once
#include <string>

#include "descent/nn/module.hpp"
#include "descent/ops/pooling.hpp"

namespace descent::nn {

/// {.stride (0: the kernel size), .padding, .dilation, .ceil_mode}
using MaxPool2dOptions = MaxPool2dArgs;
/// {.stride (0: the kernel size), .padding, .ceil_mode, .count_include_pad, .divisor_override}
using AvgPool2dOptions = AvgPool2dArgs;

/// MaxPool2d(kernel_size, {.stride, .padding, .dilation, .ceil_mode}): max over each window.
class MaxPool2d : public Module {
public:
    explicit MaxPool2d(Size2 kernel_size, const MaxPool2dOptions& options = {});
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "MaxPool2d"; }
    /// "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"
    std::string extra_repr() const override;

    Size2 kernel_size;
    MaxPool2dOptions options;  ///< stride resolved: never 0 after construction
};

/// AvgPool2d(kernel_size, {.stride, .padding, .ceil_mode, .count_include_pad, .divisor_override}).
class AvgPool2d : public Module {
public:
    explicit AvgPool2d(Size2 kernel_size, const AvgPool2dOptions& options = {});
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "AvgPool2d"; }
    /// "kernel_size=2, stride=2, padding=0"
    std::string extra_repr() const override;

    Size2 kernel_size;
    AvgPool2dOptions options;  ///< stride resolved: never 0 after construction
};

/// AdaptiveAvgPool2d(output_size): averages into a fixed output_size grid, whatever the input size.
class AdaptiveAvgPool2d : public Module {
public:
    explicit AdaptiveAvgPool2d(Size2 output_size);
    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "AdaptiveAvgPool2d"; }
    /// "output_size=(5, 7)"
    std::string extra_repr() const override;

    Size2 output_size;
};

}  // namespace descent::nn
