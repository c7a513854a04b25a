// In-place updates of a tensor (zero_, fill_, copy_, add_, ...). They are never
// recorded by autograd and refuse a tensor autograd tracks while grad mode is on;
// each bumps the storage's version counter so saved tensors notice the write.
#include <type_traits>

#include "../kernels/strided.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/core/tensor.hpp"
#include "descent/ops.hpp"

namespace descent {

namespace {
Generator& generator_of(Generator* g) { return g ? *g : default_generator(); }
}  // namespace

// ---- in place ------------------------------------------------------------------------------
namespace {
void check_writable(const Tensor& t, const char* op) {
    DESCENT_CHECK(!(is_grad_enabled() && t.requires_grad()), op,
                  ": in-place change of a tensor that requires grad while grad mode is on "
                  "(wrap it in NoGradGuard, or use the out-of-place op)");
}

// Applies `f(dst_element&, src_element)` over `dst` and `src` broadcast to dst's shape.
template <class F>
void inplace_binary(Tensor& dst, const Tensor& src_in, const char* op, F&& f) {
    check_writable(dst, op);
    const Shape out = broadcast_shapes(dst.shape(), src_in.shape(), op);
    DESCENT_CHECK(out == dst.shape(), op, ": cannot broadcast ", shape_str(src_in.shape()), " to ",
                  shape_str(dst.shape()), " in place");
    Tensor src = src_in.dtype() == dst.dtype() ? src_in : to_dtype(src_in.detach(), dst.dtype());
    src = src.expand(dst.shape());
    visit_dtype(dst.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* d = static_cast<T*>(dst.impl()->storage->data) + dst.storage_offset();
        const T* s = static_cast<const T*>(src.impl()->storage->data) + src.storage_offset();
        kernels::for_each_row<2>(dst.shape(), {&dst.strides(), &src.strides()}, [&](const kernels::RowSpec<2>& r) {
            T* dp = d + r.offsets[0];
            const T* sp = s + r.offsets[1];
            const std::int64_t ds = r.strides[0], ss = r.strides[1];
            if (ds == 1 && ss == 1)
                for (std::int64_t i = 0; i < r.length; ++i) f(dp[i], sp[i]);
            else
                for (std::int64_t i = 0; i < r.length; ++i) f(dp[i * ds], sp[i * ss]);
        });
    });
    ++dst.impl()->storage->version;
}

template <class F>
void inplace_unary(Tensor& dst, const char* op, F&& f) {
    check_writable(dst, op);
    visit_dtype(dst.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* d = static_cast<T*>(dst.impl()->storage->data) + dst.storage_offset();
        kernels::for_each_row<1>(dst.shape(), {&dst.strides()}, [&](const kernels::RowSpec<1>& r) {
            T* dp = d + r.offsets[0];
            for (std::int64_t i = 0; i < r.length; ++i) f(dp[i * r.strides[0]]);
        });
    });
    ++dst.impl()->storage->version;
}
}  // namespace

Tensor& Tensor::zero_() { return fill_(0.0); }

Tensor& Tensor::fill_(double value) {
    inplace_unary(*this, "fill_", [value](auto& x) { x = static_cast<std::remove_reference_t<decltype(x)>>(value); });
    return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
    inplace_binary(*this, src, "copy_", [](auto& d, auto s) { d = s; });
    return *this;
}

Tensor& Tensor::add_(const Tensor& other, double alpha) {
    inplace_binary(*this, other, "add_", [alpha](auto& d, auto s) {
        using T = std::remove_reference_t<decltype(d)>;
        if constexpr (std::is_same_v<T, bool>)
            d = d || (s && alpha != 0.0);
        else
            d = static_cast<T>(d + static_cast<T>(alpha) * s);
    });
    return *this;
}

Tensor& Tensor::mul_(const Tensor& other) {
    inplace_binary(*this, other, "mul_", [](auto& d, auto s) {
        using T = std::remove_reference_t<decltype(d)>;
        if constexpr (std::is_same_v<T, bool>) d = d && s;
        else d = d * s;
    });
    return *this;
}

Tensor& Tensor::mul_(double value) {
    inplace_unary(*this, "mul_", [value](auto& x) {
        using T = std::remove_reference_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) x = x && value != 0.0;
        else x = static_cast<T>(x * static_cast<T>(value));
    });
    return *this;
}

Tensor& Tensor::div_(const Tensor& other) {
    DESCENT_CHECK(is_floating_point(), "div_: in-place true division needs a floating tensor, got ",
                  dtype_name(dtype()));
    inplace_binary(*this, other, "div_", [](auto& d, auto s) { d = d / s; });
    return *this;
}

Tensor& Tensor::clamp_(std::optional<double> lo, std::optional<double> hi) {
    inplace_unary(*this, "clamp_", [lo, hi](auto& x) {
        using T = std::remove_reference_t<decltype(x)>;
        if (lo && x < static_cast<T>(*lo)) x = static_cast<T>(*lo);
        if (hi && x > static_cast<T>(*hi)) x = static_cast<T>(*hi);
    });
    return *this;
}

Tensor& Tensor::uniform_(double low, double high, Generator* generator) {
    DESCENT_CHECK(is_floating_point(), "uniform_: needs a floating tensor, got ", dtype_name(dtype()));
    Generator& g = generator_of(generator);
    const bool single = dtype() == kFloat32;
    inplace_unary(*this, "uniform_", [&](auto& x) {
        using T = std::remove_reference_t<decltype(x)>;
        const double u = single ? static_cast<double>(g.uniform_float()) : g.uniform_double();
        x = static_cast<T>(low + (high - low) * u);
    });
    return *this;
}

Tensor& Tensor::normal_(double mean_value, double std_value, Generator* generator) {
    DESCENT_CHECK(is_floating_point(), "normal_: needs a floating tensor, got ", dtype_name(dtype()));
    DESCENT_CHECK(std_value >= 0.0, "normal_: std must be non-negative, got ", std_value);
    Generator& g = generator_of(generator);
    inplace_unary(*this, "normal_", [&](auto& x) {
        using T = std::remove_reference_t<decltype(x)>;
        x = static_cast<T>(mean_value + std_value * g.normal());
    });
    return *this;
}

}  // namespace descent
