// Binary elementwise ops with broadcasting and PyTorch's dtype promotion.
// Each op's forward is followed by its backward node; gradients of broadcast
// inputs are reduced back by sum_to (the one place broadcasting is undone).
#include "descent/ops/elementwise.hpp"

#include <cmath>

#include "../kernels/elementwise.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops/reduction.hpp"
#include "descent/ops/shape.hpp"
#include "op_util.hpp"

namespace descent {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;
using autograd::SavedTensor;

namespace {

// Runs `f` over a and b converted to `compute` and broadcast, producing dtype R
// (R = the compute type itself unless the op returns bool).
template <bool ReturnsBool, class F>
Tensor binary_map(const char* op, const Tensor& a, const Tensor& b, DType compute, F&& f) {
    const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), op);
    const Tensor ac = a.dtype() == compute ? a : to_dtype(a.detach(), compute);
    const Tensor bc = b.dtype() == compute ? b : to_dtype(b.detach(), compute);
    return visit_dtype(compute, [&](auto tag) {
        using T = decltype(tag);
        using R = std::conditional_t<ReturnsBool, bool, T>;
        return kernels::map_binary<R, T>(ac, bc, out_shape, [&f](T x, T y) { return static_cast<R>(f(x, y)); });
    });
}

// Both inputs' shapes and dtypes: what most binary backwards need.
struct BinaryNode : Node {
    Shape a_shape, b_shape;
    DType a_dtype{}, b_dtype{};
    void record(const Tensor& a, const Tensor& b) {
        a_shape = a.shape();
        b_shape = b.shape();
        a_dtype = a.dtype();
        b_dtype = b.dtype();
    }
};

// ---- add / sub ---------------------------------------------------------------------------
struct AddBackward final : BinaryNode {
    double alpha = 1.0;
    TensorList apply(TensorList&& g) override {
        Tensor gb;
        if (needs_input_grad(1)) gb = grad_for(alpha == 1.0 ? g[0] : mul(g[0], alpha), b_shape, b_dtype);
        return {needs_input_grad(0) ? grad_for(g[0], a_shape, a_dtype) : Tensor(), gb};
    }
    std::string name() const override { return "AddBackward0"; }
};

struct SubBackward final : BinaryNode {
    TensorList apply(TensorList&& g) override {
        return {needs_input_grad(0) ? grad_for(g[0], a_shape, a_dtype) : Tensor(),
                needs_input_grad(1) ? grad_for(neg(g[0]), b_shape, b_dtype) : Tensor()};
    }
    std::string name() const override { return "SubBackward0"; }
};

// ---- mul / div ---------------------------------------------------------------------------
struct MulBackward final : BinaryNode {
    SavedTensor a, b;
    TensorList apply(TensorList&& g) override {
        return {needs_input_grad(0) ? grad_for(mul(g[0], b.unpack(*this)), a_shape, a_dtype) : Tensor(),
                needs_input_grad(1) ? grad_for(mul(g[0], a.unpack(*this)), b_shape, b_dtype) : Tensor()};
    }
    void release_saved() override { a.reset(), b.reset(); }
    std::string name() const override { return "MulBackward0"; }
};

struct DivBackward final : BinaryNode {
    SavedTensor a, b;
    TensorList apply(TensorList&& g) override {
        const Tensor bv = b.unpack(*this);
        Tensor ga, gb;
        if (needs_input_grad(0)) ga = grad_for(div(g[0], bv), a_shape, a_dtype);
        // d(a/b)/db = -a / b²
        if (needs_input_grad(1)) gb = grad_for(neg(div(mul(g[0], a.unpack(*this)), mul(bv, bv))), b_shape, b_dtype);
        return {ga, gb};
    }
    void release_saved() override { a.reset(), b.reset(); }
    std::string name() const override { return "DivBackward0"; }
};

