// Adamax: one fused loop per parameter, rounding where torch's tensor ops round.
#include "descent/optim/adamax.hpp"

#include <cmath>

#include "update_util.hpp"

namespace descent::optim {

Adamax::Adamax(std::vector<Tensor> params, AdamaxOptions options) { init_groups({{std::move(params), options}}); }
Adamax::Adamax(std::vector<ParamGroup<AdamaxOptions>> groups) { init_groups(std::move(groups)); }

void Adamax::check_options(const AdamaxOptions& o) const {
    detail::check_nonnegative(o.lr, "Adamax", "learning rate");
    detail::check_nonnegative(o.eps, "Adamax", "epsilon value");
    detail::check_betas(o.betas, "Adamax");
    detail::check_nonnegative(o.weight_decay, "Adamax", "weight_decay value");
}

void Adamax::set_momentum(std::size_t group, double beta1) {
    AdamaxOptions o = options(group);
    o.betas[0] = beta1;
    set_options(group, o);
}

void Adamax::visit_options(AdamaxOptions& o, detail::FieldVisitor& v) const {
    v.field("lr", o.lr);
    v.field("betas", o.betas);
    v.field("eps", o.eps);
    v.field("weight_decay", o.weight_decay);
    v.field("maximize", o.maximize);
}

void Adamax::visit_state(AdamaxState& s, detail::FieldVisitor& v) const {
    v.field("step", s.step);
    v.field("exp_avg", s.exp_avg);
    v.field("exp_inf", s.exp_inf);
}

void Adamax::step() {
    detail::for_each_update(groups_, "Adamax.step", [](const AdamaxOptions& o, const Tensor& param,
                                                       const Tensor& grad, AdamaxState& s, auto tag) {
        using T = decltype(tag);
        if (!s.exp_avg.defined()) {
            s.exp_avg = detail::zeros_like_param(param);
            s.exp_inf = detail::zeros_like_param(param);
        }
        s.step += 1;
        const double clr = o.lr / (1.0 - std::pow(o.betas[0], static_cast<double>(s.step)));
        T* p = param.data_ptr<T>();
        const T* g = grad.data_ptr<T>();
        T* m = s.exp_avg.data_ptr<T>();
        T* u = s.exp_inf.data_ptr<T>();
        const T beta1 = static_cast<T>(o.betas[0]), beta2 = static_cast<T>(o.betas[1]);
        const T one_minus_beta1 = static_cast<T>(1.0 - o.betas[0]);
        const T wd = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps), neg_clr = static_cast<T>(-clr);
        const std::int64_t n = param.numel();
        for (std::int64_t j = 0; j < n; ++j) {
            T gj = o.maximize ? -g[j] : g[j];
            if (o.weight_decay != 0.0) gj = gj + wd * p[j];
            m[j] = m[j] * beta1 + one_minus_beta1 * gj;
            u[j] = detail::nan_max(u[j] * beta2, std::abs(gj) + eps);
            p[j] = p[j] + neg_clr * m[j] / u[j];
        }
    });
}

}  // namespace descent::optim
