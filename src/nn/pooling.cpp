// Pooling layers: option checks at construction, forward to ops/pooling, printout.
#include "descent/nn/pooling.hpp"

namespace descent::nn {
namespace {
// PyTorch prints a pooling size as the user wrote it; an equal pair reads best as one number.
std::string size_repr(Size2 s) { return s.h == s.w ? std::to_string(s.h) : size2_str(s); }
const char* py_bool(bool b) { return b ? "True" : "False"; }
}  // namespace

MaxPool2d::MaxPool2d(Size2 kernel, const MaxPool2dOptions& opts) : kernel_size(kernel), options(opts) {
    if (options.stride == Size2(0)) options.stride = kernel;
    DESCENT_CHECK(kernel.h > 0 && kernel.w > 0, "MaxPool2d: kernel_size must be positive, got ", size2_str(kernel));
}

Tensor MaxPool2d::forward(const Tensor& input) { return max_pool2d(input, kernel_size, options); }

std::string MaxPool2d::extra_repr() const {
    return "kernel_size=" + size_repr(kernel_size) + ", stride=" + size_repr(options.stride) +
           ", padding=" + size_repr(options.padding) + ", dilation=" + size_repr(options.dilation) +
           ", ceil_mode=" + py_bool(options.ceil_mode);
}

AvgPool2d::AvgPool2d(Size2 kernel, const AvgPool2dOptions& opts) : kernel_size(kernel), options(opts) {
    if (options.stride == Size2(0)) options.stride = kernel;
    DESCENT_CHECK(kernel.h > 0 && kernel.w > 0, "AvgPool2d: kernel_size must be positive, got ", size2_str(kernel));
}

Tensor AvgPool2d::forward(const Tensor& input) { return avg_pool2d(input, kernel_size, options); }

std::string AvgPool2d::extra_repr() const {
    return "kernel_size=" + size_repr(kernel_size) + ", stride=" + size_repr(options.stride) +
           ", padding=" + size_repr(options.padding);
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 size) : output_size(size) {
    DESCENT_CHECK(size.h > 0 && size.w > 0, "AdaptiveAvgPool2d: output_size must be positive, got ", size2_str(size));
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) { return adaptive_avg_pool2d(input, output_size); }

std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + size_repr(output_size); }

}  // namespace descent::nn