// ---- pow ---------------------------------------------------------------------------------
struct PowBackward final : BinaryNode {
    SavedTensor base, exponent, result;
    TensorList apply(TensorList&& g) override {
        const Tensor x = base.unpack(*this), e = exponent.unpack(*this);
        Tensor gx, ge;
        // d/dx x^e = e · x^(e-1); where e == 0 the gradient is 0 (also at x == 0).
        if (needs_input_grad(0)) {
            const Tensor d = where(eq(e, 0.0), Tensor::zeros({}, {.dtype = x.dtype()}), mul(e, pow(x, sub(e, 1.0))));
            gx = grad_for(mul(g[0], d), a_shape, a_dtype);
        }
        // d/de x^e = x^e · log x; PyTorch defines it as 0 where x == 0 and e >= 0.
        if (needs_input_grad(1)) {
            const Tensor d = where(logical_and_zero_base(x, e), Tensor::zeros({}, {.dtype = x.dtype()}),
                                   mul(result.unpack(*this), log(x)));
            ge = grad_for(mul(g[0], d), b_shape, b_dtype);
        }
        return {gx, ge};
    }
    static Tensor logical_and_zero_base(const Tensor& x, const Tensor& e) {
        return mul(eq(x, 0.0).to(kInt64), ge(e, 0.0).to(kInt64)).to(kBool);
    }
    void release_saved() override { base.reset(), exponent.reset(), result.reset(); }
    std::string name() const override { return "PowBackward1"; }
};

struct PowScalarBackward final : Node {
    SavedTensor base;
    double exponent = 1.0;
    TensorList apply(TensorList&& g) override {
        const Tensor x = base.unpack(*this);
        if (exponent == 0.0) return {Tensor::zeros_like(x)};
        return {mul(g[0], mul(pow(x, exponent - 1.0), exponent))};
    }
    void release_saved() override { base.reset(); }
    std::string name() const override { return "PowBackward0"; }
};

// ---- maximum / minimum -------------------------------------------------------------------
// The gradient goes to the larger (smaller) input and is split evenly on ties, as PyTorch.
struct MaxMinBackward final : BinaryNode {
    SavedTensor a, b;
    bool is_max = true;
    TensorList apply(TensorList&& g) override {
        const Tensor x = a.unpack(*this), y = b.unpack(*this);
        const DType dt = g[0].dtype();
        const Tensor wins = (is_max ? gt(x, y) : lt(x, y)).to(dt);
        const Tensor ties = eq(x, y).to(dt);
        const Tensor share_a = add(wins, mul(ties, 0.5));
        const Tensor share_b = sub(sub(1.0, wins), mul(ties, 0.5));
        return {needs_input_grad(0) ? grad_for(mul(g[0], share_a), a_shape, a_dtype) : Tensor(),
                needs_input_grad(1) ? grad_for(mul(g[0], share_b), b_shape, b_dtype) : Tensor()};
    }
    void release_saved() override { a.reset(), b.reset(); }
    std::string name() const override { return is_max ? "MaximumBackward0" : "MinimumBackward0"; }
};

// ---- where -------------------------------------------------------------------------------
struct WhereBackward final : BinaryNode {
    SavedTensor condition;
    TensorList apply(TensorList&& g) override {
        const Tensor c = condition.unpack(*this);
        const Tensor zero = Tensor::zeros({}, {.dtype = g[0].dtype()});
        return {needs_input_grad(0) ? grad_for(where(c, g[0], zero), a_shape, a_dtype) : Tensor(),
                needs_input_grad(1) ? grad_for(where(c, zero, g[0]), b_shape, b_dtype) : Tensor()};
    }
    void release_saved() override { condition.reset(); }
    std::string name() const override { return "WhereBackward0"; }
};

// A 0-dim tensor for a scalar operand: it takes the tensor's dtype when that is
// floating (PyTorch's rule for Python scalars), else int64 or float32.
Tensor scalar_like(const Tensor& t, double value) {
    DType dt = t.dtype();
    if (!is_floating(dt)) dt = value == std::floor(value) && t.dtype() != kBool ? kInt64 : kFloat32;
    if (t.dtype() == kBool && value == std::floor(value)) dt = kInt64;
    return Tensor::full({}, value, {.dtype = dt});
}

// PyTorch's result_type for two tensors: a 0-dim tensor only decides the dtype when
// it is of a higher category (bool < integer < floating) than the tensor with dims,
// so float32 [n] + float64 0-dim stays float32, but int64 [n] + float64 0-dim is float64.
// x^e for integers by squaring: O(log e) even for huge exponents (e >= 0).
template <class T>
T int_pow(T x, std::int64_t e) {
    T r = 1;
    while (e > 0) {
        if (e & 1) r = static_cast<T>(r * x);
        e >>= 1;
        if (e) x = static_cast<T>(x * x);
    }
    return r;
}

DType arithmetic_type(const Tensor& a, const Tensor& b) {
    if ((a.dim() == 0) == (b.dim() == 0)) return promote_types(a.dtype(), b.dtype());
    const DType dimensioned = a.dim() > 0 ? a.dtype() : b.dtype();
    const DType zero_dim = a.dim() > 0 ? b.dtype() : a.dtype();
    if (is_floating(dimensioned)) return dimensioned;
    if (dimensioned == kBool || is_floating(zero_dim)) return promote_types(dimensioned, zero_dim);
    return dimensioned;
}
}  // namespace

