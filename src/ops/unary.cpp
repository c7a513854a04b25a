// Unary elementwise ops and activations: forward kernel and backward node side
// by side. Floating ops compute in the input's dtype; integer inputs to a
// floating op are promoted to float32, as in PyTorch.
#include <algorithm>
#include <cmath>

#include "../kernels/elementwise.hpp"
#include "../kernels/vmath.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/shape.hpp"

namespace descent {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;
using autograd::SavedTensor;

namespace {

// f applied to x in floating point (integers promoted to float32).
template <class F>
Tensor float_map(const char* op, const Tensor& x, F&& f) {
    DESCENT_CHECK(x.defined(), op, ": undefined tensor");
    const Tensor xf = is_floating(x.dtype()) ? x : to_dtype(x.detach(), kFloat32);
    return visit_floating(xf.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        return kernels::map_unary<T, T>(xf, [&f](T v) { return static_cast<T>(f(v)); });
    });
}

// f applied to x in x's own dtype (neg, abs, sign, ...).
template <class F>
Tensor same_type_map(const Tensor& x, F&& f) {
    return visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return kernels::map_unary<T, T>(x, [&f](T v) { return static_cast<T>(f(v)); });
    });
}

// float32: out = post(vf(pre(x))) through the vector math of kernels/vmath.hpp, in chunks that
// stay in L1 between the three passes (a strided x is copied first, so that every layout gives
// the same values). Undefined for other dtypes (the caller maps with the scalar libm).
template <class Pre, class Post>
Tensor vector_map(const Tensor& x_in, void (*vf)(const float*, float*, std::int64_t), Pre pre, Post post) {
    if (!x_in.defined() || x_in.dtype() != kFloat32) return Tensor();
    const Tensor x = x_in.is_contiguous() ? x_in : contiguous(x_in.detach());
    Tensor out = make_tensor(x.shape(), kFloat32);
    const float* px = kernels::base_ptr<float>(x);
    float* po = out.data_ptr<float>();
    kernels::parallel_chunks(out.numel(), [&](std::int64_t begin, std::int64_t end) {
        constexpr std::int64_t kChunk = 1024;
        for (std::int64_t c = begin; c < end; c += kChunk) {
            const std::int64_t n = std::min(kChunk, end - c);
            float* o = po + c;
            const float* in = px + c;
            for (std::int64_t i = 0; i < n; ++i) o[i] = pre(in[i]);
            vf(o, o, n);
            for (std::int64_t i = 0; i < n; ++i) o[i] = post(o[i]);
        }
    });
    return out;
}
constexpr auto identity = [](float v) { return v; };

// A node whose backward needs one saved tensor (the input or the output).
template <class Derived>
struct SavedOneNode : Node {
    SavedTensor saved;
    void release_saved() override { saved.reset(); }
};

template <class NodeT>
Tensor record(Tensor out, const Tensor& input, const Tensor& to_save) {
    if (auto node = make_node<NodeT>({&input})) {
        if constexpr (requires { node->saved; })
            node->saved = SavedTensor(to_save, /*is_output=*/to_save.impl() == out.impl());
        autograd::set_history(out, node);
    }
    return out;
}

