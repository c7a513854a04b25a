// 2-D pooling over the planes of [N, C, H, W] (or [C, H, W]) inputs, with
// PyTorch's output sizes, window clipping and divisors:
//   max:      y = max over the dilated window (−inf padding); keeps argmax; dx[argmax] += dy
//   avg:      y = Σ window / divisor;          dx[window] += dy / divisor
//   adaptive: cell i covers [⌊i·L/out⌋, ⌈(i+1)·L/out⌉); y = mean of the cell
// Planes run in parallel (OpenMP) when there is enough work.
#include "descent/ops/pooling.hpp"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "descent/autograd/node.hpp"
#include "descent/ops/shape.hpp"
#include "../kernels/cpu.hpp"
#include "pool_kernels.hpp"

namespace descent {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;
using autograd::SavedTensor;

namespace {

// Element visits below which a pooling op stays on one thread.
constexpr std::int64_t kParallelElements = 1 << 16;

int pool_threads(std::int64_t work) { return work >= kParallelElements ? omp_get_max_threads() : 1; }

using detail::PoolGeom;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// PyTorch's pooling_output_shape: ceil_mode drops a last window that would start in the right padding.
std::int64_t pooled_size(std::int64_t in, std::int64_t k, std::int64_t pad, std::int64_t stride, std::int64_t dil,
                         bool ceil_mode) {
    std::int64_t out = floor_div(in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
    if (ceil_mode && (out - 1) * stride >= in + pad) --out;
    return out;
}

void check_input(const Tensor& x, const char* op) {
    DESCENT_CHECK(x.defined() && (x.dim() == 3 || x.dim() == 4), op,
                  ": expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got input of shape ",
                  x.defined() ? shape_str(x.shape()) : "undefined");
    DESCENT_CHECK(is_floating(x.dtype()), op, ": expected a floating-point input, got ", dtype_name(x.dtype()));
    for (std::int64_t d = x.dim() - 3; d < x.dim(); ++d)
        DESCENT_CHECK(x.size(d) > 0, op, ": expected non-zero sizes for the non-batch dims, got input of shape ",
                      shape_str(x.shape()));
}

}  // namespace

PoolGeom detail::pool_geom(const Shape& shape, Size2 k, Size2 stride, Size2 pad, Size2 dil, bool ceil_mode,
                           const char* op) {
    if (stride.h == 0 && stride.w == 0) stride = k;
    DESCENT_CHECK(k.h > 0 && k.w > 0, op, ": kernel size must be positive, got ", size2_str(k));
    DESCENT_CHECK(stride.h > 0 && stride.w > 0, op, ": stride must be positive, got ", size2_str(stride));
    DESCENT_CHECK(dil.h > 0 && dil.w > 0, op, ": dilation must be positive, got ", size2_str(dil));
    DESCENT_CHECK(pad.h >= 0 && pad.w >= 0 && pad.h <= k.h / 2 && pad.w <= k.w / 2, op,
                  ": padding must be between 0 and half the kernel size, got padding ", size2_str(pad),
                  " for kernel size ", size2_str(k));
    PoolGeom g{};
    const std::size_t nd = shape.size();
    g.H = shape[nd - 2], g.W = shape[nd - 1];
    g.planes = 1;
    for (std::size_t d = 0; d + 2 < nd; ++d) g.planes *= shape[d];
    g.kh = k.h, g.kw = k.w, g.sh = stride.h, g.sw = stride.w, g.ph = pad.h, g.pw = pad.w, g.dh = dil.h, g.dw = dil.w;
    g.OH = pooled_size(g.H, g.kh, g.ph, g.sh, g.dh, ceil_mode);
    g.OW = pooled_size(g.W, g.kw, g.pw, g.sw, g.dw, ceil_mode);
    DESCENT_CHECK(g.OH >= 1 && g.OW >= 1, op, ": input of shape ", shape_str(shape), " gives output size ", g.OH,
                  " x ", g.OW, " with kernel ", size2_str(k), ", stride ", size2_str(stride), ", padding ",
                  size2_str(pad), ", dilation ", size2_str(dil), ": the output is too small (kernel larger than the "
                  "padded input?)");
    g.out_shape = shape;
    g.out_shape[nd - 2] = g.OH;
    g.out_shape[nd - 1] = g.OW;
    return g;
}

bool detail::windows_are_disjoint(const PoolGeom& g) {
    return g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 && g.sh == g.kh && g.sw == g.kw && g.OH * g.sh <= g.H &&
           g.OW * g.sw <= g.W;
}

namespace {

PoolGeom pool_geom(const Tensor& x, Size2 k, Size2 stride, Size2 pad, Size2 dil, bool ceil_mode, const char* op) {
    check_input(x, op);
    return detail::pool_geom(x.shape(), k, stride, pad, dil, ceil_mode, op);
}

// ---- max ----------------------------------------------------------------------------------
// PyTorch's scan of each window: taps in row-major order, strict > keeps the first maximum,
// NaN is always taken. The update is written as selects (no data-dependent branch: random
// data would mispredict half of them). A window entirely in the padding (possible with
// dilation) keeps −inf and index −1, so it passes no gradient (PyTorch returns an arbitrary
// index there). Every kernel takes idx == nullptr: values only (no autograd, nothing asked).
// Fast path: every window lies inside the input (no padding, no dilation, no ceil_mode
// overhang), so there is no clipping to do and the taps of a K×K window are a fixed
// pattern the compiler unrolls. The scan order and the NaN rule are those above.
template <int K, class T>
void max_pool_forward_full_windows(const T* x, const PoolGeom& g, T* y, std::int64_t* idx) {
    const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW, W = g.W, sh = g.sh, sw = g.sw, OH = g.OH, OW = g.OW;
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * OHW * K * K))
    for (std::int64_t p = 0; p < g.planes; ++p) {
        const T* xp = x + p * HW;
        T* yp = y + p * OHW;
        std::int64_t* ip = idx ? idx + p * OHW : nullptr;
        for (std::int64_t oh = 0; oh < OH; ++oh) {
            const std::int64_t row = oh * sh * W;
            for (std::int64_t ow = 0; ow < OW; ++ow) {
                const std::int64_t first = row + ow * sw;
                T best = xp[first];
                std::int64_t best_i = first;
                for (int kh = 0; kh < K; ++kh)
                    for (int kw = (kh == 0 ? 1 : 0); kw < K; ++kw) {
                        const std::int64_t i = first + kh * W + kw;
                        const T v = xp[i];
                        const bool take = (v > best) | (v != v);
                        best = take ? v : best;
                        best_i = take ? i : best_i;
                    }
                yp[oh * OW + ow] = best;
                if (ip) ip[oh * OW + ow] = best_i;
            }
        }
    }
}

// Lanes where tap v replaces the running maximum: greater, or NaN.
__attribute__((target("avx2"))) inline __m256 wins(__m256 best, __m256 v) {
    return _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

// r[0..15] split into the even columns r[0], r[2], … and the odd ones r[1], r[3], …
__attribute__((target("avx2"))) inline void split_even_odd(const float* r, __m256& even, __m256& odd) {
    const __m256 a = _mm256_loadu_ps(r), b = _mm256_loadu_ps(r + 8);
    // shuffle_ps works within 128-bit halves; permute4x64 puts the 64-bit pairs back in order.
    even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}

// The same from the first `valid` (< 16) values of r only: masked loads read nothing past them.
__attribute__((target("avx2"))) inline void split_even_odd_first(const float* r, int valid, __m256& even, __m256& odd) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 a = _mm256_maskload_ps(r, _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), lane));
    const __m256 b = _mm256_maskload_ps(r + 8, _mm256_cmpgt_epi32(_mm256_set1_epi32(valid - 8), lane));
    even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}

