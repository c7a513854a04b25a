// The fused conv2d and max_pool2d (forward and hand-written backward) against
// naive direct loops written straight from the definitions, on a sweep of random
// geometries (odd sizes, strides, padding, dilation, groups, 1×1 kernels), with
// non-contiguous inputs, and on shapes large enough to take the multi-threaded path.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "descent/descent.hpp"

using namespace descent;

namespace {

struct ConvCase {
    std::int64_t N, C, H, W, O, kh, kw, G;
    Conv2dArgs args;
};

// y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q] · x[n, g·Cg + c, i·sh − ph + p·dh, j·sw − pw + q·dw]
struct Naive {
    std::vector<double> y, dx, dw, db;
};

Naive naive_conv(const ConvCase& k, const std::vector<double>& x, const std::vector<double>& w,
                 const std::vector<double>& b, const std::vector<double>& dy, std::int64_t OH, std::int64_t OW) {
    const auto& a = k.args;
    const std::int64_t Cg = k.C / k.G, Og = k.O / k.G;
    Naive r{std::vector<double>(k.N * k.O * OH * OW, 0.0), std::vector<double>(x.size(), 0.0),
            std::vector<double>(w.size(), 0.0), std::vector<double>(k.O, 0.0)};
    for (std::int64_t n = 0; n < k.N; ++n)
        for (std::int64_t o = 0; o < k.O; ++o)
            for (std::int64_t i = 0; i < OH; ++i)
                for (std::int64_t j = 0; j < OW; ++j) {
                    const std::int64_t yi = ((n * k.O + o) * OH + i) * OW + j;
                    double s = b.empty() ? 0.0 : b[o];
                    const std::int64_t g = o / Og;
                    for (std::int64_t c = 0; c < Cg; ++c)
                        for (std::int64_t p = 0; p < k.kh; ++p)
                            for (std::int64_t q = 0; q < k.kw; ++q) {
                                const std::int64_t ih = i * a.stride.h - a.padding.h + p * a.dilation.h;
                                const std::int64_t iw = j * a.stride.w - a.padding.w + q * a.dilation.w;
                                if (ih < 0 || ih >= k.H || iw < 0 || iw >= k.W) continue;
                                const std::int64_t xi = ((n * k.C + g * Cg + c) * k.H + ih) * k.W + iw;
                                const std::int64_t wi = ((o * Cg + c) * k.kh + p) * k.kw + q;
                                s += w[wi] * x[xi];
                                r.dx[xi] += w[wi] * dy[yi];
                                r.dw[wi] += x[xi] * dy[yi];
                            }
                    r.y[yi] = s;
                    r.db[o] += dy[yi];
                }
    return r;
}

std::vector<double> random_values(std::int64_t n, Generator& g) {
    std::vector<double> v(n);
    for (auto& x : v) x = 2 * g.uniform_double() - 1;
    return v;
}

// |a − e| ≤ tol·(1 + |e|) everywhere.
void expect_near_all(const Tensor& a, const std::vector<double>& e, double tol, const std::string& what) {
    const std::vector<double> v = a.to_vector<double>();
    ASSERT_EQ(v.size(), e.size()) << what;
    for (std::size_t i = 0; i < v.size(); ++i)
        ASSERT_NEAR(v[i], e[i], tol * (1 + std::abs(e[i]))) << what << " at flat index " << i;
}

// Runs the fused conv2d on x given as a transposed (non-contiguous) view when asked.
void check_conv(const ConvCase& k, DType dt, bool strided, std::uint64_t seed) {
    Generator g(seed);
    Conv2dArgs a = k.args;
    a.groups = k.G;
    const std::int64_t OH = (k.H + 2 * a.padding.h - a.dilation.h * (k.kh - 1) - 1) / a.stride.h + 1;
    const std::int64_t OW = (k.W + 2 * a.padding.w - a.dilation.w * (k.kw - 1) - 1) / a.stride.w + 1;
    const auto xv = random_values(k.N * k.C * k.H * k.W, g);
    const auto wv = random_values(k.O * (k.C / k.G) * k.kh * k.kw, g);
    const auto bv = random_values(k.O, g);
    const auto dyv = random_values(k.N * k.O * OH * OW, g);
    Tensor x = Tensor::from(xv, {k.N, k.C, k.H, k.W}, {.dtype = dt});
    if (strided) x = x.transpose(2, 3).contiguous().transpose(2, 3);  // same values, W-major storage
    x = x.detach().requires_grad_();
    Tensor w = Tensor::from(wv, {k.O, k.C / k.G, k.kh, k.kw}, {.dtype = dt, .requires_grad = true});
    Tensor b = Tensor::from(bv, {k.O}, {.dtype = dt, .requires_grad = true});
    Tensor y = conv2d(x, w, b, a);
    ASSERT_EQ(y.shape(), (Shape{k.N, k.O, OH, OW}));
    y.backward(Tensor::from(dyv, y.shape(), {.dtype = dt}));
    // Reference in float64 from the values the fused op saw.
    const Naive r = naive_conv(k, x.to_vector<double>(), w.to_vector<double>(), b.to_vector<double>(),
                               Tensor::from(dyv, y.shape(), {.dtype = dt}).to_vector<double>(), OH, OW);
    // float64: summation order only (≤ ~100 terms of |·| ≤ 1): 1e-12. float32: ~K·2^-24 relative: 1e-4.
    const double tol = dt == kFloat64 ? 1e-12 : 1e-4;
    std::ostringstream desc;
    desc << "N" << k.N << " C" << k.C << " " << k.H << "x" << k.W << " O" << k.O << " k" << k.kh << "x" << k.kw << " G"
         << k.G << " s" << size2_str(a.stride) << " p" << size2_str(a.padding) << " d" << size2_str(a.dilation)
         << (strided ? " strided" : "");
    const std::string what = desc.str();
    expect_near_all(y, r.y, tol, what + " output");
    expect_near_all(x.grad(), r.dx, tol, what + " grad_input");
    expect_near_all(w.grad(), r.dw, tol, what + " grad_weight");
    expect_near_all(b.grad(), r.db, tol, what + " grad_bias");
}

std::int64_t pick(Generator& g, std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(g.below(static_cast<std::uint64_t>(hi - lo + 1)));
}

TEST(ConvReference, RandomGeometriesMatchDirectLoops) {
    Generator g(2024);
    int checked = 0;
    for (int trial = 0; checked < 150 && trial < 2000; ++trial) {
        ConvCase k{};
        k.G = pick(g, 1, 3);
        k.N = pick(g, 1, 3), k.C = k.G * pick(g, 1, 3), k.O = k.G * pick(g, 1, 3);
        k.H = pick(g, 1, 9), k.W = pick(g, 1, 9), k.kh = pick(g, 1, 4), k.kw = pick(g, 1, 4);
        k.args = {.stride = {pick(g, 1, 3), pick(g, 1, 3)}, .padding = {pick(g, 0, 2), pick(g, 0, 2)},
                  .dilation = {pick(g, 1, 2), pick(g, 1, 2)}, .groups = k.G};
        if (trial % 5 == 0) k.kh = k.kw = 1, k.args.stride = 1, k.args.padding = 0;  // the no-im2col path
        if (k.H + 2 * k.args.padding.h < k.args.dilation.h * (k.kh - 1) + 1 ||
            k.W + 2 * k.args.padding.w < k.args.dilation.w * (k.kw - 1) + 1)
            continue;  // an error case, tested elsewhere
        ++checked;
        for (DType dt : {kFloat64, kFloat32}) check_conv(k, dt, /*strided=*/checked % 3 == 0, 7 + checked);
        if (HasFatalFailure()) return;
    }
    EXPECT_EQ(checked, 150);
}

// Stride 1 with the output as wide as the input (kw = 2·pw + 1: 3×3 with padding 1, …) takes
// flat shifted copies in im2col and col2im; any ph, widths down to 1, groups, both dtypes.
TEST(ConvReference, SameWidthConvolutionsMatchDirectLoops) {
    Generator g(77);
    int checked = 0;
    for (std::int64_t kw : {1, 3, 5})
        for (std::int64_t kh : {1, 3, 5})
            for (int rep = 0; rep < 3; ++rep) {
                ConvCase k{};
                k.G = pick(g, 1, 2);
                k.N = pick(g, 1, 3), k.C = k.G * pick(g, 1, 3), k.O = k.G * pick(g, 1, 3);
                k.kh = kh, k.kw = kw;
                const std::int64_t ph = pick(g, 0, kh - 1), pw = (kw - 1) / 2;
                k.H = pick(g, std::max<std::int64_t>(1, kh - 2 * ph), 9), k.W = pick(g, 1, 9);
                if (k.W + 2 * pw < kw) k.W = kw - 2 * pw;
                k.args = {.padding = {ph, pw}, .groups = k.G};
                ++checked;
                for (DType dt : {kFloat64, kFloat32}) check_conv(k, dt, /*strided=*/rep == 2, 100 + checked);
                if (HasFatalFailure()) return;
            }
    EXPECT_EQ(checked, 27);
}

TEST(ConvReference, LargeShapesTakeTheThreadedPathAndStillMatch) {
    // Enough work (N·O·P·K multiply-adds ≫ the threading threshold) that samples are split over
    // threads and the weight gradient is summed from per-thread parts.
    check_conv({8, 8, 12, 12, 16, 3, 3, 1, {.padding = 1}}, kFloat64, false, 11);
    check_conv({6, 8, 10, 9, 8, 3, 3, 2, {.stride = 2, .padding = 1}}, kFloat64, true, 12);
    check_conv({9, 16, 7, 7, 12, 1, 1, 4, {}}, kFloat32, false, 13);
}

TEST(ConvReference, ThreadedResultIsDeterministic) {
    Generator g(5);
    Tensor x = Tensor::randn({16, 8, 14, 14}, {.generator = &g});
    Tensor w = Tensor::randn({16, 8, 3, 3}, {.generator = &g});
    auto run = [&] {
        Tensor xl = x.detach().requires_grad_(), wl = w.detach().requires_grad_();
        Tensor y = conv2d(xl, wl, Tensor(), {.padding = 1});
        y.sum().backward();
        return std::make_tuple(y.to_vector<float>(), xl.grad().to_vector<float>(), wl.grad().to_vector<float>());
    };
    EXPECT_EQ(run(), run());
}

// ---- max_pool2d -------------------------------------------------------------------------------
// Output size as PyTorch defines it; 0 where no window fits.
std::int64_t pooled(std::int64_t in, std::int64_t kk, std::int64_t ss, std::int64_t pp, std::int64_t dd, bool ceil_mode) {
    const std::int64_t num = in + 2 * pp - dd * (kk - 1) - 1 + (ceil_mode ? ss - 1 : 0);
    if (num < 0) return 0;
    std::int64_t o = num / ss + 1;
    if (ceil_mode && (o - 1) * ss >= in + pp) --o;
    return o;
}

// max_pool2d forward and backward against direct loops over each window, on a shuffled
// ramp (distinct values, so the maximum is unique in every window).
void check_max_pool(Generator& g, std::int64_t N, std::int64_t C, std::int64_t H, std::int64_t W, Size2 k,
                    const MaxPool2dArgs& args, const std::string& what) {
    const Size2 s = args.stride, p = args.padding, d = args.dilation;
    const std::int64_t OH = pooled(H, k.h, s.h, p.h, d.h, args.ceil_mode), OW = pooled(W, k.w, s.w, p.w, d.w, args.ceil_mode);
    std::vector<double> xv(N * C * H * W);
    for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<double>(i) * 0.25 - 3;
    for (std::size_t i = xv.size(); i > 1; --i) std::swap(xv[i - 1], xv[g.below(i)]);
    Tensor x = Tensor::from(xv, {N, C, H, W}, {.requires_grad = true});
    Tensor y = max_pool2d(x, k, args);
    ASSERT_EQ(y.shape(), (Shape{N, C, OH, OW})) << what;
    const std::vector<double> dy = random_values(y.numel(), g);
    y.backward(Tensor::from(dy, y.shape()));
    std::vector<double> ey(y.numel()), edx(xv.size(), 0.0);
    for (std::int64_t pl = 0; pl < N * C; ++pl)
        for (std::int64_t i = 0; i < OH; ++i)
            for (std::int64_t j = 0; j < OW; ++j) {
                double best = -std::numeric_limits<double>::infinity();
                std::int64_t at = -1;
                for (std::int64_t a = 0; a < k.h; ++a)
                    for (std::int64_t b = 0; b < k.w; ++b) {
                        const std::int64_t h = i * s.h - p.h + a * d.h, w = j * s.w - p.w + b * d.w;
                        if (h < 0 || h >= H || w < 0 || w >= W) continue;
                        if (xv[(pl * H + h) * W + w] > best) best = xv[(pl * H + h) * W + w], at = (pl * H + h) * W + w;
                    }
                const std::int64_t o = (pl * OH + i) * OW + j;
                ey[o] = best;  // −inf for a window entirely in the padding (possible with dilation)
                if (at >= 0) edx[at] += dy[o];  // ... which passes no gradient
            }
    EXPECT_EQ(y.to_vector<double>(), ey) << what;
    expect_near_all(x.grad(), edx, 1e-12, "max_pool2d " + what);
    {  // without autograd no indices are written: the values must not change
        NoGradGuard no_grad;
        EXPECT_EQ(max_pool2d(x, k, args).to_vector<double>(), ey) << what << " (no grad)";
    }
}

TEST(MaxPoolReference, RandomGeometriesMatchDirectLoops) {
    Generator g(99);
    int checked = 0;
    for (int trial = 0; checked < 150 && trial < 3000; ++trial) {
        const std::int64_t N = pick(g, 1, 2), C = pick(g, 1, 3), H = pick(g, 1, 9), W = pick(g, 1, 9);
        const Size2 k{pick(g, 1, 4), pick(g, 1, 4)}, s{pick(g, 1, 3), pick(g, 1, 3)};
        const Size2 p{pick(g, 0, k.h / 2), pick(g, 0, k.w / 2)}, d{pick(g, 1, 2), pick(g, 1, 2)};
        const bool ceil_mode = g.below(2) == 1;
        if (pooled(H, k.h, s.h, p.h, d.h, ceil_mode) < 1 || pooled(W, k.w, s.w, p.w, d.w, ceil_mode) < 1) continue;
        ++checked;
        check_max_pool(g, N, C, H, W, k, {.stride = s, .padding = p, .dilation = d, .ceil_mode = ceil_mode},
                       "case " + std::to_string(checked));
    }
    EXPECT_EQ(checked, 150);
}

// The unpadded square windows of CNNs (2×2 and 3×3, any stride) take a fast path without
// clipping; ceil_mode windows that overhang the input must still take the general one.
TEST(MaxPoolReference, UnpaddedSquareWindowsMatchDirectLoops) {
    Generator g(7);
    int checked = 0;
    for (std::int64_t k : {2, 3})
        for (std::int64_t s : {1, 2, 3})
            for (bool ceil_mode : {false, true})
                for (int rep = 0; rep < 4; ++rep) {
                    const std::int64_t H = pick(g, k, 12), W = pick(g, k, 12);
                    check_max_pool(g, pick(g, 1, 3), pick(g, 1, 4), H, W, {k, k}, {.stride = s, .ceil_mode = ceil_mode},
                                   "k " + std::to_string(k) + " s " + std::to_string(s) + " H " + std::to_string(H) +
                                       " W " + std::to_string(W) + (ceil_mode ? " ceil" : ""));
                    ++checked;
                }
    EXPECT_EQ(checked, 48);
}

// float32 2×2 / stride 2 takes vectorized paths, forward and backward (eight windows at a time
// where the CPU has AVX2; a row of at least 8 windows ends with the full block ending at its last
// window, a shorter row's block goes through masked loads): values, indices, gradients and NaN
// as the double path, for odd and even sizes and widths with and without a partial block.
TEST(MaxPoolReference, Float32TwoByTwoStrideTwoMatchesFloat64) {
    Generator g(11);
    for (int rep = 0; rep < 30; ++rep) {
        const std::int64_t N = pick(g, 1, 3), C = pick(g, 1, 3), H = pick(g, 2, 21), W = pick(g, 2, 45);
        Tensor x64 = Tensor::randn({N, C, H, W}, {.dtype = kFloat64, .generator = &g});
        x64 = x64.to(kFloat32).to(kFloat64);  // values a float holds exactly
        if (rep % 3 == 2) {  // NaN in some windows: it wins wherever it is
            auto v = x64.to_vector<double>();
            for (std::size_t i = 0; i < v.size(); i += 7) v[i] = std::numeric_limits<double>::quiet_NaN();
            x64 = Tensor::from(v, x64.shape());
        }
        x64.requires_grad_(true);
        Tensor x32 = x64.detach().to(kFloat32).requires_grad_(true);
        const ValuesIndices r64 = max_pool2d_with_indices(x64, 2), r32 = max_pool2d_with_indices(x32, 2);
        const std::string what = "shape " + shape_str(x64.shape());
        EXPECT_EQ(r32.indices.to_vector<std::int64_t>(), r64.indices.to_vector<std::int64_t>()) << what;
        const auto v64 = r64.values.to_vector<double>(), v32 = r32.values.to_vector<double>();
        ASSERT_EQ(v64.size(), v32.size());
        for (std::size_t i = 0; i < v64.size(); ++i) {
            if (std::isnan(v64[i])) {
                EXPECT_TRUE(std::isnan(v32[i])) << what << " output " << i;
            } else {
                EXPECT_EQ(v32[i], v64[i]) << what << " output " << i;
            }
        }
        {  // the vectorized path without indices (no grad): the same values
            NoGradGuard no_grad;
            const auto plain = max_pool2d(x32, 2).to_vector<double>();
            ASSERT_EQ(plain.size(), v32.size());
            for (std::size_t i = 0; i < v32.size(); ++i)
                EXPECT_TRUE(plain[i] == v32[i] || (std::isnan(plain[i]) && std::isnan(v32[i]))) << what << " output " << i;
        }
        const Tensor dy = Tensor::randn(r64.values.shape(), {.dtype = kFloat64, .generator = &g}).to(kFloat32);
        r64.values.backward(dy.to(kFloat64));
        r32.values.backward(dy);
        EXPECT_EQ(x32.grad().to_vector<double>(), x64.grad().to_vector<double>()) << what;
    }
}

TEST(MaxPoolReference, WindowInsideThePaddingGivesMinusInfinityAndIndexMinusOne) {
    // Width 1, kernel width 2 with dilation 2 and padding 1: every window's taps are columns −1
    // and 1, both outside the input. PyTorch gives −inf there too (with an arbitrary index).
    Tensor x = Tensor::from({1.0, 2.0, 3.0}, {1, 1, 3, 1}, {.requires_grad = true});
    const ValuesIndices r = max_pool2d_with_indices(x, {1, 2}, {.stride = 1, .padding = {0, 1}, .dilation = {1, 2}});
    for (double v : r.values.to_vector<double>()) EXPECT_EQ(v, -std::numeric_limits<double>::infinity());
    EXPECT_EQ(r.indices.to_vector<std::int64_t>(), (std::vector<std::int64_t>{-1, -1, -1}));
    r.values.backward(Tensor::ones_like(r.values));
    EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, 0}));
}

TEST(MaxPoolReference, NaNPropagatesAsInPyTorch) {
    Tensor x = Tensor::from({1.f, std::numeric_limits<float>::quiet_NaN(), 3.f, 2.f}, {1, 1, 2, 2});
    EXPECT_TRUE(std::isnan(max_pool2d(x, 2).item()));
}

}  // namespace
