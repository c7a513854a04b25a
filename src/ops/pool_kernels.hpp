// The max-pooling kernels that the fused convolution + max-pool (conv.cpp) shares with
// max_pool2d (pooling.cpp, where they are defined beside the op and its backward).
#pragma once
#include <cstdint>

#include "descent/core/tensor.hpp"
#include "descent/ops/conv.hpp"

namespace descent::detail {

/// Geometry of a pooling over `planes` planes of H × W (stride resolved, never 0).
struct PoolGeom {
    std::int64_t planes, H, W, OH, OW;
    std::int64_t kh, kw, sh, sw, ph, pw, dh, dw;
    Shape out_shape;
};

/// The geometry of pooling a [.., H, W] tensor of `shape`, with PyTorch's output sizes; a clear
/// error names the bad argument (op is the name in the message).
PoolGeom pool_geom(const Shape& shape, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation, bool ceil_mode,
                   const char* op);

/// Windows that tile the input without overlap or padding (kernel = stride, the usual 2×2/2): every
/// input element lies in at most one window.
bool windows_are_disjoint(const PoolGeom& g);

/// y (and idx, the argmax offset within its plane, unless null) for every plane of contiguous x.
template <class T>
void max_pool_forward(const T* x, const PoolGeom& g, T* y, std::int64_t* idx);

/// dx of every plane from dy and idx, for disjoint windows: written whole (zeros off the argmax).
template <class T>
void max_pool_backward_disjoint(const T* dy, const std::int64_t* idx, const PoolGeom& g, T* dx);

/// Whether the tap-code kernels below take this pooling: float32 2×2 windows with stride 2,
/// disjoint, on a CPU with AVX2.
bool max_pool_tap_codes_apply(const PoolGeom& g);

/// max_pool_forward for those windows, recording each window's winning tap in one byte (0, 1: the
/// first row's left and right; 2, 3: the second row's) instead of an int64 offset: an eighth of
/// the index traffic. codes may not be null.
void max_pool_forward_tap_codes(const float* x, const PoolGeom& g, float* y, std::uint8_t* codes);

/// max_pool_backward_disjoint from those codes.
void max_pool_backward_tap_codes(const float* dy, const std::uint8_t* codes, const PoolGeom& g, float* dx);

}  // namespace descent::detail
