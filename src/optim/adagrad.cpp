// Adagrad: one fused loop per parameter, rounding where torch's tensor ops round.
#include "descent/optim/adagrad.hpp"

#include <cmath>

#include "update_util.hpp"

namespace descent::optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions options) {
    init_groups({{std::move(params), options}});
    init_state();
}
Adagrad::Adagrad(std::vector<ParamGroup<AdagradOptions>> groups) {
    init_groups(std::move(groups));
    init_state();
}

void Adagrad::init_state() {
    for (Group& group : groups_)
        for (std::size_t i = 0; i < group.params.size(); ++i)
            if (!group.state[i])
                group.state[i] = AdagradState{
                    .step = 0,
                    .sum = Tensor::full(group.params[i].shape(), group.options.initial_accumulator_value,
                                        {.dtype = group.params[i].dtype()})};
}

void Adagrad::check_options(const AdagradOptions& o) const {
    detail::check_nonnegative(o.lr, "Adagrad", "learning rate");
    detail::check_nonnegative(o.lr_decay, "Adagrad", "lr_decay value");
    detail::check_nonnegative(o.weight_decay, "Adagrad", "weight_decay value");
    detail::check_nonnegative(o.initial_accumulator_value, "Adagrad", "initial_accumulator_value value");
    detail::check_nonnegative(o.eps, "Adagrad", "epsilon value");
}

void Adagrad::visit_options(AdagradOptions& o, detail::FieldVisitor& v) const {
    v.field("lr", o.lr);
    v.field("lr_decay", o.lr_decay);
    v.field("eps", o.eps);
    v.field("weight_decay", o.weight_decay);
    v.field("initial_accumulator_value", o.initial_accumulator_value);
    v.field("maximize", o.maximize);
}

void Adagrad::visit_state(AdagradState& s, detail::FieldVisitor& v) const {
    v.field("step", s.step);
    v.field("sum", s.sum);
}

void Adagrad::step() {
    detail::for_each_update(groups_, "Adagrad.step", [](const AdagradOptions& o, const Tensor& param,
                                                        const Tensor& grad, AdagradState& s, auto tag) {
        using T = decltype(tag);
        // A group added after construction gets its accumulator on its first step.
        if (!s.sum.defined())
            s.sum = Tensor::full(param.shape(), o.initial_accumulator_value, {.dtype = param.dtype()});
        s.step += 1;
        const double clr = o.lr / (1.0 + (static_cast<double>(s.step) - 1.0) * o.lr_decay);
        T* p = param.data_ptr<T>();
        const T* g = grad.data_ptr<T>();
        T* sum = s.sum.data_ptr<T>();
        const T wd = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps);
        const T neg_clr = static_cast<T>(-clr);
        const std::int64_t n = param.numel();
        for (std::int64_t j = 0; j < n; ++j) {
            T gj = o.maximize ? -g[j] : g[j];
            if (o.weight_decay != 0.0) gj = gj + wd * p[j];
            sum[j] = sum[j] + T(1) * gj * gj;
            const T std_dev = std::sqrt(sum[j]) + eps;
            p[j] = p[j] + neg_clr * gj / std_dev;
        }
    });
}

}  // namespace descent::optim
