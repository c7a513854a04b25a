// Elementwise ops: values against a per-element reference computed here in
// double, NumPy broadcasting for every binary op, PyTorch's dtype promotion,
// and the operators forwarding to the named functions.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>

#include "descent/autograd/node.hpp"
#include "descent/descent.hpp"
#include "kernels/vmath.hpp"

using namespace descent;

namespace {
using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;
using Ref2 = std::function<double(double, double)>;

// Float64 so that the reference (double) and the op agree to rounding.
Tensor values(const Shape& shape, double scale, double shift) {
    const std::int64_t n = shape_numel(shape);
    std::vector<double> v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v[i] = shift + scale * std::sin(1.0 + 0.7 * static_cast<double>(i));
    return Tensor::from(v, {n}).reshape(shape);
}

// The index into an operand of `shape` for output position `pos` of `out` (NumPy broadcasting).
std::int64_t broadcast_index(const Shape& out, std::int64_t pos, const Shape& shape) {
    std::int64_t index = 0, stride = 1;
    for (std::size_t k = 0; k < shape.size(); ++k) {
        const std::size_t d_in = shape.size() - 1 - k, d_out = out.size() - 1 - k;
        std::int64_t rest = pos;
        for (std::size_t d = out.size() - 1; d > d_out; --d) rest /= out[d];
        const std::int64_t coord = rest % out[d_out];
        if (shape[d_in] != 1) index += coord * stride;
        stride *= shape[d_in];
    }
    return index;
}

void expect_broadcast(const char* name, const Binary& op, const Ref2& ref, const Shape& sa, const Shape& sb,
                      const Shape& expected_shape, double shift_b = 0.0) {
    const Tensor a = values(sa, 1.0, 0.0), b = values(sb, 0.8, shift_b);
    const Tensor out = op(a, b);
    ASSERT_EQ(out.shape(), expected_shape) << name;
    const auto va = a.to_vector<double>(), vb = b.to_vector<double>(), vo = out.to_vector<double>();
    for (std::int64_t i = 0; i < out.numel(); ++i) {
        const double want = ref(va[broadcast_index(expected_shape, i, sa)], vb[broadcast_index(expected_shape, i, sb)]);
        EXPECT_NEAR(vo[i], want, 1e-12 * (1 + std::abs(want))) << name << " at " << i;  // float64 rounding
    }
}
}  // namespace

