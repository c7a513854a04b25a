// NAdam: one fused loop per parameter, rounding where torch's tensor ops round;
// the running product of μ stays in float32 as in torch 1.13.
#include "descent/optim/nadam.hpp"

#include <cmath>

#include "update_util.hpp"

namespace descent::optim {

NAdam::NAdam(std::vector<Tensor> params, NAdamOptions options) { init_groups({{std::move(params), options}}); }
NAdam::NAdam(std::vector<ParamGroup<NAdamOptions>> groups) { init_groups(std::move(groups)); }

void NAdam::check_options(const NAdamOptions& o) const {
    detail::check_nonnegative(o.lr, "NAdam", "learning rate");
    detail::check_nonnegative(o.eps, "NAdam", "epsilon value");
    detail::check_betas(o.betas, "NAdam");
    detail::check_nonnegative(o.weight_decay, "NAdam", "weight_decay value");
    detail::check_nonnegative(o.momentum_decay, "NAdam", "momentum_decay value");
}

void NAdam::set_momentum(std::size_t group, double beta1) {
    NAdamOptions o = options(group);
    o.betas[0] = beta1;
    set_options(group, o);
}

void NAdam::visit_options(NAdamOptions& o, detail::FieldVisitor& v) const {
    v.field("lr", o.lr);
    v.field("betas", o.betas);
    v.field("eps", o.eps);
    v.field("weight_decay", o.weight_decay);
    v.field("momentum_decay", o.momentum_decay);
}

void NAdam::visit_state(NAdamState& s, detail::FieldVisitor& v) const {
    v.field("step", s.step);
    v.field("mu_product", s.mu_product);
    v.field("exp_avg", s.exp_avg);
    v.field("exp_avg_sq", s.exp_avg_sq);
}

void NAdam::step() {
    detail::for_each_update(groups_, "NAdam.step", [](const NAdamOptions& o, const Tensor& param,
                                                      const Tensor& grad, NAdamState& s, auto tag) {
        using T = decltype(tag);
        if (!s.exp_avg.defined()) {
            s.exp_avg = detail::zeros_like_param(param);
            s.exp_avg_sq = detail::zeros_like_param(param);
        }
        s.step += 1;
        const double t = static_cast<double>(s.step);
        const double bias_correction2 = 1.0 - std::pow(o.betas[1], t);
        const double mu = o.betas[0] * (1.0 - 0.5 * std::pow(0.96, t * o.momentum_decay));
        const double mu_next = o.betas[0] * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * o.momentum_decay));
        const float product = static_cast<float>(s.mu_product) * static_cast<float>(mu);
        const float product_next = product * static_cast<float>(mu) * static_cast<float>(mu_next);
        s.mu_product = product;
        const double coef_grad = -o.lr * (1.0 - mu) / (1.0 - static_cast<double>(product));
        const double coef_avg = -o.lr * mu_next / (1.0 - static_cast<double>(product_next));

        T* p = param.data_ptr<T>();
        const T* g = grad.data_ptr<T>();
        T* m = s.exp_avg.data_ptr<T>();
        T* v = s.exp_avg_sq.data_ptr<T>();
        const T beta1 = static_cast<T>(o.betas[0]), beta2 = static_cast<T>(o.betas[1]);
        const T one_minus_beta1 = static_cast<T>(1.0 - o.betas[0]);
        const T one_minus_beta2 = static_cast<T>(1.0 - o.betas[1]);
        const T wd = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps);
        const T bc2 = static_cast<T>(bias_correction2);
        const T c_grad = static_cast<T>(coef_grad), c_avg = static_cast<T>(coef_avg);
        const std::int64_t n = param.numel();
        for (std::int64_t j = 0; j < n; ++j) {
            T gj = g[j];
            if (o.weight_decay != 0.0) gj = gj + wd * p[j];
            m[j] = m[j] * beta1 + one_minus_beta1 * gj;
            v[j] = v[j] * beta2 + one_minus_beta2 * gj * gj;
            const T denom = std::sqrt(v[j] / bc2) + eps;
            p[j] = p[j] + c_grad * gj / denom;
            p[j] = p[j] + c_avg * m[j] / denom;
        }
    });
}

}  // namespace descent::optim
