// nn::Conv2d: parameter registration, PyTorch's default initialization and printout.
#include "descent/nn/conv.hpp"

#include <cmath>

#include "descent/nn/init.hpp"

namespace descent::nn {

Conv2d::Conv2d(std::int64_t in, std::int64_t out, Size2 kernel, const Conv2dOptions& opts)
    : in_channels(in), out_channels(out), kernel_size(kernel), options(opts) {
    DESCENT_CHECK(in > 0 && out > 0, "Conv2d: in_channels and out_channels must be positive, got ", in, " and ", out);
    DESCENT_CHECK(kernel.h > 0 && kernel.w > 0, "Conv2d: kernel_size must be positive, got ", size2_str(kernel));
    DESCENT_CHECK(opts.groups > 0, "Conv2d: groups must be positive, got ", opts.groups);
    DESCENT_CHECK(in % opts.groups == 0, "Conv2d: in_channels (", in, ") must be divisible by groups (", opts.groups, ")");
    DESCENT_CHECK(out % opts.groups == 0, "Conv2d: out_channels (", out, ") must be divisible by groups (", opts.groups,
                  ")");
    DESCENT_CHECK(opts.stride.h > 0 && opts.stride.w > 0, "Conv2d: stride must be positive, got ", size2_str(opts.stride));
    DESCENT_CHECK(opts.dilation.h > 0 && opts.dilation.w > 0, "Conv2d: dilation must be positive, got ",
                  size2_str(opts.dilation));
    DESCENT_CHECK(opts.padding.h >= 0 && opts.padding.w >= 0, "Conv2d: padding must be non-negative, got ",
                  size2_str(opts.padding));
    weight = register_parameter("weight", Tensor::empty({out, in / opts.groups, kernel.h, kernel.w}));
    bias = register_parameter("bias", opts.bias ? Tensor::empty({out}) : Tensor());
    reset_parameters();
}

void Conv2d::reset_parameters() {
    // PyTorch's _ConvNd.reset_parameters: kaiming_uniform_(a = √5) gives gain √(2/(1 + 5)) and
    // bound gain·√(3/fan_in) = 1/√fan_in; the bias is uniform in the same ±1/√fan_in.
    init::kaiming_uniform_(weight, {.a = std::sqrt(5.0)});
    if (bias.defined()) {
        const std::int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
        const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
        init::uniform_(bias, -bound, bound);
    }
}

Tensor Conv2d::forward(const Tensor& input) {
    return conv2d(input, weight, bias,
                  {.stride = options.stride, .padding = options.padding, .dilation = options.dilation,
                   .groups = options.groups});
}

std::string Conv2d::extra_repr() const {
    std::string s = std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                    ", kernel_size=" + size2_str(kernel_size) + ", stride=" + size2_str(options.stride);
    if (options.padding != Size2(0)) s += ", padding=" + size2_str(options.padding);
    if (options.dilation != Size2(1)) s += ", dilation=" + size2_str(options.dilation);
    if (options.groups != 1) s += ", groups=" + std::to_string(options.groups);
    if (!options.bias) s += ", bias=False";
    return s;
}

}  // namespace descent::nn