// The four taps of eight windows, in the scalar scan order: the maximum and the winning tap's
// offset from the window's first element (0, 1, W or W + 1).
__attribute__((target("avx2"))) inline void max_of_four(__m256 e0, __m256 o0, __m256 e1, __m256 o1, std::int64_t W,
                                                        __m256& best, __m256i& off) {
    const __m256 tap01 = _mm256_castsi256_ps(_mm256_set1_epi32(1)),
                 tap10 = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(W))),
                 tap11 = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(W + 1)));
    best = e0;
    __m256 o = _mm256_setzero_ps();
    __m256 take = wins(best, o0);
    best = _mm256_blendv_ps(best, o0, take);
    o = _mm256_blendv_ps(o, tap01, take);
    take = wins(best, e1);
    best = _mm256_blendv_ps(best, e1, take);
    o = _mm256_blendv_ps(o, tap10, take);
    take = wins(best, o1);
    best = _mm256_blendv_ps(best, o1, take);
    o = _mm256_blendv_ps(o, tap11, take);
    off = _mm256_castps_si256(o);
}

// The CNN case, 2×2 windows with stride 2 in float32, eight outputs at a time with AVX2:
// each pair of input rows is split into even and odd columns, and the four taps are
// scanned in the scalar path's order with the same rule (take if greater, or NaN).
// Offsets within a plane fit in 32 bits (checked by the caller) and widen to int64 on store.
// How a forward records each window's winner: its offset in the plane (int64: max_pool2d's
// indices), or its tap 0..3 in row order (one byte: the fused convolution + max-pool's record,
// an eighth of the memory traffic).
template <class Record>
__attribute__((target("avx2"))) void max_pool_2x2_stride2_avx2(const float* x, const PoolGeom& g, float* y,
                                                               Record* rec) {
    static_assert(std::is_same_v<Record, std::int64_t> || std::is_same_v<Record, std::uint8_t>);
    constexpr bool kTaps = std::is_same_v<Record, std::uint8_t>;
    const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW, W = g.W, OH = g.OH, OW = g.OW;
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * OHW * 4))
    for (std::int64_t p = 0; p < g.planes; ++p) {
        const float* xp = x + p * HW;
        float* yp = y + p * OHW;
        Record* ip = rec ? rec + p * OHW : nullptr;
        const __m256i lanes2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
        // Bytes 0, 4, 8, 12 of each 128-bit half (the low bytes of the codes), then both halves' first
        // dwords side by side: eight codes in the low 8 bytes.
        const __m256i code_bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8,
                                                    12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
        const __m256i halves = _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1);
        for (std::int64_t oh = 0; oh < OH; ++oh) {
            const float* r0 = xp + 2 * oh * W;
            const float* r1 = r0 + W;
            for (std::int64_t block = 0; block < OW; block += 8) {
                // Columns 2ow … 2ow+15 of both rows, split into even (left taps) and odd (right
                // taps). A row of at least 8 outputs ends with the full block that ends at OW (its
                // first outputs computed twice, to the same values); a shorter row's only block
                // loads only its columns and stores only its outputs.
                const std::int64_t ow = block + 8 > OW && OW >= 8 ? OW - 8 : block;
                const int n = static_cast<int>(std::min<std::int64_t>(8, OW - ow));
                __m256 e0, o0, e1, o1, best;
                __m256i off;
                if (n == 8) {
                    split_even_odd(r0 + 2 * ow, e0, o0);
                    split_even_odd(r1 + 2 * ow, e1, o1);
                } else {
                    split_even_odd_first(r0 + 2 * ow, 2 * n, e0, o0);
                    split_even_odd_first(r1 + 2 * ow, 2 * n, e1, o1);
                }
                // With a row width of 2 the four taps' offsets are their codes 0, 1, 2, 3.
                max_of_four(e0, o0, e1, o1, kTaps ? 2 : W, best, off);
                const __m256i at = kTaps ? off
                                         : _mm256_add_epi32(_mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(
                                                                                 2 * oh * W + 2 * ow)),
                                                                             lanes2),
                                                            off);
                float* y_out = yp + oh * OW + ow;
                if (n == 8) {
                    _mm256_storeu_ps(y_out, best);
                    if (ip) {
                        Record* i_out = ip + oh * OW + ow;
                        if constexpr (kTaps) {
                            const __m256i packed =
                                _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(at, code_bytes), halves);
                            _mm_storel_epi64(reinterpret_cast<__m128i*>(i_out), _mm256_castsi256_si128(packed));
                        } else {
                            _mm256_storeu_si256(reinterpret_cast<__m256i*>(i_out),
                                                _mm256_cvtepi32_epi64(_mm256_castsi256_si128(at)));
                            _mm256_storeu_si256(reinterpret_cast<__m256i*>(i_out + 4),
                                                _mm256_cvtepi32_epi64(_mm256_extracti128_si256(at, 1)));
                        }
                    }
                } else {  // through a buffer: no data-dependent branch, no masked store (slow on AMD)
                    alignas(32) float yb[8];
                    alignas(32) std::int32_t ib[8];
                    _mm256_store_ps(yb, best);
                    _mm256_store_si256(reinterpret_cast<__m256i*>(ib), at);
                    for (int j = 0; j < n; ++j) y_out[j] = yb[j];
                    if (ip)
                        for (int j = 0; j < n; ++j) ip[oh * OW + ow + j] = static_cast<Record>(ib[j]);
                }
            }
        }
    }
}

