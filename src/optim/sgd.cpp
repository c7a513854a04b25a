// SGD: one fused loop per parameter, in the parameter's dtype. Each statement
// rounds where torch's sequence of tensor ops rounds (constants are cast to the
// parameter's type as torch casts its Python scalars), so trajectories agree.
#include "descent/optim/sgd.hpp"

#include "update_util.hpp"

namespace descent::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options) { init_groups({{std::move(params), options}}); }

SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups) { init_groups(std::move(groups)); }

void SGD::check_options(const SGDOptions& o) const {
    DESCENT_CHECK(o.lr >= 0.0, "SGD: invalid learning rate: ", o.lr, " (must be >= 0)");
    DESCENT_CHECK(o.momentum >= 0.0, "SGD: invalid momentum value: ", o.momentum, " (must be >= 0)");
    DESCENT_CHECK(o.weight_decay >= 0.0, "SGD: invalid weight_decay value: ", o.weight_decay, " (must be >= 0)");
    DESCENT_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
                  "SGD: Nesterov momentum requires a momentum and zero dampening (momentum = ", o.momentum,
                  ", dampening = ", o.dampening, ")");
}

void SGD::set_momentum(std::size_t group, double momentum) {
    SGDOptions o = options(group);
    o.momentum = momentum;
    set_options(group, o);
}

void SGD::visit_options(SGDOptions& o, detail::FieldVisitor& v) const {
    v.field("lr", o.lr);
    v.field("momentum", o.momentum);
    v.field("dampening", o.dampening);
    v.field("weight_decay", o.weight_decay);
    v.field("nesterov", o.nesterov);
    v.field("maximize", o.maximize);
}

void SGD::visit_state(SGDState& s, detail::FieldVisitor& v) const { v.field("momentum_buffer", s.momentum_buffer); }

void SGD::step() {
    detail::for_each_update(groups_, "SGD.step", [](const SGDOptions& o, const Tensor& param, const Tensor& grad,
                                                    SGDState& state, auto tag) {
        using T = decltype(tag);
        const bool first = o.momentum != 0.0 && !state.momentum_buffer.defined();
        if (first) state.momentum_buffer = Tensor::empty(param.shape(), {.dtype = param.dtype()});
        T* p = param.data_ptr<T>();
        const T* g = grad.data_ptr<T>();
        T* b = o.momentum != 0.0 ? state.momentum_buffer.data_ptr<T>() : nullptr;
        const T wd = static_cast<T>(o.weight_decay), mu = static_cast<T>(o.momentum);
        const T one_minus_damp = static_cast<T>(1.0 - o.dampening), neg_lr = static_cast<T>(-o.lr);
        const std::int64_t n = param.numel();
        for (std::int64_t j = 0; j < n; ++j) {
            T d = o.maximize ? -g[j] : g[j];
            if (o.weight_decay != 0.0) d = d + wd * p[j];
            if (b != nullptr) {
                // The first step copies the gradient into the buffer, as torch does.
                b[j] = first ? d : b[j] * mu + one_minus_damp * d;
                d = o.nesterov ? d + mu * b[j] : b[j];
            }
            p[j] = p[j] + neg_lr * d;
        }
    });
}

}  // namespace descent::optim