TEST(Elementwise, EveryBinaryOpBroadcasts) {
    const std::vector<std::tuple<const char*, Binary, Ref2, double>> ops = {
        {"add", [](auto& a, auto& b) { return add(a, b); }, [](double x, double y) { return x + y; }, 0.0},
        {"add_alpha", [](auto& a, auto& b) { return add(a, b, 2.5); }, [](double x, double y) { return x + 2.5 * y; }, 0.0},
        {"sub", [](auto& a, auto& b) { return sub(a, b); }, [](double x, double y) { return x - y; }, 0.0},
        {"mul", [](auto& a, auto& b) { return mul(a, b); }, [](double x, double y) { return x * y; }, 0.0},
        {"div", [](auto& a, auto& b) { return div(a, b); }, [](double x, double y) { return x / y; }, 2.0},
        {"pow", [](auto& a, auto& b) { return pow(add(a, 2.0), b); }, [](double x, double y) { return std::pow(x + 2, y); }, 0.0},
        {"maximum", [](auto& a, auto& b) { return maximum(a, b); }, [](double x, double y) { return std::max(x, y); }, 0.0},
        {"minimum", [](auto& a, auto& b) { return minimum(a, b); }, [](double x, double y) { return std::min(x, y); }, 0.0},
        {"eq", [](auto& a, auto& b) { return eq(round(a), round(b)); }, [](double x, double y) { return double(std::nearbyint(x) == std::nearbyint(y)); }, 0.0},
        {"ne", [](auto& a, auto& b) { return ne(round(a), round(b)); }, [](double x, double y) { return double(std::nearbyint(x) != std::nearbyint(y)); }, 0.0},
        {"lt", [](auto& a, auto& b) { return lt(a, b); }, [](double x, double y) { return double(x < y); }, 0.0},
        {"le", [](auto& a, auto& b) { return le(a, b); }, [](double x, double y) { return double(x <= y); }, 0.0},
        {"gt", [](auto& a, auto& b) { return gt(a, b); }, [](double x, double y) { return double(x > y); }, 0.0},
        {"ge", [](auto& a, auto& b) { return ge(a, b); }, [](double x, double y) { return double(x >= y); }, 0.0},
        {"where", [](auto& a, auto& b) { return where(gt(a, 0.0), a, b); }, [](double x, double y) { return x > 0 ? x : y; }, 0.0},
        {"operator+", [](auto& a, auto& b) { return a + b; }, [](double x, double y) { return x + y; }, 0.0},
        {"operator-", [](auto& a, auto& b) { return a - b; }, [](double x, double y) { return x - y; }, 0.0},
        {"operator*", [](auto& a, auto& b) { return a * b; }, [](double x, double y) { return x * y; }, 0.0},
        {"operator/", [](auto& a, auto& b) { return a / b; }, [](double x, double y) { return x / y; }, 2.0},
        {"operator<", [](auto& a, auto& b) { return a < b; }, [](double x, double y) { return double(x < y); }, 0.0},
    };
    for (const auto& [name, op, ref, shift] : ops) {
        expect_broadcast(name, op, ref, {2, 3}, {2, 3}, {2, 3}, shift);
        expect_broadcast(name, op, ref, {2, 3}, {3}, {2, 3}, shift);
        expect_broadcast(name, op, ref, {4, 1, 3}, {2, 1}, {4, 2, 3}, shift);
        expect_broadcast(name, op, ref, {}, {2, 3}, {2, 3}, shift);
        expect_broadcast(name, op, ref, {1, 3}, {0, 1}, {0, 3}, shift);
        EXPECT_THROW(op(values({2, 3}, 1, 0), values({4}, 1, 1)), Error) << name;
    }
}

TEST(Elementwise, UnaryOpsMatchTheirFormulas) {
    const Tensor x = values({3, 4}, 3.0, 0.0);
    const Tensor pos = values({3, 4}, 1.0, 2.0);
    const std::vector<std::tuple<const char*, std::function<Tensor(const Tensor&)>, std::function<double(double)>, bool>>
        ops = {
            {"neg", [](auto& t) { return neg(t); }, [](double v) { return -v; }, false},
            {"exp", [](auto& t) { return exp(t); }, [](double v) { return std::exp(v); }, false},
            {"log", [](auto& t) { return log(t); }, [](double v) { return std::log(v); }, true},
            {"sqrt", [](auto& t) { return sqrt(t); }, [](double v) { return std::sqrt(v); }, true},
            {"abs", [](auto& t) { return abs(t); }, [](double v) { return std::abs(v); }, false},
            {"sign", [](auto& t) { return sign(t); }, [](double v) { return double((v > 0) - (v < 0)); }, false},
            {"round", [](auto& t) { return round(t); }, [](double v) { return std::nearbyint(v); }, false},
            {"square", [](auto& t) { return square(t); }, [](double v) { return v * v; }, false},
            {"clamp", [](auto& t) { return clamp(t, -1.0, 0.5); }, [](double v) { return std::min(std::max(v, -1.0), 0.5); }, false},
            {"relu", [](auto& t) { return relu(t); }, [](double v) { return v > 0 ? v : 0.0; }, false},
            {"leaky_relu", [](auto& t) { return leaky_relu(t, 0.1); }, [](double v) { return v > 0 ? v : 0.1 * v; }, false},
            {"sigmoid", [](auto& t) { return sigmoid(t); }, [](double v) { return 1 / (1 + std::exp(-v)); }, false},
            {"tanh", [](auto& t) { return tanh(t); }, [](double v) { return std::tanh(v); }, false},
            {"gelu", [](auto& t) { return gelu(t); }, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, false},
            {"gelu_tanh", [](auto& t) { return gelu(t, "tanh"); },
             [](double v) { return 0.5 * v * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * v * v * v))); }, false},
            {"pow_scalar", [](auto& t) { return pow(t, 1.5); }, [](double v) { return std::pow(v, 1.5); }, true},
            {"scalar_sub", [](auto& t) { return 2.0 - t; }, [](double v) { return 2.0 - v; }, false},
            {"scalar_div", [](auto& t) { return 2.0 / t; }, [](double v) { return 2.0 / v; }, true},
            {"unary_minus", [](auto& t) { return -t; }, [](double v) { return -v; }, false},
        };
    for (const auto& [name, op, ref, positive] : ops) {
        const Tensor in = positive ? pos : x;
        const Tensor out = op(in);
        ASSERT_EQ(out.shape(), in.shape()) << name;
        EXPECT_EQ(out.dtype(), kFloat64) << name;
        const auto vi = in.to_vector<double>(), vo = out.to_vector<double>();
        for (std::size_t i = 0; i < vi.size(); ++i)
            EXPECT_NEAR(vo[i], ref(vi[i]), 1e-12 * (1 + std::abs(ref(vi[i])))) << name << "(" << vi[i] << ")";
        // The strided kernel gives the same values on a transposed input.
        EXPECT_TRUE(allclose(op(in.t().contiguous().t()), out, 0, 0)) << name;
    }
}