// ---- forwards ------------------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b, double alpha) {
    const DType dt = arithmetic_type(a, b);
    DESCENT_CHECK(is_floating(dt) || alpha == std::floor(alpha), "add: for integral input tensors, alpha must not be ",
                  "a floating point number, got ", alpha);
    Tensor out = visit_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        const T scale = static_cast<T>(alpha);
        if (alpha == 1.0) return binary_map<false>("add", a, b, dt, [](T x, T y) { return x + y; });
        return binary_map<false>("add", a, b, dt, [scale](T x, T y) { return x + scale * y; });
    });
    if (auto node = make_node<AddBackward>({&a, &b})) {
        node->record(a, b);
        node->alpha = alpha;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return add(a, b, 1.0); }

Tensor sub(const Tensor& a, const Tensor& b) {
    const DType dt = arithmetic_type(a, b);
    DESCENT_CHECK(dt != kBool, "sub: subtraction of two bool tensors is not supported; use logical ops");
    Tensor out = visit_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        return binary_map<false>("sub", a, b, dt, [](T x, T y) { return x - y; });
    });
    if (auto node = make_node<SubBackward>({&a, &b})) {
        node->record(a, b);
        autograd::set_history(out, node);
    }
    return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
    const DType dt = arithmetic_type(a, b);
    Tensor out = visit_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        return binary_map<false>("mul", a, b, dt, [](T x, T y) { return x * y; });
    });
    if (auto node = make_node<MulBackward>({&a, &b})) {
        node->record(a, b);
        if (node->needs_input_grad(0)) node->b = SavedTensor(b);
        if (node->needs_input_grad(1)) node->a = SavedTensor(a);
        autograd::set_history(out, node);
    }
    return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
    DType dt = arithmetic_type(a, b);
    if (!is_floating(dt)) dt = kFloat32;  // true division
    Tensor out = visit_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        return binary_map<false>("div", a, b, dt, [](T x, T y) { return x / y; });
    });
    if (auto node = make_node<DivBackward>({&a, &b})) {
        node->record(a, b);
        node->b = SavedTensor(b);
        if (node->needs_input_grad(1)) node->a = SavedTensor(a);
        autograd::set_history(out, node);
    }
    return out;
}

Tensor pow(const Tensor& base, const Tensor& exponent) {
    const DType dt = arithmetic_type(base, exponent);
    DESCENT_CHECK(dt != kBool, "pow: bool tensors are not supported");
    if (!is_floating(dt))
        for (auto e : exponent.to_vector<std::int64_t>())
            DESCENT_CHECK(e >= 0, "pow: integers to negative integer powers are not allowed (exponent ", e, ")");
    Tensor out = visit_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        return binary_map<false>("pow", base, exponent, dt, [](T x, T y) {
            if constexpr (std::is_same_v<T, bool>) {
                return static_cast<T>(x || !y);
            } else if constexpr (std::is_integral_v<T>) {
                return int_pow<T>(x, static_cast<std::int64_t>(y));
            } else {
                return std::pow(x, y);
            }
        });
    });
    if (auto node = make_node<PowBackward>({&base, &exponent})) {
        node->record(base, exponent);
        node->base = SavedTensor(base);
        node->exponent = SavedTensor(exponent);
        if (node->needs_input_grad(1)) node->result = SavedTensor(out);
        autograd::set_history(out, node);
    }
    return out;
}

