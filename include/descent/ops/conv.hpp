// 2-D convolution, fused (im2col + GEMM) with a hand-written backward, as
// torch.nn.functional.conv2d: cross-correlation with zero padding, stride,
// dilation and channel groups. Implemented in src/ops/conv.cpp.
#pragma once
#include <cstdint>
#include <string>

#include "descent/core/tensor.hpp"

namespace descent {

/// A height/width pair (kernel size, stride, padding, dilation, output size).
/// One number means the same for both, as PyTorch's `_pair`: `2` is `{2, 2}`.
struct Size2 {
    std::int64_t h = 0;
    std::int64_t w = 0;
    constexpr Size2() = default;
    constexpr Size2(std::int64_t both) : h(both), w(both) {}  // NOLINT: implicit on purpose (`.stride = 2`)
    constexpr Size2(std::int64_t height, std::int64_t width) : h(height), w(width) {}
    constexpr bool operator==(const Size2&) const = default;
};

/// "(3, 3)": the form PyTorch prints a pair in.
std::string size2_str(Size2 s);

/// Arguments of conv2d, with PyTorch's defaults.
struct Conv2dArgs {
    Size2 stride = 1;
    Size2 padding = 0;  ///< zeros added on both sides of each spatial dim
    Size2 dilation = 1;
    std::int64_t groups = 1;  ///< in and out channels are split into this many independent groups
};

/// y[n, o, i, j] = bias[o] + Σ_{c, p, q} weight[o, c, p, q] ·
///                 x_pad[n, g·C/G + c, i·stride.h + p·dilation.h, j·stride.w + q·dilation.w]
/// with g = o / (O/G) the group of output channel o.
/// input [N, C, H, W] (or unbatched [C, H, W]); weight [O, C/groups, kH, kW]; bias [O] or undefined.
/// Output [N, O, (H + 2·pad − dil·(kH−1) − 1)/stride + 1, likewise for W].
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(), const Conv2dArgs& args = {});

struct MaxPool2dArgs;  // descent/ops/pooling.hpp

/// max_pool2d(conv2d(input, weight, bias, conv_args), pool_kernel, pool_args), and with `relu` the
/// relu of that, equal to them value for value and gradient for gradient, computed sample by sample:
/// each sample's convolution output is pooled (and rectified) while it is in cache, and neither the
/// whole output nor its gradient is ever stored (nn::Sequential runs Conv2d → [ReLU →] MaxPool2d
/// this way). Windows that overlap or pad, and unbatched inputs, take the ops in turn.
Tensor conv2d_max_pool2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dArgs& conv_args,
                         Size2 pool_kernel, const MaxPool2dArgs& pool_args, bool relu = false);

}  // namespace descent
