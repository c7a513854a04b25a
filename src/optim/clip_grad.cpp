// Gradient clipping. Norms accumulate in double whatever the gradients' dtype
// (torch accumulates float32 gradients in float32, so totals agree to ~1e-7).
#include "descent/optim/clip_grad.hpp"

#include <algorithm>
#include <cmath>

#include "descent/autograd/grad_mode.hpp"

namespace descent::optim {

namespace {
// ‖g‖_p of one gradient (p = ∞: max |g|), or NaN if g holds a NaN.
double grad_norm(const Tensor& grad, double p) {
    const Tensor g = grad.is_contiguous() ? grad : grad.contiguous();
    return visit_floating(g.dtype(), "clip_grad_norm_", [&](auto tag) {
        using T = decltype(tag);
        const T* x = g.data_ptr<T>();
        const std::int64_t n = g.numel();
        double acc = 0.0;
        if (std::isinf(p)) {
            for (std::int64_t i = 0; i < n; ++i) {
                const double a = std::abs(static_cast<double>(x[i]));
                if (std::isnan(a)) return a;
                acc = std::max(acc, a);
            }
            return acc;
        }
        if (p == 2.0) {
            for (std::int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * static_cast<double>(x[i]);
            return std::sqrt(acc);
        }
        if (p == 1.0) {
            for (std::int64_t i = 0; i < n; ++i) acc += std::abs(static_cast<double>(x[i]));
            return acc;
        }
        for (std::int64_t i = 0; i < n; ++i) acc += std::pow(std::abs(static_cast<double>(x[i])), p);
        return std::pow(acc, 1.0 / p);
    });
}
}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
    DESCENT_CHECK(norm_type > 0.0, "clip_grad_norm_: norm_type must be positive or infinity, got ", norm_type);
    std::vector<Tensor> grads;
    for (const Tensor& p : params) {
        DESCENT_CHECK(p.defined(), "clip_grad_norm_: undefined parameter");
        if (Tensor g = p.grad(); g.defined()) grads.push_back(g);
    }
    if (grads.empty()) return 0.0;
    const bool inf = std::isinf(norm_type);
    double total = 0.0;
    for (const Tensor& g : grads) {
        const double n = grad_norm(g, norm_type);
        if (std::isnan(n)) {
            total = n;
            break;
        }
        total = inf ? std::max(total, n) : total + std::pow(n, norm_type);
    }
    if (!inf && !std::isnan(total)) total = norm_type == 1.0 ? total : std::pow(total, 1.0 / norm_type);
    DESCENT_CHECK(!error_if_nonfinite || std::isfinite(total), "clip_grad_norm_: the total norm of order ",
                  norm_type, " for gradients from `parameters` is non-finite (", total,
                  "), so it cannot be clipped; pass error_if_nonfinite = false to scale the gradients by it anyway");
    const double coef = max_norm / (total + 1e-6);
    // torch always multiplies by min(coef, 1); multiplying by 1 changes nothing, so
    // skip it, but let a NaN coefficient through as torch does.
    if (!(coef >= 1.0)) {
        NoGradGuard guard;
        for (Tensor& g : grads) g.mul_(coef);
    }
    return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
    DESCENT_CHECK(clip_value >= 0.0, "clip_grad_value_: clip_value must be >= 0, got ", clip_value);
    NoGradGuard guard;
    for (const Tensor& p : params) {
        DESCENT_CHECK(p.defined(), "clip_grad_value_: undefined parameter");
        if (Tensor g = p.grad(); g.defined()) g.clamp_(-clip_value, clip_value);
    }
}

}  // namespace descent::optim