Tensor pow(const Tensor& base, double exponent) {
    DESCENT_CHECK(base.dtype() != kBool, "pow: bool tensors are not supported");
    const DType dt = is_floating(base.dtype()) || exponent != std::floor(exponent) ? promote_types(base.dtype(), kFloat32)
                                                                                  : base.dtype();
    DESCENT_CHECK(is_floating(dt) || exponent >= 0, "pow: an integer tensor cannot be raised to a negative power");
    const Tensor x = base.dtype() == dt ? base : to_dtype(base.detach(), dt);
    Tensor out = visit_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, bool>) {
            return Tensor();
        } else if constexpr (std::is_integral_v<T>) {
            const auto e = static_cast<std::int64_t>(exponent);
            return kernels::map_unary<T, T>(x, [e](T v) { return int_pow<T>(v, e); });
        } else {
            const T e = static_cast<T>(exponent);
            // PyTorch's special cases, so results match it bit for bit.
            if (exponent == 2.0) return kernels::map_unary<T, T>(x, [](T v) { return v * v; });
            if (exponent == 3.0) return kernels::map_unary<T, T>(x, [](T v) { return v * v * v; });
            if (exponent == 0.5) return kernels::map_unary<T, T>(x, [](T v) { return std::sqrt(v); });
            if (exponent == -0.5) return kernels::map_unary<T, T>(x, [](T v) { return T(1) / std::sqrt(v); });
            if (exponent == -1.0) return kernels::map_unary<T, T>(x, [](T v) { return T(1) / v; });
            if (exponent == -2.0) return kernels::map_unary<T, T>(x, [](T v) { return T(1) / (v * v); });
            return kernels::map_unary<T, T>(x, [e](T v) { return std::pow(v, e); });
        }
    });
    if (auto node = make_node<PowScalarBackward>({&base})) {
        node->base = SavedTensor(base);
        node->exponent = exponent;
        autograd::set_history(out, node);
    }
    return out;
}

namespace {
Tensor max_min(const Tensor& a, const Tensor& b, bool is_max) {
    const DType dt = arithmetic_type(a, b);
    const char* op = is_max ? "maximum" : "minimum";
    Tensor out = visit_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        // NaN propagates, as in PyTorch.
        if (is_max)
            return binary_map<false>(op, a, b, dt, [](T x, T y) { return (x != x || x > y) ? x : y; });
        return binary_map<false>(op, a, b, dt, [](T x, T y) { return (x != x || x < y) ? x : y; });
    });
    if (auto node = make_node<MaxMinBackward>({&a, &b})) {
        node->record(a, b);
        node->is_max = is_max;
        node->a = SavedTensor(a);
        node->b = SavedTensor(b);
        autograd::set_history(out, node);
    }
    return out;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return max_min(a, b, true); }
Tensor minimum(const Tensor& a, const Tensor& b) { return max_min(a, b, false); }

Tensor add(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor sub(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor sub(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor div(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor div(double a, const Tensor& b) { return div(scalar_like(b, a), b); }

// ---- where and comparisons ------------------------------------------------------------------
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
    DESCENT_CHECK(condition.dtype() == kBool, "where: condition must be bool, got ", dtype_name(condition.dtype()));
    const Shape out_shape =
        broadcast_shapes(broadcast_shapes(condition.shape(), a.shape(), "where"), b.shape(), "where");
    const DType dt = arithmetic_type(a, b);
    const Tensor ac = a.dtype() == dt ? a : to_dtype(a.detach(), dt);
    const Tensor bc = b.dtype() == dt ? b : to_dtype(b.detach(), dt);
    Tensor out = visit_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        return kernels::map_ternary<T, bool, T>(condition, ac, bc, out_shape,
                                                [](bool c, T x, T y) { return c ? x : y; });
    });
    if (auto node = make_node<WhereBackward>({&a, &b})) {
        node->record(a, b);
        node->condition = SavedTensor(condition);
        autograd::set_history(out, node);
    }
    return out;
}

#define DESCENT_COMPARISON(NAME, EXPR)                                                         \
    Tensor NAME(const Tensor& a, const Tensor& b) {                                           \
        const DType dt = arithmetic_type(a, b);                                               \
        return visit_dtype(dt, [&](auto tag) {                                                \
            using T = decltype(tag);                                                          \
            return binary_map<true>(#NAME, a, b, dt, [](T x, T y) { return EXPR; });          \
        });                                                                                   \
    }                                                                                         \
    Tensor NAME(const Tensor& a, double b) { return NAME(a, scalar_like(a, b)); }
DESCENT_COMPARISON(eq, x == y)
DESCENT_COMPARISON(ne, x != y)
DESCENT_COMPARISON(lt, x < y)
DESCENT_COMPARISON(le, x <= y)
DESCENT_COMPARISON(gt, x > y)
DESCENT_COMPARISON(ge, x >= y)
#undef DESCENT_COMPARISON

Tensor logical_not(const Tensor& x) {
    return visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return kernels::map_unary<bool, T>(x, [](T v) { return !static_cast<bool>(v); });
    });
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
    if (a.shape() != b.shape()) return false;
    const auto x = a.to_vector<double>(), y = b.to_vector<double>();
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(x[i]) || std::isnan(y[i])) return false;
        if (std::abs(x[i] - y[i]) > atol + rtol * std::abs(y[i])) return false;
    }
    return true;
}

}  // namespace descent
