// RAdam: one fused loop per parameter, rounding where torch's tensor ops round.
#include "descent/optim/radam.hpp"

#include <cmath>

#include "update_util.hpp"

namespace descent::optim {

RAdam::RAdam(std::vector<Tensor> params, RAdamOptions options) { init_groups({{std::move(params), options}}); }
RAdam::RAdam(std::vector<ParamGroup<RAdamOptions>> groups) { init_groups(std::move(groups)); }

void RAdam::check_options(const RAdamOptions& o) const {
    detail::check_nonnegative(o.lr, "RAdam", "learning rate");
    detail::check_nonnegative(o.eps, "RAdam", "epsilon value");
    detail::check_betas(o.betas, "RAdam");
    detail::check_nonnegative(o.weight_decay, "RAdam", "weight_decay value");
}

void RAdam::set_momentum(std::size_t group, double beta1) {
    RAdamOptions o = options(group);
    o.betas[0] = beta1;
    set_options(group, o);
}

void RAdam::visit_options(RAdamOptions& o, detail::FieldVisitor& v) const {
    v.field("lr", o.lr);
    v.field("betas", o.betas);
    v.field("eps", o.eps);
    v.field("weight_decay", o.weight_decay);
}

void RAdam::visit_state(RAdamState& s, detail::FieldVisitor& v) const {
    v.field("step", s.step);
    v.field("exp_avg", s.exp_avg);
    v.field("exp_avg_sq", s.exp_avg_sq);
}

void RAdam::step() {
    detail::for_each_update(groups_, "RAdam.step", [](const RAdamOptions& o, const Tensor& param,
                                                      const Tensor& grad, RAdamState& s, auto tag) {
        using T = decltype(tag);
        if (!s.exp_avg.defined()) {
            s.exp_avg = detail::zeros_like_param(param);
            s.exp_avg_sq = detail::zeros_like_param(param);
        }
        s.step += 1;
        const double t = static_cast<double>(s.step);
        const double bias_correction1 = 1.0 - std::pow(o.betas[0], t);
        const double bias_correction2 = 1.0 - std::pow(o.betas[1], t);
        const double rho_inf = 2.0 / (1.0 - o.betas[1]) - 1.0;
        const double rho_t = rho_inf - 2.0 * t * std::pow(o.betas[1], t) / bias_correction2;
        const bool rectify = rho_t > 5.0;
        const double rect =
            rectify ? std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                    : 0.0;

        T* p = param.data_ptr<T>();
        const T* g = grad.data_ptr<T>();
        T* m = s.exp_avg.data_ptr<T>();
        T* v = s.exp_avg_sq.data_ptr<T>();
        const T beta1 = static_cast<T>(o.betas[0]), beta2 = static_cast<T>(o.betas[1]);
        const T one_minus_beta1 = static_cast<T>(1.0 - o.betas[0]);
        const T one_minus_beta2 = static_cast<T>(1.0 - o.betas[1]);
        const T wd = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps), lr = static_cast<T>(o.lr);
        const T bc1 = static_cast<T>(bias_correction1), bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
        const T rect_t = static_cast<T>(rect);
        const std::int64_t n = param.numel();
        for (std::int64_t j = 0; j < n; ++j) {
            T gj = g[j];
            if (o.weight_decay != 0.0) gj = gj + wd * p[j];
            m[j] = m[j] * beta1 + one_minus_beta1 * gj;
            v[j] = v[j] * beta2 + one_minus_beta2 * gj * gj;
            const T corrected = m[j] / bc1;
            if (rectify) {
                // torch evaluates sqrt(bc2) / tensor as tensor.reciprocal() * sqrt(bc2).
                const T adaptive_lr = T(1) / (std::sqrt(v[j]) + eps) * bc2_sqrt;
                p[j] = p[j] - corrected * lr * adaptive_lr * rect_t;
            } else {
                p[j] = p[j] - corrected * lr;
            }
        }
    });
}

}  // namespace descent::optim
