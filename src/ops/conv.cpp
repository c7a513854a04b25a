// conv2d as im2col + GEMM, with a hand-written backward. Per sample n and group
// g, with K = C/G·kH·kW rows of patch values and P = OH·OW output positions:
//   col [K, P]       = im2col(x[n, channels of g])
//   y[n, g] [O/G, P] = W_g [O/G, K] · col  (+ bias[o] on row o)
//   dcol [K, P]      = W_gᵀ · dy[n, g];  dx[n, g] = col2im(dcol)   (col2im is im2col's adjoint)
//   dW_g [O/G, K]   += dy[n, g] · colᵀ;   db[o] = Σ_{n, P} dy[n, o]
// Samples run in parallel on OpenMP threads, each with its own column buffer and
// its own dW accumulator (summed in thread order, so results do not depend on timing).
// A 1×1 kernel with stride 1 and no padding needs no im2col: x[n, g] is already col.
#include "descent/ops/conv.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "../kernels/gemm.hpp"
#include "descent/autograd/node.hpp"
#include "descent/core/small_vector.hpp"
#include "descent/ops/pooling.hpp"
#include "descent/ops/shape.hpp"
#include "descent/ops/elementwise.hpp"
#include "pool_kernels.hpp"

namespace descent {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;
using autograd::SavedTensor;

std::string size2_str(Size2 s) {
    std::string out = "(";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "(" + to_string(..)
    out.append(std::to_string(s.h)).append(", ").append(std::to_string(s.w)).append(")");
    return out;
}

namespace {

// Below this many multiply-adds a convolution stays on one thread: waking the
// pool costs more than it saves on the tiny shapes of tests and toy models.
constexpr double kParallelMacs = 2e5;

struct ConvGeom {
    std::int64_t N, C, H, W;     // input
    std::int64_t O, kh, kw;      // weight [O, C/G, kh, kw]
    std::int64_t sh, sw, ph, pw, dh, dw, G;
    std::int64_t OH, OW;
    std::int64_t Cg() const { return C / G; }
    std::int64_t Og() const { return O / G; }
    std::int64_t K() const { return Cg() * kh * kw; }
    std::int64_t P() const { return OH * OW; }
    bool direct() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
    double macs() const { return static_cast<double>(N) * O * P() * K(); }
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// The output columns ow whose input column ow·sw + off lies in [0, W): [lo, hi).
void valid_range(std::int64_t off, std::int64_t sw, std::int64_t W, std::int64_t OW, std::int64_t& lo,
                 std::int64_t& hi) {
    lo = std::clamp<std::int64_t>(ceil_div(-off, sw), 0, OW);
    hi = std::clamp<std::int64_t>(ceil_div(W - off, sw), lo, OW);
}

// Stride 1, no dilation, output as wide as the input (a "same" width, e.g. 3×3 with padding 1):
// then tap (ki, kj) reads the plane shifted by s = (ki − ph)·W + (kj − pw), so its row of col is
// one flat copy col[p] = x[p + s] over the output rows inside the image, with the columns that
// wrapped around a row edge (and the rows outside the image) zeroed after.
struct ShiftedTap {
    std::int64_t shift, p_lo, p_hi;  // col[p] = x[p + shift] for p in [p_lo, p_hi) (within one plane)
    std::int64_t row_lo, row_hi;     // output rows inside the image
    std::int64_t dw;                 // column offset: −dw leftmost (dw < 0) or dw rightmost (dw > 0) columns wrapped
};

bool flat_taps(const ConvGeom& g) {
    // |column offset| < W: a shifted row wraps into its neighbour only, never further.
    return g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.OW == g.W && g.pw < g.W && g.kw - 1 - g.pw < g.W;
}

ShiftedTap shifted_tap(const ConvGeom& g, std::int64_t ki, std::int64_t kj) {
    ShiftedTap t{};
    const std::int64_t dh = ki - g.ph;
    t.dw = kj - g.pw;
    t.shift = dh * g.W + t.dw;
    t.row_lo = std::clamp<std::int64_t>(-dh, 0, g.OH);
    t.row_hi = std::clamp<std::int64_t>(g.H - dh, t.row_lo, g.OH);
    // Keep the source inside the plane; the positions cut off here are wrapped columns anyway.
    t.p_lo = std::min(g.P(), std::max(t.row_lo * g.W, -t.shift));
    t.p_hi = std::clamp(std::min(t.row_hi * g.W, g.H * g.W - t.shift), t.p_lo, g.P());
    return t;
}

// Zeroes the entries of one col row that belong to taps outside the image.
template <class T>
void zero_outside(const ConvGeom& g, const ShiftedTap& t, T* row) {
    const std::int64_t W = g.W;
    std::fill(row, row + t.p_lo, T(0));
    std::fill(row + t.p_hi, row + g.P(), T(0));
    // The wrapped columns: one value per row for a 3×3 kernel (stores, not a memset call per row).
    const std::int64_t first = t.dw < 0 ? 0 : W - t.dw, count = t.dw < 0 ? -t.dw : t.dw;
    if (count == 1)
        for (std::int64_t oh = t.row_lo; oh < t.row_hi; ++oh) row[oh * W + first] = T(0);
    else if (count > 1)
        for (std::int64_t oh = t.row_lo; oh < t.row_hi; ++oh) std::fill_n(row + oh * W + first, count, T(0));
}

// The taps (ki, kj) in row order when flat_taps(g), else none. They do not depend on the channel
// or the sample, so a convolution computes them once (per channel and sample they were ~1 % of
// W3's step). Kernels up to 5×5 keep them on the stack: a training step allocates nothing here.
using TapTable = SmallVector<ShiftedTap, 25>;
TapTable flat_tap_table(const ConvGeom& g) {
    TapTable taps;
    if (flat_taps(g)) {
        taps.reserve(static_cast<std::size_t>(g.kh * g.kw));
        for (std::int64_t ki = 0; ki < g.kh; ++ki)
            for (std::int64_t kj = 0; kj < g.kw; ++kj) taps.push_back(shifted_tap(g, ki, kj));
    }
    return taps;
}

// visit(c, tap, row of col) for every channel and kernel tap, in col's row order.
template <class T, class Visit>
void for_each_flat_tap(const ConvGeom& g, const TapTable& taps, T* col, Visit&& visit) {
    const std::int64_t n = static_cast<std::int64_t>(taps.size());
    for (std::int64_t c = 0; c < g.Cg(); ++c)
        for (std::int64_t t = 0; t < n; ++t) visit(c, taps[t], col + (c * n + t) * g.P());
}

// col [K, P] from x [Cg, H, W] (one sample, one group); out-of-image taps are 0. taps: flat_tap_table(g).
template <class T>
void im2col(const T* x, const ConvGeom& g, const TapTable& taps, T* col) {
    const std::int64_t P = g.P();
    if (!taps.empty()) {
        for_each_flat_tap(g, taps, col, [&](std::int64_t c, const ShiftedTap& t, T* row) {
            const T* plane = x + c * g.H * g.W;  // plane[p + shift] is inside it for p in [p_lo, p_hi)
            if (t.p_hi > t.p_lo) std::copy(plane + (t.p_lo + t.shift), plane + (t.p_hi + t.shift), row + t.p_lo);
            zero_outside(g, t, row);
        });
        return;
    }
    for (std::int64_t c = 0; c < g.Cg(); ++c)
        for (std::int64_t ki = 0; ki < g.kh; ++ki)
            for (std::int64_t kj = 0; kj < g.kw; ++kj) {
                T* row = col + ((c * g.kh + ki) * g.kw + kj) * P;
                const std::int64_t off_w = kj * g.dw - g.pw;
                std::int64_t lo, hi;
                valid_range(off_w, g.sw, g.W, g.OW, lo, hi);
                for (std::int64_t oh = 0; oh < g.OH; ++oh) {
                    T* r = row + oh * g.OW;
                    const std::int64_t ih = oh * g.sh - g.ph + ki * g.dh;
                    if (ih < 0 || ih >= g.H) {
                        std::fill(r, r + g.OW, T(0));
                        continue;
                    }
                    const T* xr = x + (c * g.H + ih) * g.W;
                    // Plain loops, not memcpy/fill: rows are short (14–28 values in a small CNN) and a
                    // library call per row cost more than the copy.
                    for (std::int64_t ow = 0; ow < lo; ++ow) r[ow] = T(0);
                    if (g.sw == 1) {
                        const T* src = xr + off_w;
                        for (std::int64_t ow = lo; ow < hi; ++ow) r[ow] = src[ow];
                    } else {
                        for (std::int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow * g.sw + off_w];
                    }
                    for (std::int64_t ow = hi; ow < g.OW; ++ow) r[ow] = T(0);
                }
            }
}

// dx [Cg, H, W] += col2im(dcol [K, P]): every tap adds its gradient to the pixel it read.
// With flat taps the scratch col is zeroed where taps fall outside the image (their gradient
// is discarded), then each row is added to dx with one flat loop.
template <class T>
void col2im_add(T* col, const ConvGeom& g, const TapTable& taps, T* dx) {
    const std::int64_t P = g.P();
    if (!taps.empty()) {
        for_each_flat_tap(g, taps, col, [&](std::int64_t c, const ShiftedTap& t, T* row) {
            zero_outside(g, t, row);
            T* plane = dx + c * g.H * g.W;
            for (std::int64_t p = t.p_lo; p < t.p_hi; ++p) plane[p + t.shift] += row[p];
        });
        return;
    }
    for (std::int64_t c = 0; c < g.Cg(); ++c)
        for (std::int64_t ki = 0; ki < g.kh; ++ki)
            for (std::int64_t kj = 0; kj < g.kw; ++kj) {
                const T* row = col + ((c * g.kh + ki) * g.kw + kj) * P;
                const std::int64_t off_w = kj * g.dw - g.pw;
                std::int64_t lo, hi;
                valid_range(off_w, g.sw, g.W, g.OW, lo, hi);
                for (std::int64_t oh = 0; oh < g.OH; ++oh) {
                    const std::int64_t ih = oh * g.sh - g.ph + ki * g.dh;
                    if (ih < 0 || ih >= g.H) continue;
                    const T* r = row + oh * g.OW;
                    T* xr = dx + (c * g.H + ih) * g.W;
                    for (std::int64_t ow = lo; ow < hi; ++ow) xr[ow * g.sw + off_w] += r[ow];
                }
            }
}

int thread_count(const ConvGeom& g) {
    return g.N > 1 && g.macs() >= kParallelMacs ? std::min<int>(omp_get_max_threads(), static_cast<int>(g.N)) : 1;
}

// y_n [O, P] for one sample x_n [C, H, W]; col: this thread's [K, P] scratch (unused when direct).
template <class T>
void conv_forward_sample(const T* xn, const T* w, const T* b, const ConvGeom& g, const TapTable& taps, T* col, T* yn) {
    const std::int64_t K = g.K(), P = g.P(), Og = g.Og(), Cg = g.Cg();
    for (std::int64_t gi = 0; gi < g.G; ++gi) {
        const T* xg = xn + gi * Cg * g.H * g.W;
        if (!g.direct()) im2col(xg, g, taps, col);
        kernels::gemm<T>(false, false, Og, P, K, T(1), w + gi * Og * K, K, g.direct() ? xg : col, P, T(0),
                         yn + gi * Og * P, P);
    }
    if (b)
        for (std::int64_t o = 0; o < g.O; ++o) {
            T* row = yn + o * P;
            const T bo = b[o];
            for (std::int64_t p = 0; p < P; ++p) row[p] += bo;
        }
}

// Samples in parallel: emit(n, y_n) gets each sample's output [O, P], computed into y_n(n, thread).
template <class T, class OutputOf, class Emit>
void conv_forward(const T* x, const T* w, const T* b, const ConvGeom& g, OutputOf&& y_n, Emit&& emit) {
    const std::int64_t K = g.K(), P = g.P();
    const int threads = thread_count(g);
    Tensor scratch;
    if (!g.direct()) scratch = make_tensor({threads, K * P}, dtype_of<T>());
    const TapTable taps = flat_tap_table(g);
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num();
        T* col = scratch.defined() ? scratch.data_ptr<T>() + t * K * P : nullptr;
#pragma omp for schedule(static)
        for (std::int64_t n = 0; n < g.N; ++n) {
            T* yn = y_n(n, t);
            conv_forward_sample(x + n * g.C * g.H * g.W, w, b, g, taps, col, yn);
            emit(n, yn);
        }
    }
}

// Σ_p row[p] in T with eight partial sums (a reduction the compiler can vectorize).
template <class T>
T row_sum(const T* row, std::int64_t P) {
    T acc[8] = {};
    std::int64_t p = 0;
    for (; p + 8 <= P; p += 8)
        for (int k = 0; k < 8; ++k) acc[k] += row[p + k];
    for (; p < P; ++p) acc[0] += row[p];
    T s = 0;
    for (int k = 0; k < 8; ++k) s += acc[k];
    return s;
}

// dx, dw and db (each if non-null) from dy; dx and db are written, dw overwritten. db's rows are
// summed per sample while that sample's dy is in cache for the dw product (in T per row, across
// samples in double).
// dy_of(n, thread) gives sample n's output gradient [O, P] (a slice of dy, or one built in the
// thread's buffer).
template <class T, class DyOf>
void conv_backward(const T* x, const T* w, DyOf&& dy_of, const ConvGeom& g, T* dx, T* dw, T* db) {
    const std::int64_t K = g.K(), P = g.P(), Og = g.Og(), Cg = g.Cg();
    const int threads = thread_count(g);
    Tensor scratch, dw_parts;
    // Per-thread bias sums in double, from the tensor cache like the other scratch.
    Tensor db_parts = db ? Tensor::zeros({threads, g.O}, {.dtype = kFloat64}) : Tensor();
    if (!g.direct() && (dx || dw)) scratch = make_tensor({threads, K * P}, dtype_of<T>());
    if (dw) {
        dw_parts = make_tensor({threads, g.O * K}, dtype_of<T>());
        std::fill_n(dw_parts.data_ptr<T>(), threads * g.O * K, T(0));
    }
    const TapTable taps = flat_tap_table(g);
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num();
        T* col = scratch.defined() ? scratch.data_ptr<T>() + t * K * P : nullptr;
        T* dw_t = dw ? dw_parts.data_ptr<T>() + t * g.O * K : nullptr;
        double* db_t = db ? db_parts.data_ptr<double>() + t * g.O : nullptr;
#pragma omp for schedule(static)
        for (std::int64_t n = 0; n < g.N; ++n) {
            const T* dyn = dy_of(n, t);
            if (db_t)
                for (std::int64_t o = 0; o < g.O; ++o) db_t[o] += row_sum(dyn + o * P, P);
            for (std::int64_t gi = 0; gi < g.G; ++gi) {
                const std::int64_t in_off = (n * g.C + gi * Cg) * g.H * g.W;
                const T* dyg = dyn + gi * Og * P;
                const T* wg = w + gi * Og * K;
                if (dw) {
                    const T* cols = x + in_off;
                    if (!g.direct()) {
                        im2col(x + in_off, g, taps, col);
                        cols = col;
                    }
                    kernels::gemm<T>(false, true, Og, K, P, T(1), dyg, P, cols, P, T(1), dw_t + gi * Og * K, K);
                }
                if (dx) {
                    if (g.direct()) {
                        kernels::gemm<T>(true, false, K, P, Og, T(1), wg, K, dyg, P, T(0), dx + in_off, P);
                    } else {
                        kernels::gemm<T>(true, false, K, P, Og, T(1), wg, K, dyg, P, T(0), col, P);
                        std::fill_n(dx + in_off, Cg * g.H * g.W, T(0));
                        col2im_add(col, g, taps, dx + in_off);
                    }
                }
            }
        }
    }
    if (dw) {
        const T* parts = dw_parts.data_ptr<T>();
        std::copy_n(parts, g.O * K, dw);
        for (int t = 1; t < threads; ++t)
            for (std::int64_t i = 0; i < g.O * K; ++i) dw[i] += parts[t * g.O * K + i];
    }
    if (db) {
        const double* sums = db_parts.data_ptr<double>();
        for (std::int64_t o = 0; o < g.O; ++o) {
            double s = 0;
            for (int t = 0; t < threads; ++t) s += sums[t * g.O + o];
            db[o] = static_cast<T>(s);
        }
    }
}

struct ConvolutionBackward final : Node {
    SavedTensor input, weight;  // contiguous [N, C, H, W] and [O, C/G, kh, kw]
    ConvGeom geom{};
    bool has_bias = false;
    TensorList apply(TensorList&& grads) override {
        const bool need_x = needs_input_grad(0), need_w = needs_input_grad(1), need_b = has_bias && needs_input_grad(2);
        const Tensor w = weight.unpack(*this);
        const Tensor x = need_w ? input.unpack(*this) : Tensor();
        const Tensor dy = contiguous(grads[0].dtype() == w.dtype() ? grads[0] : to_dtype(grads[0], w.dtype()));
        Tensor gx, gw, gb;
        if (need_x) gx = make_tensor({geom.N, geom.C, geom.H, geom.W}, w.dtype());
        if (need_w) gw = make_tensor(w.shape(), w.dtype());
        if (need_b) gb = make_tensor({geom.O}, w.dtype());
        visit_floating(w.dtype(), "conv2d", [&](auto tag) {
            using T = decltype(tag);
            const T* d = dy.data_ptr<T>();
            const std::int64_t per_sample = geom.O * geom.P();
            conv_backward<T>(need_w ? x.data_ptr<T>() : nullptr, w.data_ptr<T>(),
                             [&](std::int64_t n, int) { return d + n * per_sample; }, geom,
                             need_x ? gx.data_ptr<T>() : nullptr, need_w ? gw.data_ptr<T>() : nullptr,
                             need_b ? gb.data_ptr<T>() : nullptr);
        });
        return {gx, gw, gb};
    }
    void release_saved() override { input.reset(), weight.reset(); }
    std::string name() const override { return "ConvolutionBackward0"; }
};

// max_pool2d(conv2d(x)) done sample by sample (conv2d_max_pool2d): the backward rebuilds each
// sample's convolution gradient from the pooled one in a per-thread buffer, still in cache, and
// hands it to the convolution's backward; the convolution's output and its gradient never exist
// whole.
struct ConvolutionMaxPoolBackward final : Node {
    SavedTensor input, weight;  // contiguous [N, C, H, W], [O, C/G, kh, kw]
    // Each window's winner, [N, O, PH, PW]: int64 offsets in the plane, or with tap_codes one byte
    // per window (its tap 0..3) held in a kBool tensor's storage and only ever read as bytes.
    SavedTensor indices;
    bool tap_codes = false;
    SavedTensor output;  // with relu: the op's output, whose sign gates the gradient
    bool relu = false;
    ConvGeom geom{};
    detail::PoolGeom pool{};  // one sample's pooling: O planes of OH × OW
    bool has_bias = false;
    TensorList apply(TensorList&& grads) override {
        const bool need_x = needs_input_grad(0), need_w = needs_input_grad(1), need_b = has_bias && needs_input_grad(2);
        const Tensor w = weight.unpack(*this);
        const Tensor x = need_w ? input.unpack(*this) : Tensor();
        const Tensor idx = indices.unpack(*this);
        const Tensor dy = contiguous(grads[0].dtype() == w.dtype() ? grads[0] : to_dtype(grads[0], w.dtype()));
        Tensor gx, gw, gb;
        if (need_x) gx = make_tensor({geom.N, geom.C, geom.H, geom.W}, w.dtype());
        if (need_w) gw = make_tensor(w.shape(), w.dtype());
        if (need_b) gb = make_tensor({geom.O}, w.dtype());
        const std::int64_t conv_per_sample = geom.O * geom.P(), pooled_per_sample = geom.O * pool.OH * pool.OW;
        const Tensor buffers = make_tensor({thread_count(geom), conv_per_sample}, w.dtype());
        const Tensor y = relu ? output.unpack(*this) : Tensor();
        const Tensor gated = relu ? make_tensor({thread_count(geom), pooled_per_sample}, w.dtype()) : Tensor();
        visit_floating(w.dtype(), "conv2d", [&](auto tag) {
            using T = decltype(tag);
            const T* d = dy.data_ptr<T>();
            const void* record = idx.impl()->storage->data;
            T* buf = buffers.data_ptr<T>();
            auto dy_of = [&](std::int64_t n, int t) {
                T* dn = buf + t * conv_per_sample;
                const T* dn_pooled = d + n * pooled_per_sample;
                if (relu) {  // relu's backward first (zero where the output is ≤ 0, NaN passes), as ReluBackward
                    const std::int64_t m = pooled_per_sample;  // a local bound: the loop vectorizes
                    const T* __restrict yn = y.data_ptr<T>() + n * m;
                    const T* __restrict dn_in = dn_pooled;
                    T* __restrict gn = gated.data_ptr<T>() + t * m;
                    for (std::int64_t i = 0; i < m; ++i) {
                        const T g = dn_in[i];  // loaded unconditionally: a select, not a branch per element
                        gn[i] = yn[i] <= T(0) ? T(0) : g;
                    }
                    dn_pooled = gn;
                }
                if constexpr (std::is_same_v<T, float>) {
                    if (tap_codes) {
                        detail::max_pool_backward_tap_codes(
                            dn_pooled, static_cast<const std::uint8_t*>(record) + n * pooled_per_sample, pool, dn);
                        return static_cast<const T*>(dn);
                    }
                }
                detail::max_pool_backward_disjoint<T>(
                    dn_pooled, static_cast<const std::int64_t*>(record) + n * pooled_per_sample, pool, dn);
                return static_cast<const T*>(dn);
            };
            conv_backward<T>(need_w ? x.data_ptr<T>() : nullptr, w.data_ptr<T>(), dy_of, geom,
                             need_x ? gx.data_ptr<T>() : nullptr, need_w ? gw.data_ptr<T>() : nullptr,
                             need_b ? gb.data_ptr<T>() : nullptr);
        });
        return {gx, gw, gb};
    }
    void release_saved() override { input.reset(), weight.reset(), indices.reset(), output.reset(); }
    std::string name() const override { return relu ? "ConvolutionMaxPool2DReluBackward" : "ConvolutionMaxPool2DBackward"; }
};

ConvGeom check_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dArgs& a) {
    DESCENT_CHECK(w.defined() && w.dim() == 4, "conv2d: expected a 4-D weight [out_channels, in_channels/groups, kH, kW], got ",
                  w.defined() ? shape_str(w.shape()) : "an undefined tensor");
    DESCENT_CHECK(is_floating(x.dtype()) && x.dtype() == w.dtype(),
                  "conv2d: input and weight must have the same floating dtype, got ", dtype_name(x.dtype()), " and ",
                  dtype_name(w.dtype()));
    DESCENT_CHECK(a.groups > 0, "conv2d: groups must be positive, got ", a.groups);
    DESCENT_CHECK(a.stride.h > 0 && a.stride.w > 0, "conv2d: stride must be positive, got ", size2_str(a.stride));
    DESCENT_CHECK(a.dilation.h > 0 && a.dilation.w > 0, "conv2d: dilation must be positive, got ",
                  size2_str(a.dilation));
    DESCENT_CHECK(a.padding.h >= 0 && a.padding.w >= 0, "conv2d: padding must be non-negative, got ",
                  size2_str(a.padding));
    ConvGeom g{};
    g.N = x.size(0), g.C = x.size(1), g.H = x.size(2), g.W = x.size(3);
    g.O = w.size(0), g.kh = w.size(2), g.kw = w.size(3);
    g.sh = a.stride.h, g.sw = a.stride.w, g.ph = a.padding.h, g.pw = a.padding.w;
    g.dh = a.dilation.h, g.dw = a.dilation.w, g.G = a.groups;
    DESCENT_CHECK(g.O % g.G == 0, "conv2d: groups=", g.G, " must divide the weight's out_channels, got weight of shape ",
                  shape_str(w.shape()));
    DESCENT_CHECK(g.C == w.size(1) * g.G, "conv2d: given groups=", g.G, " and weight of shape ", shape_str(w.shape()),
                  ", expected input ", shape_str(x.shape()), " to have ", w.size(1) * g.G, " channels, but got ", g.C,
                  " channels instead");
    if (b.defined()) {
        DESCENT_CHECK(b.dim() == 1 && b.size(0) == g.O, "conv2d: expected bias of shape [", g.O,
                      "] for weight of shape ", shape_str(w.shape()), ", got ", shape_str(b.shape()));
        DESCENT_CHECK(b.dtype() == w.dtype(), "conv2d: bias has dtype ", dtype_name(b.dtype()), ", weight has ",
                      dtype_name(w.dtype()));
    }
    const std::int64_t eff_h = g.dh * (g.kh - 1) + 1, eff_w = g.dw * (g.kw - 1) + 1;
    DESCENT_CHECK(g.kh > 0 && g.kw > 0 && g.H + 2 * g.ph >= eff_h && g.W + 2 * g.pw >= eff_w,
                  "conv2d: padded input size per channel (", g.H + 2 * g.ph, " x ", g.W + 2 * g.pw,
                  ") is smaller than the dilated kernel size (", eff_h, " x ", eff_w, "); input ", shape_str(x.shape()),
                  ", weight ", shape_str(w.shape()), ", padding ", size2_str(a.padding), ", dilation ",
                  size2_str(a.dilation));
    g.OH = (g.H + 2 * g.ph - eff_h) / g.sh + 1;
    g.OW = (g.W + 2 * g.pw - eff_w) / g.sw + 1;
    return g;
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dArgs& args) {
    DESCENT_CHECK(input.defined() && (input.dim() == 3 || input.dim() == 4),
                  "conv2d: expected a 3-D (unbatched) or 4-D (batched) input, got input of shape ",
                  input.defined() ? shape_str(input.shape()) : "undefined");
    if (input.dim() == 3) return squeeze(conv2d(unsqueeze(input, 0), weight, bias, args), 0);
    const ConvGeom g = check_conv(input, weight, bias, args);
    const Tensor x = contiguous(input.detach());
    const Tensor w = contiguous(weight.detach());
    const Tensor b = bias.defined() ? contiguous(bias.detach()) : Tensor();
    Tensor out = make_tensor({g.N, g.O, g.OH, g.OW}, x.dtype());
    if (out.numel() > 0)
        visit_floating(x.dtype(), "conv2d", [&](auto tag) {
            using T = decltype(tag);
            T* y = out.data_ptr<T>();
            const std::int64_t per_sample = g.O * g.P();
            conv_forward<T>(x.data_ptr<T>(), w.data_ptr<T>(), b.defined() ? b.data_ptr<T>() : nullptr, g,
                            [&](std::int64_t n, int) { return y + n * per_sample; }, [](std::int64_t, T*) {});
        });
    if (auto node = make_node<ConvolutionBackward>({&input, &weight, &bias})) {
        // The weight gradient needs x; w is always kept (a parameter: no copy, and its dtype drives backward).
        if (node->needs_input_grad(1)) node->input = SavedTensor(x);
        node->weight = SavedTensor(w);
        node->geom = g;
        node->has_bias = bias.defined();
        autograd::set_history(out, node);
    }
    return out;
}