TEST(Elementwise, RoundIsHalfToEvenAndSigmoidIsStableOnBothTails) {
    EXPECT_EQ(round(Tensor::from({0.5f, 1.5f, 2.5f, -0.5f, -1.5f})).to_vector<float>(),
              (std::vector<float>{0, 2, 2, -0, -2}));
    const auto s = sigmoid(Tensor::from({-1000.f, 1000.f, 0.f})).to_vector<float>();
    EXPECT_EQ(s, (std::vector<float>{0.f, 1.f, 0.5f}));
    EXPECT_EQ(sigmoid(Tensor::from({-90.f})).item(), 0.0);  // torch.sigmoid(tensor([-90.])) is 0, not a denormal
    EXPECT_EQ(sigmoid(Tensor::from({-90.0})).item(), 1 / (1 + std::exp(90.0)));
    EXPECT_TRUE(std::isnan(relu(Tensor::from({std::nanf("")})).item()));  // NaN propagates, as torch.relu
    // A NaN propagates through maximum and minimum, as in PyTorch.
    const Tensor n = Tensor::from({std::nanf(""), 1.f});
    EXPECT_TRUE(std::isnan(maximum(n, Tensor::from({0.f, 0.f})).to_vector<float>()[0]));
    EXPECT_TRUE(std::isnan(minimum(Tensor::from({0.f, 0.f}), n).to_vector<float>()[0]));
    // clamp with min > max gives max, as torch.clamp.
    EXPECT_EQ(clamp(Tensor::from({0.f, 5.f}), 3.0, 1.0).to_vector<float>(), (std::vector<float>{1, 1}));
}

