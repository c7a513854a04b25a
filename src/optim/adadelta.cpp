// Adadelta: one fused loop per parameter, rounding where torch's tensor ops round.
#include "descent/optim/adadelta.hpp"

#include <cmath>

#include "update_util.hpp"

namespace descent::optim {

Adadelta::Adadelta(std::vector<Tensor> params, AdadeltaOptions options) {
    init_groups({{std::move(params), options}});
}
Adadelta::Adadelta(std::vector<ParamGroup<AdadeltaOptions>> groups) { init_groups(std::move(groups)); }

void Adadelta::check_options(const AdadeltaOptions& o) const {
    detail::check_nonnegative(o.lr, "Adadelta", "learning rate");
    DESCENT_CHECK(o.rho >= 0.0 && o.rho <= 1.0, "Adadelta: invalid rho value: ", o.rho, " (must be in [0, 1])");
    detail::check_nonnegative(o.eps, "Adadelta", "epsilon value");
    detail::check_nonnegative(o.weight_decay, "Adadelta", "weight_decay value");
}

void Adadelta::visit_options(AdadeltaOptions& o, detail::FieldVisitor& v) const {
    v.field("lr", o.lr);
    v.field("rho", o.rho);
    v.field("eps", o.eps);
    v.field("weight_decay", o.weight_decay);
    v.field("maximize", o.maximize);
}

void Adadelta::visit_state(AdadeltaState& s, detail::FieldVisitor& v) const {
    v.field("step", s.step);
    v.field("square_avg", s.square_avg);
    v.field("acc_delta", s.acc_delta);
}

void Adadelta::step() {
    detail::for_each_update(groups_, "Adadelta.step", [](const AdadeltaOptions& o, const Tensor& param,
                                                         const Tensor& grad, AdadeltaState& s, auto tag) {
        using T = decltype(tag);
        if (!s.square_avg.defined()) {
            s.square_avg = detail::zeros_like_param(param);
            s.acc_delta = detail::zeros_like_param(param);
        }
        s.step += 1;
        T* p = param.data_ptr<T>();
        const T* g = grad.data_ptr<T>();
        T* sq = s.square_avg.data_ptr<T>();
        T* acc = s.acc_delta.data_ptr<T>();
        const T rho = static_cast<T>(o.rho), one_minus_rho = static_cast<T>(1.0 - o.rho);
        const T wd = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps);
        const T neg_lr = static_cast<T>(-o.lr);
        const std::int64_t n = param.numel();
        for (std::int64_t j = 0; j < n; ++j) {
            T gj = o.maximize ? -g[j] : g[j];
            if (o.weight_decay != 0.0) gj = gj + wd * p[j];
            sq[j] = sq[j] * rho + one_minus_rho * gj * gj;
            const T std_dev = std::sqrt(sq[j] + eps);
            const T delta = std::sqrt(acc[j] + eps) / std_dev * gj;
            acc[j] = acc[j] * rho + one_minus_rho * delta * delta;
            p[j] = p[j] + neg_lr * delta;
        }
    });
}

}  // namespace descent::optim