template <class T>
void max_pool_planes(const T* x, const PoolGeom& geom, T* y, std::int64_t* idx) {
    const PoolGeom g = geom;  // a local copy: stores through idx cannot alias it
    const bool full_windows = g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 && g.kh == g.kw &&
                              (g.OH - 1) * g.sh + g.kh <= g.H && (g.OW - 1) * g.sw + g.kw <= g.W;
    if constexpr (std::is_same_v<T, float>) {
        static const bool avx2 = kernels::isa_supported(kernels::Isa::Avx2);
        if (full_windows && g.kh == 2 && g.sh == 2 && g.sw == 2 && avx2 && g.H * g.W < (std::int64_t{1} << 31))
            return max_pool_2x2_stride2_avx2(x, g, y, idx);
    }
    if (full_windows && g.kh == 2) return max_pool_forward_full_windows<2>(x, g, y, idx);
    if (full_windows && g.kh == 3) return max_pool_forward_full_windows<3>(x, g, y, idx);
    const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * OHW * g.kh * g.kw))
    for (std::int64_t p = 0; p < g.planes; ++p) {
        const T* xp = x + p * HW;
        T* yp = y + p * OHW;
        std::int64_t* ip = idx ? idx + p * OHW : nullptr;
        for (std::int64_t oh = 0; oh < g.OH; ++oh) {
            std::int64_t h0 = oh * g.sh - g.ph;
            const std::int64_t h1 = std::min(h0 + (g.kh - 1) * g.dh + 1, g.H);
            while (h0 < 0) h0 += g.dh;
            for (std::int64_t ow = 0; ow < g.OW; ++ow) {
                std::int64_t w0 = ow * g.sw - g.pw;
                const std::int64_t w1 = std::min(w0 + (g.kw - 1) * g.dw + 1, g.W);
                while (w0 < 0) w0 += g.dw;
                T best = -std::numeric_limits<T>::infinity();
                std::int64_t best_i = h0 < h1 && w0 < w1 ? h0 * g.W + w0 : -1;
                for (std::int64_t h = h0; h < h1; h += g.dh)
                    for (std::int64_t w = w0; w < w1; w += g.dw) {
                        const std::int64_t i = h * g.W + w;
                        const T v = xp[i];
                        const bool take = (v > best) | (v != v);
                        best = take ? v : best;
                        best_i = take ? i : best_i;
                    }
                yp[oh * g.OW + ow] = best;
                if (ip) ip[oh * g.OW + ow] = best_i;
            }
        }
    }
}