// ---- backward nodes --------------------------------------------------------------------------
struct NegBackward final : Node {
    TensorList apply(TensorList&& g) override { return {neg(g[0])}; }
    std::string name() const override { return "NegBackward0"; }
};
struct ExpBackward final : SavedOneNode<ExpBackward> {  // saved: result
    TensorList apply(TensorList&& g) override { return {mul(g[0], saved.unpack(*this))}; }
    std::string name() const override { return "ExpBackward0"; }
};
struct LogBackward final : SavedOneNode<LogBackward> {  // saved: input
    TensorList apply(TensorList&& g) override { return {div(g[0], saved.unpack(*this))}; }
    std::string name() const override { return "LogBackward0"; }
};
struct SqrtBackward final : SavedOneNode<SqrtBackward> {  // saved: result; d sqrt(x) = 1 / (2 sqrt(x))
    TensorList apply(TensorList&& g) override {
        return {div(g[0], mul(saved.unpack(*this), 2.0))};
    }
    std::string name() const override { return "SqrtBackward0"; }
};
struct AbsBackward final : SavedOneNode<AbsBackward> {  // saved: input; sign(0) = 0 as PyTorch
    TensorList apply(TensorList&& g) override { return {mul(g[0], sign(saved.unpack(*this)))}; }
    std::string name() const override { return "AbsBackward0"; }
};
struct ZeroBackward final : Node {  // sign, round: piecewise constant
    std::string op_name;
    TensorList apply(TensorList&& g) override { return {Tensor::zeros_like(g[0])}; }
    std::string name() const override { return op_name; }
};
struct SquareBackward final : SavedOneNode<SquareBackward> {  // saved: input
    TensorList apply(TensorList&& g) override {
        return {mul(g[0], mul(saved.unpack(*this), 2.0))};
    }
    std::string name() const override { return "PowBackward0"; }
};
struct ClampBackward final : SavedOneNode<ClampBackward> {  // saved: input; passes where min <= x <= max
    std::optional<double> min, max;
    TensorList apply(TensorList&& g) override {
        const Tensor x = saved.unpack(*this);
        const Tensor mask = float_map("clamp", x, [lo = min, hi = max](auto v) {
            using T = decltype(v);
            return static_cast<T>((!lo || v >= static_cast<T>(*lo)) && (!hi || v <= static_cast<T>(*hi)));
        });
        return {mul(g[0], mask)};
    }
    std::string name() const override { return "ClampBackward1"; }
};
// The result buffer of a backward computing f(g, saved) elementwise: g's own when the engine
// handed over its only handle (see kernels::reusable_buffer), else a new tensor.
Tensor grad_buffer(const Tensor& g, const Tensor& saved) {
    Tensor out = kernels::reusable_buffer(g, saved.shape(), saved.dtype());
    return out.defined() ? out : make_tensor(saved.shape(), saved.dtype());
}