TEST(Elementwise, DtypePromotionFollowsPyTorch) {
    const Tensor b = Tensor::from(std::vector<bool>{true, false});
    const Tensor i = Tensor::from({1, 2});
    const Tensor f = Tensor::from({1.f, 2.f});
    const Tensor d = Tensor::from({1.0, 2.0});
    // Each expectation is the dtype torch 1.13 gives for the same expression.
    EXPECT_EQ((b + b).dtype(), kBool);
    EXPECT_EQ((b + i).dtype(), kInt64);
    EXPECT_EQ((i + f).dtype(), kFloat32);
    EXPECT_EQ((f + d).dtype(), kFloat64);
    EXPECT_EQ((i / i).dtype(), kFloat32);  // true division
    EXPECT_EQ((b * b).dtype(), kBool);
    EXPECT_EQ((i * 2.5).dtype(), kFloat32);
    EXPECT_EQ((i * 2.0).dtype(), kInt64);
    EXPECT_EQ((b + 1.0).dtype(), kInt64);
    EXPECT_EQ((b + 1.5).dtype(), kFloat32);
    EXPECT_EQ((f * 2.5).dtype(), kFloat32);
    EXPECT_EQ((d * 2.5).dtype(), kFloat64);
    // A 0-dim tensor decides the dtype only when its category is higher.
    EXPECT_EQ((f + Tensor::scalar(1, {.dtype = kFloat64})).dtype(), kFloat32);
    EXPECT_EQ((i + Tensor::scalar(1.5, {.dtype = kFloat64})).dtype(), kFloat64);
    EXPECT_EQ((i + Tensor::scalar(1, {.dtype = kBool})).dtype(), kInt64);
    EXPECT_EQ((Tensor::scalar(1, {.dtype = kFloat64}) + Tensor::scalar(1)).dtype(), kFloat64);
    EXPECT_EQ(pow(i, 2.0).dtype(), kInt64);
    EXPECT_EQ(pow(i, 0.5).dtype(), kFloat32);
    EXPECT_EQ(where(b, i, f).dtype(), kFloat32);
    EXPECT_EQ(gt(b, i).dtype(), kBool);
    EXPECT_EQ(relu(i).dtype(), kInt64);
    EXPECT_EQ(sigmoid(i).dtype(), kFloat32);
    EXPECT_EQ(exp(i).dtype(), kFloat32);
    EXPECT_EQ(clamp(i, 0.0, 1.0).dtype(), kInt64);
    EXPECT_EQ(sign(i).dtype(), kInt64);
    EXPECT_EQ(neg(i).dtype(), kInt64);
    EXPECT_EQ(maximum(i, f).dtype(), kFloat32);
    EXPECT_EQ(sum(b).dtype(), kInt64);
    EXPECT_EQ(sum(i).dtype(), kInt64);
    // Values survive promotion.
    EXPECT_EQ((i + f).to_vector<float>(), (std::vector<float>{2, 4}));
    EXPECT_EQ((i / Tensor::from({2, 4})).to_vector<float>(), (std::vector<float>{0.5f, 0.5f}));
    EXPECT_EQ(pow(i, 3.0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 8}));
}

TEST(Elementwise, OperatorsForwardToTheNamedFunctions) {
    Tensor a = Tensor::from({1.f, 2.f}, {}, {.requires_grad = true});
    Tensor b = Tensor::from({3.f, 5.f}, {}, {.requires_grad = true});
    EXPECT_EQ((a + b).grad_fn()->name(), "AddBackward0");
    EXPECT_EQ((a - b).grad_fn()->name(), "SubBackward0");
    EXPECT_EQ((a * b).grad_fn()->name(), "MulBackward0");
    EXPECT_EQ((a / b).grad_fn()->name(), "DivBackward0");
    EXPECT_EQ((-a).grad_fn()->name(), "NegBackward0");
    EXPECT_EQ((a + 1.0).to_vector<float>(), (std::vector<float>{2, 3}));
    EXPECT_EQ((1.0 + a).to_vector<float>(), (std::vector<float>{2, 3}));
    EXPECT_EQ((1.0 - a).to_vector<float>(), (std::vector<float>{0, -1}));
    EXPECT_EQ((a - 1.0).to_vector<float>(), (std::vector<float>{0, 1}));
    EXPECT_EQ((2.0 * a).to_vector<float>(), (std::vector<float>{2, 4}));
    EXPECT_EQ((a * 2.0).to_vector<float>(), (std::vector<float>{2, 4}));
    EXPECT_EQ((a / 2.0).to_vector<float>(), (std::vector<float>{0.5f, 1}));
    EXPECT_EQ((2.0 / a).to_vector<float>(), (std::vector<float>{2, 1}));
    EXPECT_EQ((a == 2.0).to_vector<bool>(), (std::vector<bool>{false, true}));
    EXPECT_EQ((a != 2.0).to_vector<bool>(), (std::vector<bool>{true, false}));
    EXPECT_EQ((a < b).to_vector<bool>(), (std::vector<bool>{true, true}));
    EXPECT_EQ((a >= 2.0).to_vector<bool>(), (std::vector<bool>{false, true}));
    EXPECT_EQ((a > 1.0).to_vector<bool>(), (std::vector<bool>{false, true}));
    EXPECT_EQ((a <= 1.0).to_vector<bool>(), (std::vector<bool>{true, false}));
    EXPECT_EQ(logical_not(a > 1.0).to_vector<bool>(), (std::vector<bool>{true, false}));
    sum(a * b + a / b - (-a)).backward();
    // d/da = b + 1/b + 1, d/db = a - a/b²
    const auto ga = a.grad().to_vector<float>(), gb = b.grad().to_vector<float>();
    EXPECT_FLOAT_EQ(ga[0], 3 + 1.f / 3 + 1);
    EXPECT_FLOAT_EQ(ga[1], 5 + 1.f / 5 + 1);
    EXPECT_FLOAT_EQ(gb[0], 1 - 1.f / 9);
    EXPECT_FLOAT_EQ(gb[1], 2 - 2.f / 25);
}