// dx for windows that tile the input (kernel = stride, no padding or dilation): each band of kh
// input rows (one row of windows) is zeroed while it is in cache, then every window's gradient
// goes to its argmax, which lies in that band; rows past the last band get 0. No pass over the
// whole of dx beforehand, and no branch per element.
// dx for float32 2×2 windows with stride 2 (disjoint), with AVX2: eight windows at a time, each
// of the four taps gets dy where the window's record points to it and +0 elsewhere, interleaved
// back into the two input rows with full-width stores (a row's last block is the one ending at its
// last window, as in the forward; a row of fewer than 8 windows goes window by window). No zero
// pass, no scatter. Record as in the forward.
template <class Record>
__attribute__((target("avx2"))) void max_pool_2x2_stride2_backward_avx2(const float* dy, const Record* rec,
                                                                        const PoolGeom& g, float* dx) {
    constexpr bool kTaps = std::is_same_v<Record, std::uint8_t>;
    const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW, W = g.W, OH = g.OH, OW = g.OW;
    const __m256i narrow = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);  // the low halves of 4 int64 first
    const __m256i lanes2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256i tap01 = _mm256_set1_epi32(1), tap10 = _mm256_set1_epi32(kTaps ? 2 : static_cast<int>(W)),
                  tap11 = _mm256_set1_epi32(kTaps ? 3 : static_cast<int>(W + 1));
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * HW))
    for (std::int64_t p = 0; p < g.planes; ++p) {
        const float* dp = dy + p * OHW;
        const Record* ip = rec + p * OHW;
        float* xp = dx + p * HW;
        for (std::int64_t oh = 0; oh < OH; ++oh) {
            float* r0 = xp + 2 * oh * W;
            float* r1 = r0 + W;
            if (OW < 8) {  // a short row: window by window
                const std::int64_t t10 = kTaps ? 2 : W, t11 = kTaps ? 3 : W + 1;
                for (std::int64_t ow = 0; ow < OW; ++ow) {
                    const float d = dp[oh * OW + ow];
                    const std::int64_t r = static_cast<std::int64_t>(ip[oh * OW + ow]);
                    const std::int64_t off = kTaps ? r : r - (2 * oh * W + 2 * ow);
                    r0[2 * ow] = off == 0 ? d : 0.0f;
                    r0[2 * ow + 1] = off == 1 ? d : 0.0f;
                    r1[2 * ow] = off == t10 ? d : 0.0f;
                    r1[2 * ow + 1] = off == t11 ? d : 0.0f;
                }
            }
            for (std::int64_t block = 0; OW >= 8 && block < OW; block += 8) {
                const std::int64_t ow = block + 8 > OW ? OW - 8 : block;
                const __m256 d = _mm256_loadu_ps(dp + oh * OW + ow);
                __m256i off;  // the winning tap's offset from its window's first element, or its code
                if constexpr (kTaps) {
                    off = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(ip + oh * OW + ow)));
                } else {  // offsets within the plane fit in 32 bits (checked by the caller)
                    const __m256i lo = _mm256_permutevar8x32_epi32(
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ip + oh * OW + ow)), narrow);
                    const __m256i hi = _mm256_permutevar8x32_epi32(
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ip + oh * OW + ow + 4)), narrow);
                    off = _mm256_sub_epi32(
                        _mm256_permute2x128_si256(lo, hi, 0x20),
                        _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(2 * oh * W + 2 * ow)), lanes2));
                }
                const __m256 e0 = _mm256_and_ps(d, _mm256_castsi256_ps(_mm256_cmpeq_epi32(off, _mm256_setzero_si256())));
                const __m256 o0 = _mm256_and_ps(d, _mm256_castsi256_ps(_mm256_cmpeq_epi32(off, tap01)));
                const __m256 e1 = _mm256_and_ps(d, _mm256_castsi256_ps(_mm256_cmpeq_epi32(off, tap10)));
                const __m256 o1 = _mm256_and_ps(d, _mm256_castsi256_ps(_mm256_cmpeq_epi32(off, tap11)));
                // (even, odd) pairs back in column order: 16 columns of each row.
                const __m256 a0 = _mm256_unpacklo_ps(e0, o0), b0 = _mm256_unpackhi_ps(e0, o0);
                const __m256 a1 = _mm256_unpacklo_ps(e1, o1), b1 = _mm256_unpackhi_ps(e1, o1);
                _mm256_storeu_ps(r0 + 2 * ow, _mm256_permute2f128_ps(a0, b0, 0x20));
                _mm256_storeu_ps(r0 + 2 * ow + 8, _mm256_permute2f128_ps(a0, b0, 0x31));
                _mm256_storeu_ps(r1 + 2 * ow, _mm256_permute2f128_ps(a1, b1, 0x20));
                _mm256_storeu_ps(r1 + 2 * ow + 8, _mm256_permute2f128_ps(a1, b1, 0x31));
            }
            for (std::int64_t w = 2 * OW; w < W; ++w) r0[w] = r1[w] = 0.0f;  // an odd width's last column
        }
        std::fill(xp + 2 * OH * W, xp + HW, 0.0f);  // an odd height's last row
    }
}

