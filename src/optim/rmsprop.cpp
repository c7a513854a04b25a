// RMSprop: one fused loop per parameter, rounding where torch's tensor ops round.
#include "descent/optim/rmsprop.hpp"

#include <cmath>

#include "update_util.hpp"

namespace descent::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options) { init_groups({{std::move(params), options}}); }
RMSprop::RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups) { init_groups(std::move(groups)); }

void RMSprop::check_options(const RMSpropOptions& o) const {
    detail::check_nonnegative(o.lr, "RMSprop", "learning rate");
    detail::check_nonnegative(o.eps, "RMSprop", "epsilon value");
    detail::check_nonnegative(o.momentum, "RMSprop", "momentum value");
    detail::check_nonnegative(o.weight_decay, "RMSprop", "weight_decay value");
    detail::check_nonnegative(o.alpha, "RMSprop", "alpha value");
}

void RMSprop::set_momentum(std::size_t group, double momentum) {
    RMSpropOptions o = options(group);
    o.momentum = momentum;
    set_options(group, o);
}

void RMSprop::visit_options(RMSpropOptions& o, detail::FieldVisitor& v) const {
    v.field("lr", o.lr);
    v.field("alpha", o.alpha);
    v.field("eps", o.eps);
    v.field("weight_decay", o.weight_decay);
    v.field("momentum", o.momentum);
    v.field("centered", o.centered);
    v.field("maximize", o.maximize);
}

void RMSprop::visit_state(RMSpropState& s, detail::FieldVisitor& v) const {
    v.field("step", s.step);
    v.field("square_avg", s.square_avg);
    v.field("momentum_buffer", s.momentum_buffer);
    v.field("grad_avg", s.grad_avg);
}

void RMSprop::step() {
    detail::for_each_update(groups_, "RMSprop.step", [](const RMSpropOptions& o, const Tensor& param,
                                                        const Tensor& grad, RMSpropState& s, auto tag) {
        using T = decltype(tag);
        if (!s.square_avg.defined()) s.square_avg = detail::zeros_like_param(param);
        if (o.momentum > 0.0 && !s.momentum_buffer.defined()) s.momentum_buffer = detail::zeros_like_param(param);
        if (o.centered && !s.grad_avg.defined()) s.grad_avg = detail::zeros_like_param(param);
        s.step += 1;
        T* p = param.data_ptr<T>();
        const T* g = grad.data_ptr<T>();
        T* sq = s.square_avg.data_ptr<T>();
        T* buf = o.momentum > 0.0 ? s.momentum_buffer.data_ptr<T>() : nullptr;
        T* gavg = o.centered ? s.grad_avg.data_ptr<T>() : nullptr;
        const T alpha = static_cast<T>(o.alpha), one_minus_alpha = static_cast<T>(1.0 - o.alpha);
        const T wd = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps);
        const T mu = static_cast<T>(o.momentum), neg_lr = static_cast<T>(-o.lr);
        const std::int64_t n = param.numel();
        for (std::int64_t j = 0; j < n; ++j) {
            T gj = o.maximize ? -g[j] : g[j];
            if (o.weight_decay != 0.0) gj = gj + wd * p[j];
            sq[j] = sq[j] * alpha + one_minus_alpha * gj * gj;
            T avg;
            if (gavg != nullptr) {
                gavg[j] = gavg[j] * alpha + one_minus_alpha * gj;
                avg = std::sqrt(sq[j] + T(-1) * gavg[j] * gavg[j]);
            } else {
                avg = std::sqrt(sq[j]);
            }
            avg = avg + eps;
            if (buf != nullptr) {
                buf[j] = buf[j] * mu + gj / avg;
                p[j] = p[j] + neg_lr * buf[j];
            } else {
                p[j] = p[j] + neg_lr * gj / avg;
            }
        }
    });
}

}  // namespace descent::optim
