// nn::Conv2d: a 2-D convolution layer with PyTorch's parameters, defaults,
// initialization and printout. The math is ops/conv.hpp's conv2d.
#pragma once
#include <cstdint>
#include <string>

#include "descent/nn/module.hpp"
#include "descent/ops/conv.hpp"

namespace descent::nn {

/// Options of Conv2d, with PyTorch's defaults (padding_mode is always "zeros").
struct Conv2dOptions {
    Size2 stride = 1;
    Size2 padding = 0;
    Size2 dilation = 1;
    std::int64_t groups = 1;
    bool bias = true;
};

/// Conv2d(in_channels, out_channels, kernel_size, {.stride, .padding, .dilation, .groups, .bias}).
/// Input [N, in_channels, H, W] (or [in_channels, H, W]); output [N, out_channels, OH, OW].
/// weight [out_channels, in_channels/groups, kH, kW] and bias [out_channels] start uniform in
/// ±1/√fan_in, fan_in = in_channels/groups·kH·kW (PyTorch's kaiming_uniform_ with a = √5).
class Conv2d : public Module {
public:
    Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size, const Conv2dOptions& options = {});

    Tensor forward(const Tensor& input) override;
    std::string name() const override { return "Conv2d"; }
    /// "1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)", as PyTorch prints it.
    std::string extra_repr() const override;
    /// Draws weight and bias again from the default initialization.
    void reset_parameters();

    std::int64_t in_channels;
    std::int64_t out_channels;
    Size2 kernel_size;
    Conv2dOptions options;
    Tensor weight;  ///< [out_channels, in_channels/groups, kH, kW]
    Tensor bias;    ///< [out_channels]; undefined when options.bias is false
};

}  // namespace descent::nn