template <class T>
void disjoint_windows_backward(const T* dy, const std::int64_t* idx, const PoolGeom& g, T* dx) {
    if constexpr (std::is_same_v<T, float>) {
        static const bool avx2 = kernels::isa_supported(kernels::Isa::Avx2);
        if (avx2 && g.kh == 2 && g.kw == 2 && g.H * g.W < (std::int64_t{1} << 31))
            return max_pool_2x2_stride2_backward_avx2<std::int64_t>(dy, idx, g, dx);
    }
    const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW, band = g.kh * g.W;
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * HW))
    for (std::int64_t p = 0; p < g.planes; ++p) {
        const T* dp = dy + p * OHW;
        const std::int64_t* ip = idx + p * OHW;
        T* xp = dx + p * HW;
        for (std::int64_t oh = 0; oh < g.OH; ++oh) {
            T* rows = xp + oh * band;
            for (std::int64_t i = 0; i < band; ++i) rows[i] = T(0);
            for (std::int64_t ow = 0; ow < g.OW; ++ow) xp[ip[oh * g.OW + ow]] = dp[oh * g.OW + ow];
        }
        std::fill(xp + g.OH * band, xp + HW, T(0));
    }
}

struct MaxPool2DWithIndicesBackward final : Node {
    SavedTensor indices;  // int64, the output's shape
    PoolGeom geom{};
    Shape input_shape;
    DType dtype = kFloat32;
    TensorList apply(TensorList&& grads) override {
        const Tensor idx = indices.unpack(*this);
        const Tensor dy = contiguous(grads[0].dtype() == dtype ? grads[0] : to_dtype(grads[0], dtype));
        const PoolGeom& g = geom;
        // Windows that tile the input without overlap or padding (kernel = stride, the usual 2×2/2):
        // every input element lies in at most one window, so dx is written in one pass, window by
        // window, instead of zero-filled and then scattered into.
        const bool disjoint = detail::windows_are_disjoint(g);
        Tensor dx = disjoint ? make_tensor(input_shape, dtype) : Tensor::zeros(input_shape, {.dtype = dtype});
        visit_floating(dtype, "max_pool2d", [&](auto tag) {
            using T = decltype(tag);
            const T* d = dy.data_ptr<T>();
            const std::int64_t* ix = idx.data_ptr<std::int64_t>();
            T* out = dx.data_ptr<T>();
            const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
            if (disjoint) return disjoint_windows_backward(d, ix, g, out);
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * OHW))
            for (std::int64_t p = 0; p < g.planes; ++p)
                for (std::int64_t o = 0; o < OHW; ++o) {
                    // Index −1 marks a window without input elements: no gradient.
                    const std::int64_t i = ix[p * OHW + o];
                    if (static_cast<std::uint64_t>(i) < static_cast<std::uint64_t>(HW)) out[p * HW + i] += d[p * OHW + o];
                }
        });
        return {dx};
    }
    void release_saved() override { indices.reset(); }
    std::string name() const override { return "MaxPool2DWithIndicesBackward0"; }
};