struct ReluBackward final : SavedOneNode<ReluBackward> {  // saved: result
    TensorList apply(TensorList&& g) override {
        const Tensor y = saved.unpack(*this);
        const Tensor gy = g[0].dtype() == y.dtype() ? std::move(g[0]) : to_dtype(g[0], y.dtype());
        Tensor out = grad_buffer(gy, y);
        visit_floating(y.dtype(), "relu", [&](auto tag) {
            using T = decltype(tag);
            // threshold_backward: zero where y <= 0 (a NaN output passes the gradient, as torch).
            kernels::map_binary_into<T, T>(out, gy, y, [](T gv, T yv) { return yv <= T(0) ? T(0) : gv; });
        });
        return {out};
    }
    std::string name() const override { return "ReluBackward0"; }
};
struct LeakyReluBackward final : SavedOneNode<LeakyReluBackward> {  // saved: input
    double slope = 0.01;
    TensorList apply(TensorList&& g) override {
        const Tensor x = saved.unpack(*this);
        return {visit_floating(x.dtype(), "leaky_relu", [&](auto tag) {
            using T = decltype(tag);
            const T s = static_cast<T>(slope);
            return kernels::map_binary<T, T>(to_dtype(g[0], x.dtype()), x, x.shape(),
                                             [s](T gv, T xv) { return xv > T(0) ? gv : gv * s; });
        })};
    }
    std::string name() const override { return "LeakyReluBackward0"; }
};
struct SigmoidBackward final : SavedOneNode<SigmoidBackward> {  // saved: result; σ' = σ(1 - σ)
    TensorList apply(TensorList&& g) override {
        const Tensor y = saved.unpack(*this);
        const Tensor gy = g[0].dtype() == y.dtype() ? std::move(g[0]) : to_dtype(g[0], y.dtype());
        Tensor out = grad_buffer(gy, y);
        visit_floating(y.dtype(), "sigmoid", [&](auto tag) {
            using T = decltype(tag);
            kernels::map_binary_into<T, T>(out, gy, y, [](T gv, T yv) { return gv * yv * (T(1) - yv); });
        });
        return {out};
    }
    std::string name() const override { return "SigmoidBackward0"; }
};
struct TanhBackward final : SavedOneNode<TanhBackward> {  // saved: result; tanh' = 1 - tanh²
    TensorList apply(TensorList&& g) override {
        const Tensor y = saved.unpack(*this);
        const Tensor gy = g[0].dtype() == y.dtype() ? std::move(g[0]) : to_dtype(g[0], y.dtype());
        Tensor out = grad_buffer(gy, y);
        visit_floating(y.dtype(), "tanh", [&](auto tag) {
            using T = decltype(tag);
            kernels::map_binary_into<T, T>(out, gy, y, [](T gv, T yv) { return gv * (T(1) - yv * yv); });
        });
        return {out};
    }
    std::string name() const override { return "TanhBackward0"; }
};
struct GeluBackward final : SavedOneNode<GeluBackward> {  // saved: input
    bool tanh_approx = false;
    TensorList apply(TensorList&& g) override {
        const Tensor x = saved.unpack(*this);
        const bool approx = tanh_approx;
        return {visit_floating(x.dtype(), "gelu", [&](auto tag) {
            using T = decltype(tag);
            return kernels::map_binary<T, T>(to_dtype(g[0], x.dtype()), x, x.shape(), [approx](T gv, T xv) {
                const double v = xv;
                double d;
                if (approx) {
                    // u = √(2/π)(x + 0.044715 x³); gelu = ½x(1 + tanh u)
                    const double k = 0.7978845608028654, u = k * (v + 0.044715 * v * v * v);
                    const double t = std::tanh(u);
                    d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v);
                } else {
                    // gelu = x Φ(x): d = Φ(x) + x φ(x)
                    d = 0.5 * (1 + std::erf(v * 0.7071067811865476)) + v * 0.3989422804014327 * std::exp(-0.5 * v * v);
                }
                return static_cast<T>(gv * d);
            });
        })};
    }
    std::string name() const override { return "GeluBackward0"; }
};
}  // namespace

Tensor neg(const Tensor& x) {
    DESCENT_CHECK(x.dtype() != kBool, "neg: negation of a bool tensor is not supported; use logical_not");
    return record<NegBackward>(same_type_map(x, [](auto v) { return -v; }), x, Tensor());
}

Tensor exp(const Tensor& x) {
    Tensor out = vector_map(x, kernels::vexp, identity, identity);
    if (!out.defined()) out = float_map("exp", x, [](auto v) { return std::exp(v); });
    return record<ExpBackward>(out, x, out);
}

Tensor log(const Tensor& x) {
    Tensor out = vector_map(x, kernels::vlog, identity, identity);
    if (!out.defined()) out = float_map("log", x, [](auto v) { return std::log(v); });
    return record<LogBackward>(out, x, x);
}

Tensor sqrt(const Tensor& x) {
    Tensor out = float_map("sqrt", x, [](auto v) { return std::sqrt(v); });
    return record<SqrtBackward>(out, x, out);
}

Tensor abs(const Tensor& x) {
    return record<AbsBackward>(same_type_map(x, [](auto v) {
                                   if constexpr (std::is_same_v<decltype(v), bool>) return v;
                                   else return v < 0 ? -v : v;
                               }),
                               x, x);
}