TEST(Elementwise, BroadcastGradientsAreSummedBackToTheInputShape) {
    Tensor a = Tensor::ones({4, 1, 3}, {.dtype = kFloat64, .requires_grad = true});
    Tensor b = Tensor::ones({2, 1}, {.dtype = kFloat64, .requires_grad = true});
    Tensor s = Tensor::scalar(2.0, {.dtype = kFloat64, .requires_grad = true});
    sum(a * b * s).backward();
    EXPECT_EQ(a.grad().shape(), (Shape{4, 1, 3}));
    EXPECT_EQ(a.grad().to_vector<double>(), std::vector<double>(12, 4.0));  // 2 rows of b, times s
    EXPECT_EQ(b.grad().shape(), (Shape{2, 1}));
    EXPECT_EQ(b.grad().to_vector<double>(), std::vector<double>(2, 24.0));  // 12 elements of a, times s
    EXPECT_EQ(s.grad().dim(), 0);
    EXPECT_EQ(s.grad().item(), 24.0);
}

TEST(Elementwise, AllcloseComparesShapesAndTolerances) {
    EXPECT_TRUE(allclose(Tensor::from({1.0, 2.0}), Tensor::from({1.0, 2.0 + 1e-9})));
    EXPECT_FALSE(allclose(Tensor::from({1.0, 2.0}), Tensor::from({1.0, 2.1})));
    EXPECT_FALSE(allclose(Tensor::from({1.0, 2.0}), Tensor::from({1.0, 2.0, 3.0})));
    EXPECT_FALSE(allclose(Tensor::from({std::nan("")}), Tensor::from({std::nan("")})));
}

// Contiguous maps of 2^16 elements or more run on the OpenMP threads, one chunk each: every
// element, including both ends of every chunk and an odd tail, as the scalar formula.
TEST(Elementwise, LargeContiguousMapsSplitOverThreadsCoverEveryElement) {
    const std::int64_t n = 3 * (std::int64_t{1} << 16) + 37;
    Generator g(5);
    const Tensor a = Tensor::randn({n}, {.generator = &g});
    const Tensor b = Tensor::randn({n}, {.generator = &g});
    const auto av = a.to_vector<float>(), bv = b.to_vector<float>();
    const auto sum = (a + b).to_vector<float>(), prod = (a * b).to_vector<float>(), r = relu(a).to_vector<float>();
    const auto e = exp(a).to_vector<float>();
    std::vector<float> e_ref(av.size());  // float32 exp is the vector kernel's (1 ulp), lane by lane
    for (std::size_t i = 0; i < av.size(); ++i) kernels::vexp(&av[i], &e_ref[i], 1);
    for (std::int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(sum[i], av[i] + bv[i]) << i;
        ASSERT_EQ(prod[i], av[i] * bv[i]) << i;
        ASSERT_EQ(r[i], av[i] < 0 ? 0.f : av[i]) << i;
        ASSERT_EQ(e[i], e_ref[i]) << i;
    }
}