// ---- average ------------------------------------------------------------------------------
// Calls f(h0, h1, w0, w1, divisor) for output (oh, ow): the window clipped to the input.
template <class F>
void avg_window(const PoolGeom& g, const AvgPool2dArgs& a, std::int64_t oh, std::int64_t ow, F&& f) {
    std::int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
    std::int64_t h1 = std::min(h0 + g.kh, g.H + g.ph), w1 = std::min(w0 + g.kw, g.W + g.pw);
    const std::int64_t padded_size = (h1 - h0) * (w1 - w0);
    h0 = std::max<std::int64_t>(h0, 0), w0 = std::max<std::int64_t>(w0, 0);
    h1 = std::min(h1, g.H), w1 = std::min(w1, g.W);
    if (h0 >= h1 || w0 >= w1) return;  // a window entirely in the padding: output 0, no gradient
    const std::int64_t divisor =
        a.divisor_override ? *a.divisor_override : a.count_include_pad ? padded_size : (h1 - h0) * (w1 - w0);
    f(h0, h1, w0, w1, divisor);
}

struct AvgPool2DBackward final : Node {
    PoolGeom geom{};
    AvgPool2dArgs args;
    Shape input_shape;
    DType dtype = kFloat32;
    TensorList apply(TensorList&& grads) override {
        const Tensor dy = contiguous(grads[0].dtype() == dtype ? grads[0] : to_dtype(grads[0], dtype));
        Tensor dx = Tensor::zeros(input_shape, {.dtype = dtype});
        const PoolGeom& g = geom;
        visit_floating(dtype, "avg_pool2d", [&](auto tag) {
            using T = decltype(tag);
            const T* d = dy.data_ptr<T>();
            T* out = dx.data_ptr<T>();
            const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * OHW * g.kh * g.kw))
            for (std::int64_t p = 0; p < g.planes; ++p)
                for (std::int64_t oh = 0; oh < g.OH; ++oh)
                    for (std::int64_t ow = 0; ow < g.OW; ++ow)
                        avg_window(g, args, oh, ow, [&](auto h0, auto h1, auto w0, auto w1, std::int64_t div) {
                            const T v = d[p * OHW + oh * g.OW + ow] / static_cast<T>(div);
                            for (std::int64_t h = h0; h < h1; ++h)
                                for (std::int64_t w = w0; w < w1; ++w) out[p * HW + h * g.W + w] += v;
                        });
        });
        return {dx};
    }
    std::string name() const override { return "AvgPool2DBackward0"; }
};

