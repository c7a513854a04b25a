// 2-D pooling as torch.nn.functional: max pooling (fused; the forward keeps the
// argmax of each window so the backward is a scatter), average pooling and
// adaptive average pooling. Inputs are [N, C, H, W] or unbatched [C, H, W].
// Implemented in src/ops/pooling.cpp.
#pragma once
#include <cstdint>
#include <optional>

#include "descent/core/tensor.hpp"
#include "descent/ops/conv.hpp"
#include "descent/ops/reduction.hpp"

namespace descent {

/// Arguments of max_pool2d, with PyTorch's defaults.
struct MaxPool2dArgs {
    Size2 stride = 0;  ///< 0 means "the kernel size" (PyTorch's stride=None)
    Size2 padding = 0;  ///< implicit −inf on both sides; at most half the kernel size
    Size2 dilation = 1;
    bool ceil_mode = false;  ///< round the output size up (a last, partial window)
};

/// Maximum over each window. Output [N, C, OH, OW] with
/// OH = ⌊(H + 2·pad − dil·(k−1) − 1 + (ceil_mode ? stride−1 : 0)) / stride⌋ + 1, reduced by one in
/// ceil_mode when the last window would start in the right padding. NaN wins, the first maximum wins ties.
Tensor max_pool2d(const Tensor& input, Size2 kernel_size, const MaxPool2dArgs& args = {});
/// max_pool2d and, per output, the flat index (h·W + w) of the chosen input element in its
/// [H, W] plane (int64), as torch's return_indices=True. The gradient flows through `values`.
/// A window entirely in the padding (possible with dilation) gives −inf and index −1, and no gradient.
ValuesIndices max_pool2d_with_indices(const Tensor& input, Size2 kernel_size, const MaxPool2dArgs& args = {});

/// Arguments of avg_pool2d, with PyTorch's defaults.
struct AvgPool2dArgs {
    Size2 stride = 0;  ///< 0 means "the kernel size"
    Size2 padding = 0;  ///< implicit zeros; at most half the kernel size
    bool ceil_mode = false;
    bool count_include_pad = true;  ///< padded zeros count in the divisor
    std::optional<std::int64_t> divisor_override;  ///< divide every window's sum by this instead
};

/// Mean over each window; output size as max_pool2d with dilation 1. The divisor is the window's
/// size clipped to the padded input (count_include_pad) or to the input itself (otherwise).
Tensor avg_pool2d(const Tensor& input, Size2 kernel_size, const AvgPool2dArgs& args = {});

/// Mean over windows that tile the input into `output_size` cells: cell i of an axis of length L
/// covers [⌊i·L/out⌋, ⌈(i+1)·L/out⌉).
Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size);

}  // namespace descent
