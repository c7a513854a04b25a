// conv2d forward and all three gradients against a direct seven-loop convolution written here,
// in float64, on random shapes: odd sizes, padding, stride, dilation, groups, batch of 1,
// non-contiguous inputs, on 1 and 2 threads (odd batches give the threads unequal numbers of
// samples, which once hung the GEMM calls inside conv2d's parallel region).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <string>
#include <vector>

#include "descent/descent.hpp"

using namespace descent;

namespace {
struct Case {
    Shape x, w;  // [N, C, H, W], [O, C/G, kh, kw]
    Conv2dArgs args;
    bool bias = true;
};

struct Result {
    std::vector<double> y, dx, dw, db;
};

// y[n,o,oh,ow] = b[o] + Σ_{c,ki,kj} w[o,c,ki,kj] · x[n, g·Cg + c, oh·sh − ph + ki·dh, ow·sw − pw + kj·dw],
// and the gradients of Σ y·dy, accumulated straight from the same sum.
Result naive(const Case& c, const std::vector<double>& x, const std::vector<double>& w, const std::vector<double>& b,
             const std::vector<double>& dy, std::int64_t OH, std::int64_t OW) {
    const std::int64_t N = c.x[0], C = c.x[1], H = c.x[2], W = c.x[3], O = c.w[0], Cg = c.w[1], kh = c.w[2],
                       kw = c.w[3];
    const std::int64_t G = c.args.groups, Og = O / G;
    const auto& a = c.args;
    Result r{std::vector<double>(N * O * OH * OW), std::vector<double>(x.size()), std::vector<double>(w.size()),
             std::vector<double>(O)};
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t o = 0; o < O; ++o)
            for (std::int64_t oh = 0; oh < OH; ++oh)
                for (std::int64_t ow = 0; ow < OW; ++ow) {
                    const std::int64_t yi = ((n * O + o) * OH + oh) * OW + ow;
                    double acc = c.bias ? b[o] : 0.0;
                    r.db[o] += dy[yi];
                    for (std::int64_t ci = 0; ci < Cg; ++ci)
                        for (std::int64_t ki = 0; ki < kh; ++ki)
                            for (std::int64_t kj = 0; kj < kw; ++kj) {
                                const std::int64_t ih = oh * a.stride.h - a.padding.h + ki * a.dilation.h;
                                const std::int64_t iw = ow * a.stride.w - a.padding.w + kj * a.dilation.w;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                const std::int64_t xi = ((n * C + (o / Og) * Cg + ci) * H + ih) * W + iw;
                                const std::int64_t wi = ((o * Cg + ci) * kh + ki) * kw + kj;
                                acc += w[wi] * x[xi];
                                r.dx[xi] += w[wi] * dy[yi];
                                r.dw[wi] += x[xi] * dy[yi];
                            }
                    r.y[yi] = acc;
                }
    return r;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    int bad = 0;
    for (std::size_t i = 0; i < got.size() && bad < 5; ++i)
        if (!(std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i])))) {
            ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want " << want[i];
            ++bad;
        }
}

// Runs conv2d in `dtype` on `x_layout` (the input, possibly a non-contiguous view of the same
// values) and compares the output and the gradients of Σ y·dy with the naive float64 ones.
void check(const Case& c, DType dtype, bool non_contiguous, int threads) {
    SCOPED_TRACE("x " + shape_str(c.x) + " w " + shape_str(c.w) + " stride " + size2_str(c.args.stride) + " pad " +
                 size2_str(c.args.padding) + " dil " + size2_str(c.args.dilation) + " groups " +
                 std::to_string(c.args.groups) + (non_contiguous ? " non-contiguous" : "") + " threads " +
                 std::to_string(threads) + " " + dtype_name(dtype));
    const int saved_threads = omp_get_max_threads();
    omp_set_num_threads(threads);
    Tensor x = Tensor::randn(c.x, {.dtype = dtype});
    if (non_contiguous) x = Tensor::randn({c.x[0], c.x[2], c.x[3], c.x[1]}, {.dtype = dtype}).permute({0, 3, 1, 2});
    const Tensor xl = x.detach().requires_grad_(true);
    const Tensor w = Tensor::randn(c.w, {.dtype = dtype, .requires_grad = true});
    const Tensor b = c.bias ? Tensor::randn({c.w[0]}, {.dtype = dtype, .requires_grad = true}) : Tensor();
    const Tensor y = conv2d(xl, w, b, c.args);
    const Tensor dy = Tensor::randn(y.shape(), {.dtype = dtype});
    (y * dy).sum().backward();
    omp_set_num_threads(saved_threads);

    const Result want = naive(c, x.contiguous().to_vector<double>(), w.to_vector<double>(),
                              c.bias ? b.to_vector<double>() : std::vector<double>(), dy.to_vector<double>(), y.size(2),
                              y.size(3));
    // float32 sums of up to a few thousand products of unit normals; float64 is exact to ~1e-12.
    const double tol = dtype == kFloat32 ? 2e-4 : 1e-10;
    expect_close(y.to_vector<double>(), want.y, tol, "y");
    expect_close(xl.grad().to_vector<double>(), want.dx, tol, "dx");
    expect_close(w.grad().to_vector<double>(), want.dw, tol * 10, "dw");
    if (c.bias) expect_close(b.grad().to_vector<double>(), want.db, tol * 10, "db");
}

std::vector<Case> cases() {
    return {
        // W3's two layers, small (odd) batches.
        {{3, 1, 28, 28}, {32, 1, 3, 3}, {.padding = 1}},
        {{3, 32, 14, 14}, {64, 32, 3, 3}, {.padding = 1}},
        {{1, 32, 14, 14}, {64, 32, 3, 3}, {.padding = 1}},
        // Odd sizes, no bias, strides, dilation, asymmetric kernels and padding, groups.
        {{5, 3, 7, 9}, {4, 3, 3, 3}, {.padding = 1}, false},
        {{2, 4, 11, 6}, {6, 2, 3, 2}, {.stride = {2, 1}, .padding = 1, .dilation = {1, 2}, .groups = 2}},
        {{3, 2, 9, 9}, {3, 2, 3, 3}, {.stride = 2, .padding = 2, .dilation = 2}},
        {{1, 3, 5, 5}, {2, 3, 5, 5}, {.padding = {0, 2}}},
        {{4, 6, 8, 8}, {6, 1, 3, 3}, {.padding = 1, .groups = 6}},
        {{7, 5, 13, 10}, {3, 5, 1, 3}, {.stride = {1, 3}, .padding = {0, 1}}},
        // 1×1 (the direct path, no im2col), also with stride and padding (im2col path).
        {{3, 8, 6, 5}, {4, 8, 1, 1}, {}},
        {{3, 8, 6, 5}, {4, 4, 1, 1}, {.groups = 2}},
        {{2, 8, 6, 5}, {4, 8, 1, 1}, {.stride = 2, .padding = 1}},
        // More samples than threads, unevenly split.
        {{9, 8, 12, 11}, {8, 8, 3, 3}, {.padding = 1}},
    };
}
}  // namespace

TEST(Conv2d, MatchesNaiveConvolutionFloat32) {
    for (const Case& c : cases())
        for (int threads : {1, 2}) check(c, kFloat32, false, threads);
}

TEST(Conv2d, MatchesNaiveConvolutionFloat64) {
    for (const Case& c : cases()) check(c, kFloat64, false, 2);
}

TEST(Conv2d, NonContiguousInput) {
    for (const Case& c : cases())
        if (c.x[0] < 10) check(c, kFloat32, true, 1);
}