// ---- adaptive average ---------------------------------------------------------------------
std::int64_t cell_start(std::int64_t i, std::int64_t out, std::int64_t in) { return (i * in) / out; }
std::int64_t cell_end(std::int64_t i, std::int64_t out, std::int64_t in) { return ((i + 1) * in + out - 1) / out; }

struct AdaptiveAvgPool2DBackward final : Node {
    PoolGeom geom{};
    Shape input_shape;
    DType dtype = kFloat32;
    TensorList apply(TensorList&& grads) override {
        const Tensor dy = contiguous(grads[0].dtype() == dtype ? grads[0] : to_dtype(grads[0], dtype));
        Tensor dx = Tensor::zeros(input_shape, {.dtype = dtype});
        const PoolGeom& g = geom;
        visit_floating(dtype, "adaptive_avg_pool2d", [&](auto tag) {
            using T = decltype(tag);
            const T* d = dy.data_ptr<T>();
            T* out = dx.data_ptr<T>();
            const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * HW))
            for (std::int64_t p = 0; p < g.planes; ++p)
                for (std::int64_t oh = 0; oh < g.OH; ++oh) {
                    const std::int64_t h0 = cell_start(oh, g.OH, g.H), h1 = cell_end(oh, g.OH, g.H);
                    for (std::int64_t ow = 0; ow < g.OW; ++ow) {
                        const std::int64_t w0 = cell_start(ow, g.OW, g.W), w1 = cell_end(ow, g.OW, g.W);
                        const T v = d[p * OHW + oh * g.OW + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
                        for (std::int64_t h = h0; h < h1; ++h)
                            for (std::int64_t w = w0; w < w1; ++w) out[p * HW + h * g.W + w] += v;
                    }
                }
        });
        return {dx};
    }
    std::string name() const override { return "AdaptiveAvgPool2DBackward0"; }
};

}  // namespace

template <class T>
void detail::max_pool_forward(const T* x, const PoolGeom& g, T* y, std::int64_t* idx) {
    max_pool_planes<T>(x, g, y, idx);
}
template <class T>
void detail::max_pool_backward_disjoint(const T* dy, const std::int64_t* idx, const PoolGeom& g, T* dx) {
    disjoint_windows_backward<T>(dy, idx, g, dx);
}
bool detail::max_pool_tap_codes_apply(const PoolGeom& g) {
    static const bool avx2 = kernels::isa_supported(kernels::Isa::Avx2);
    return avx2 && g.kh == 2 && g.kw == 2 && windows_are_disjoint(g);
}
void detail::max_pool_forward_tap_codes(const float* x, const PoolGeom& g, float* y, std::uint8_t* codes) {
    max_pool_2x2_stride2_avx2<std::uint8_t>(x, g, y, codes);
}
void detail::max_pool_backward_tap_codes(const float* dy, const std::uint8_t* codes, const PoolGeom& g, float* dx) {
    max_pool_2x2_stride2_backward_avx2<std::uint8_t>(dy, codes, g, dx);
}
template void detail::max_pool_forward<float>(const float*, const PoolGeom&, float*, std::int64_t*);
template void detail::max_pool_forward<double>(const double*, const PoolGeom&, double*, std::int64_t*);
template void detail::max_pool_backward_disjoint<float>(const float*, const std::int64_t*, const PoolGeom&, float*);
template void detail::max_pool_backward_disjoint<double>(const double*, const std::int64_t*, const PoolGeom&, double*);

namespace {
// The indices are computed only when asked for or when backward will need them: evaluation
// under NoGradGuard writes no int64 per output (at batch 1000 after conv1, 50 MB not written).
ValuesIndices max_pool2d_impl(const Tensor& input, Size2 kernel_size, const MaxPool2dArgs& args, bool want_indices) {
    const PoolGeom g =
        pool_geom(input, kernel_size, args.stride, args.padding, args.dilation, args.ceil_mode, "max_pool2d");
    const Tensor x = contiguous(input.detach());
    Tensor out = make_tensor(g.out_shape, x.dtype());
    auto node = make_node<MaxPool2DWithIndicesBackward>({&input});
    Tensor idx = want_indices || node ? make_tensor(g.out_shape, kInt64) : Tensor();
    visit_floating(x.dtype(), "max_pool2d", [&](auto tag) {
        using T = decltype(tag);
        max_pool_planes<T>(x.data_ptr<T>(), g, out.data_ptr<T>(), idx.defined() ? idx.data_ptr<std::int64_t>() : nullptr);
    });
    if (node) {
        node->indices = SavedTensor(idx);
        node->geom = g;
        node->input_shape = input.shape();
        node->dtype = x.dtype();
        autograd::set_history(out, node);
    }
    return {out, idx};
}
}  // namespace