Tensor conv2d_max_pool2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dArgs& conv_args,
                         Size2 pool_kernel, const MaxPool2dArgs& pool_args, bool relu) {
    auto composed = [&] {
        Tensor pooled = max_pool2d(conv2d(input, weight, bias, conv_args), pool_kernel, pool_args);
        return relu ? descent::relu(pooled) : pooled;
    };
    if (!input.defined() || input.dim() != 4) return composed();
    const ConvGeom g = check_conv(input, weight, bias, conv_args);
    if (g.N == 0 || g.O == 0) return composed();
    // Checked on the convolution's whole output shape (so an error reads as max_pool2d's would),
    // then applied to one sample's O planes. Overlapping or padded windows take the composed ops.
    detail::PoolGeom pool = detail::pool_geom({g.N, g.O, g.OH, g.OW}, pool_kernel, pool_args.stride, pool_args.padding,
                                              pool_args.dilation, pool_args.ceil_mode, "max_pool2d");
    if (!detail::windows_are_disjoint(pool)) return composed();
    pool.planes = g.O;
    const Tensor x = contiguous(input.detach());
    const Tensor w = contiguous(weight.detach());
    const Tensor b = bias.defined() ? contiguous(bias.detach()) : Tensor();
    const std::int64_t pooled_per_sample = g.O * pool.OH * pool.OW;
    Tensor out = make_tensor(pool.out_shape, x.dtype());
    auto node = make_node<ConvolutionMaxPoolBackward>({&input, &weight, &bias});
    const bool tap_codes = x.dtype() == kFloat32 && detail::max_pool_tap_codes_apply(pool);
    Tensor idx = node ? make_tensor(out.shape(), tap_codes ? kBool : kInt64) : Tensor();
    const Tensor conv_out = make_tensor({thread_count(g), g.O * g.P()}, x.dtype());  // one sample per thread
    visit_floating(x.dtype(), "conv2d", [&](auto tag) {
        using T = decltype(tag);
        T* y = out.data_ptr<T>();
        T* conv_buf = conv_out.data_ptr<T>();
        void* record = idx.defined() ? idx.impl()->storage->data : nullptr;
        conv_forward<T>(
            x.data_ptr<T>(), w.data_ptr<T>(), b.defined() ? b.data_ptr<T>() : nullptr, g,
            [&](std::int64_t, int t) { return conv_buf + t * g.O * g.P(); },
            [&](std::int64_t n, T* yn) {
                T* yn_pooled = y + n * pooled_per_sample;
                bool done = false;
                if constexpr (std::is_same_v<T, float>) {
                    if (record && tap_codes) {
                        detail::max_pool_forward_tap_codes(yn, pool, yn_pooled,
                                                           static_cast<std::uint8_t*>(record) + n * pooled_per_sample);
                        done = true;
                    }
                }
                if (!done)
                    detail::max_pool_forward<T>(yn, pool, yn_pooled,
                                                record ? static_cast<std::int64_t*>(record) + n * pooled_per_sample : nullptr);
                if (relu) {  // as relu: negatives to 0, NaN and −0 kept
                    const std::int64_t m = pooled_per_sample;  // a local bound: the loop vectorizes
                    for (std::int64_t i = 0; i < m; ++i) yn_pooled[i] = yn_pooled[i] < T(0) ? T(0) : yn_pooled[i];
                }
            });
    });
    if (node) {
        if (node->needs_input_grad(1)) node->input = SavedTensor(x);
        node->weight = SavedTensor(w);
        node->indices = SavedTensor(idx);
        node->tap_codes = tap_codes;
        node->relu = relu;
        if (relu) node->output = SavedTensor(out, /*is_output=*/true);
        node->geom = g;
        node->pool = pool;
        node->has_bias = bias.defined();
        autograd::set_history(out, node);
    }
    return out;
}

}  // namespace descent