Tensor sign(const Tensor& x) {
    Tensor out = same_type_map(x, [](auto v) {
        using T = decltype(v);
        if constexpr (std::is_same_v<T, bool>) return v;
        else return static_cast<T>((T(0) < v) - (v < T(0)));
    });
    if (auto node = make_node<ZeroBackward>({&x})) {
        node->op_name = "SgnBackward0";
        autograd::set_history(out, node);
    }
    return out;
}

Tensor round(const Tensor& x) {
    Tensor out = same_type_map(x, [](auto v) {
        using T = decltype(v);
        if constexpr (std::is_floating_point_v<T>) return std::nearbyint(v);  // half to even
        else return v;
    });
    if (auto node = make_node<ZeroBackward>({&x})) {
        node->op_name = "RoundBackward0";
        autograd::set_history(out, node);
    }
    return out;
}

Tensor square(const Tensor& x) {
    DESCENT_CHECK(x.dtype() != kBool, "square: bool tensors are not supported");
    return record<SquareBackward>(same_type_map(x, [](auto v) { return v * v; }), x, x);
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
    DESCENT_CHECK(min || max, "clamp: at least one of min and max must be given");
    DESCENT_CHECK(x.dtype() != kBool, "clamp: bool tensors are not supported");
    Tensor out = same_type_map(x, [min, max](auto v) {
        using T = decltype(v);
        if (min && v < static_cast<T>(*min)) v = static_cast<T>(*min);
        if (max && v > static_cast<T>(*max)) v = static_cast<T>(*max);  // max wins when min > max, as PyTorch
        return v;
    });
    if (auto node = make_node<ClampBackward>({&x})) {
        node->saved = SavedTensor(x);
        node->min = min;
        node->max = max;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor relu(const Tensor& x) {
    DESCENT_CHECK(x.dtype() != kBool, "relu: bool tensors are not supported");
    // NaN propagates, as torch.relu (clamp_min).
    Tensor out = same_type_map(x, [](auto v) { return v < decltype(v)(0) ? decltype(v)(0) : v; });
    return record<ReluBackward>(out, x, out);
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
    Tensor out = float_map("leaky_relu", x, [negative_slope](auto v) {
        using T = decltype(v);
        return v > T(0) ? v : v * static_cast<T>(negative_slope);
    });
    if (auto node = make_node<LeakyReluBackward>({&x})) {
        node->saved = SavedTensor(x);
        node->slope = negative_slope;
        autograd::set_history(out, node);
    }
    return out;
}

Tensor sigmoid(const Tensor& x) {
    // PyTorch's formula. It cannot produce NaN: exp(-v) overflowing to inf gives
    // exactly 0 (as torch does, rather than a denormal), underflowing gives 1.
    Tensor out = vector_map(x, kernels::vexp, [](float v) { return -v; }, [](float e) { return 1.f / (1.f + e); });
    if (!out.defined()) out = float_map("sigmoid", x, [](auto v) {
        using T = decltype(v);
        return T(1) / (T(1) + std::exp(-v));
    });
    return record<SigmoidBackward>(out, x, out);
}

Tensor tanh(const Tensor& x) {
    Tensor out = float_map("tanh", x, [](auto v) { return std::tanh(v); });
    return record<TanhBackward>(out, x, out);
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
    DESCENT_CHECK(approximate == "none" || approximate == "tanh",
                  "gelu: approximate must be \"none\" or \"tanh\", got \"", approximate, "\"");
    const bool approx = approximate == "tanh";
    Tensor out = float_map("gelu", x, [approx](auto v) {
        using T = decltype(v);
        const double d = v;
        if (approx) return static_cast<T>(0.5 * d * (1 + std::tanh(0.7978845608028654 * (d + 0.044715 * d * d * d))));
        return static_cast<T>(0.5 * d * (1 + std::erf(d * 0.7071067811865476)));
    });
    if (auto node = make_node<GeluBackward>({&x})) {
        node->saved = SavedTensor(x);
        node->tanh_approx = approx;
        autograd::set_history(out, node);
    }
    return out;
}

}  // namespace descent