ValuesIndices max_pool2d_with_indices(const Tensor& input, Size2 kernel_size, const MaxPool2dArgs& args) {
    return max_pool2d_impl(input, kernel_size, args, true);
}

Tensor max_pool2d(const Tensor& input, Size2 kernel_size, const MaxPool2dArgs& args) {
    return max_pool2d_impl(input, kernel_size, args, false).values;
}

Tensor avg_pool2d(const Tensor& input, Size2 kernel_size, const AvgPool2dArgs& args) {
    const PoolGeom g = pool_geom(input, kernel_size, args.stride, args.padding, 1, args.ceil_mode, "avg_pool2d");
    DESCENT_CHECK(!args.divisor_override || *args.divisor_override != 0, "avg_pool2d: divisor_override must not be 0");
    const Tensor x = contiguous(input.detach());
    Tensor out = make_tensor(g.out_shape, x.dtype());
    visit_floating(x.dtype(), "avg_pool2d", [&](auto tag) {
        using T = decltype(tag);
        const T* xd = x.data_ptr<T>();
        T* y = out.data_ptr<T>();
        const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * OHW * g.kh * g.kw))
        for (std::int64_t p = 0; p < g.planes; ++p)
            for (std::int64_t oh = 0; oh < g.OH; ++oh)
                for (std::int64_t ow = 0; ow < g.OW; ++ow) {
                    T& dst = y[p * OHW + oh * g.OW + ow];
                    dst = T(0);
                    avg_window(g, args, oh, ow, [&](auto h0, auto h1, auto w0, auto w1, std::int64_t div) {
                        T s = 0;
                        for (std::int64_t h = h0; h < h1; ++h)
                            for (std::int64_t w = w0; w < w1; ++w) s += xd[p * HW + h * g.W + w];
                        dst = s / static_cast<T>(div);
                    });
                }
    });
    if (auto node = make_node<AvgPool2DBackward>({&input})) {
        node->geom = g;
        node->args = args;
        node->input_shape = input.shape();
        node->dtype = x.dtype();
        autograd::set_history(out, node);
    }
    return out;
}

Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size) {
    check_input(input, "adaptive_avg_pool2d");
    DESCENT_CHECK(output_size.h > 0 && output_size.w > 0, "adaptive_avg_pool2d: output size must be positive, got ",
                  size2_str(output_size));
    PoolGeom g{};
    g.H = input.size(-2), g.W = input.size(-1), g.OH = output_size.h, g.OW = output_size.w;
    g.planes = input.numel() / (g.H * g.W);
    g.out_shape = input.shape();
    g.out_shape[g.out_shape.size() - 2] = g.OH;
    g.out_shape[g.out_shape.size() - 1] = g.OW;
    const Tensor x = contiguous(input.detach());
    Tensor out = make_tensor(g.out_shape, x.dtype());
    visit_floating(x.dtype(), "adaptive_avg_pool2d", [&](auto tag) {
        using T = decltype(tag);
        const T* xd = x.data_ptr<T>();
        T* y = out.data_ptr<T>();
        const std::int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
#pragma omp parallel for schedule(static) num_threads(pool_threads(g.planes * HW))
        for (std::int64_t p = 0; p < g.planes; ++p)
            for (std::int64_t oh = 0; oh < g.OH; ++oh) {
                const std::int64_t h0 = cell_start(oh, g.OH, g.H), h1 = cell_end(oh, g.OH, g.H);
                for (std::int64_t ow = 0; ow < g.OW; ++ow) {
                    const std::int64_t w0 = cell_start(ow, g.OW, g.W), w1 = cell_end(ow, g.OW, g.W);
                    T s = 0;
                    for (std::int64_t h = h0; h < h1; ++h)
                        for (std::int64_t w = w0; w < w1; ++w) s += xd[p * HW + h * g.W + w];
                    y[p * OHW + oh * g.OW + ow] = s / static_cast<T>((h1 - h0) * (w1 - w0));
                }
            }
    });
    if (auto node = make_node<AdaptiveAvgPool2DBackward>({&input})) {
        node->geom = g;
        node->input_shape = input.shape();
        node->dtype = x.dtype();
        autograd::set_history(out, node);
    }
    return out;
}

}  // namespace descent
