// Adam and AdamW: one fused loop per parameter, in the parameter's dtype. Each
// statement rounds where torch's sequence of tensor ops rounds (bias corrections
// are computed in double and cast, as torch casts its Python scalars).
#include <cmath>
#include <type_traits>

#include "../kernels/elementwise.hpp"
#include "descent/optim/adam.hpp"
#include "descent/optim/adamw.hpp"
#include "update_util.hpp"

namespace descent::optim {

namespace {
template <class T>
struct AdamConstants {
    T beta1, beta2, one_minus_beta1, one_minus_beta2, wd, scale, bc2_sqrt, eps, neg_step_size;
};

// Calls f(std::true_type{}) or f(std::false_type{}).
template <class F>
void with_flag(bool flag, F&& f) {
    if (flag)
        f(std::true_type{});
    else
        f(std::false_type{});
}

// The element loop. __restrict: parameter, gradient and the two moments never overlap, which
// lets the compiler vectorize it; the operations and their order are those of torch's
// single-tensor Adam, so the result does not depend on the vector width.
template <class T, bool kMaximize, bool kDecay, bool kScale, bool kAmsgrad>
void adam_kernel(std::int64_t n, T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                 T* __restrict vmax, const AdamConstants<T> c) {
    for (std::int64_t j = 0; j < n; ++j) {
        T gj = kMaximize ? -g[j] : g[j];
        if constexpr (kDecay) gj = gj + c.wd * p[j];
        T pj = p[j];
        if constexpr (kScale) pj = pj * c.scale;
        const T mj = m[j] * c.beta1 + c.one_minus_beta1 * gj;
        const T vj = v[j] * c.beta2 + c.one_minus_beta2 * gj * gj;
        m[j] = mj;
        v[j] = vj;
        T second = vj;
        if constexpr (kAmsgrad) second = vmax[j] = detail::nan_max(vmax[j], vj);
        const T denom = std::sqrt(second) / c.bc2_sqrt + c.eps;
        p[j] = pj + c.neg_step_size * mj / denom;
    }
}

// The shared update; `decay` is the L2 coefficient added to the gradient (Adam)
// and `param_scale` the decoupled shrink factor 1 - lr·λ (AdamW: applied first).
template <class T>
void adam_update(const Tensor& param, const Tensor& grad, AdamState& s, double lr, const Betas& betas, double eps,
                 double decay, std::optional<double> param_scale, bool amsgrad, bool maximize) {
    if (!s.exp_avg.defined()) {
        s.exp_avg = detail::zeros_like_param(param);
        s.exp_avg_sq = detail::zeros_like_param(param);
    }
    if (amsgrad && !s.max_exp_avg_sq.defined()) s.max_exp_avg_sq = detail::zeros_like_param(param);
    s.step += 1;
    const double t = static_cast<double>(s.step);
    const double bias_correction1 = 1.0 - std::pow(betas[0], t);
    const double bias_correction2 = 1.0 - std::pow(betas[1], t);
    const double step_size = lr / bias_correction1;

    T* p = param.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* m = s.exp_avg.data_ptr<T>();
    T* v = s.exp_avg_sq.data_ptr<T>();
    T* vmax = amsgrad ? s.max_exp_avg_sq.data_ptr<T>() : nullptr;
    const AdamConstants<T> c{
        .beta1 = static_cast<T>(betas[0]),
        .beta2 = static_cast<T>(betas[1]),
        .one_minus_beta1 = static_cast<T>(1.0 - betas[0]),
        .one_minus_beta2 = static_cast<T>(1.0 - betas[1]),
        .wd = static_cast<T>(decay),
        .scale = static_cast<T>(param_scale.value_or(1.0)),
        .bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2)),
        .eps = static_cast<T>(eps),
        .neg_step_size = static_cast<T>(-step_size),
    };
    const std::int64_t n = param.numel();
    // One instantiation per combination of options, so the loop has no branches and vectorizes.
    with_flag(maximize, [&](auto kMaximize) {
        with_flag(decay != 0.0, [&](auto kDecay) {
            with_flag(param_scale.has_value(), [&](auto kScale) {
                with_flag(amsgrad, [&](auto kAmsgrad) {
                    // Elementwise, so splitting a large parameter over the threads changes no result.
                    kernels::parallel_chunks(n, [&](std::int64_t b, std::int64_t e) {
                        adam_kernel<T, decltype(kMaximize)::value, decltype(kDecay)::value, decltype(kScale)::value,
                                    decltype(kAmsgrad)::value>(e - b, p + b, g + b, m + b, v + b,
                                                               vmax ? vmax + b : nullptr, c);
                    });
                });
            });
        });
    });
}

void visit_adam_state(AdamState& s, detail::FieldVisitor& v) {
    v.field("step", s.step);
    v.field("exp_avg", s.exp_avg);
    v.field("exp_avg_sq", s.exp_avg_sq);
    v.field("max_exp_avg_sq", s.max_exp_avg_sq);
}

template <class Options>
void check_adam_options(const Options& o, const char* name) {
    detail::check_nonnegative(o.lr, name, "learning rate");
    detail::check_nonnegative(o.eps, name, "epsilon value");
    detail::check_betas(o.betas, name);
    detail::check_nonnegative(o.weight_decay, name, "weight_decay value");
}

template <class Options>
void visit_adam_options(Options& o, detail::FieldVisitor& v) {
    v.field("lr", o.lr);
    v.field("betas", o.betas);
    v.field("eps", o.eps);
    v.field("weight_decay", o.weight_decay);
    v.field("amsgrad", o.amsgrad);
    v.field("maximize", o.maximize);
}
}  // namespace

// ---- Adam ----------------------------------------------------------------------------------
Adam::Adam(std::vector<Tensor> params, AdamOptions options) { init_groups({{std::move(params), options}}); }
Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups) { init_groups(std::move(groups)); }

void Adam::check_options(const AdamOptions& o) const { check_adam_options(o, "Adam"); }
void Adam::visit_options(AdamOptions& o, detail::FieldVisitor& v) const { visit_adam_options(o, v); }
void Adam::visit_state(AdamState& s, detail::FieldVisitor& v) const { visit_adam_state(s, v); }

void Adam::set_momentum(std::size_t group, double beta1) {
    AdamOptions o = options(group);
    o.betas[0] = beta1;
    set_options(group, o);
}

void Adam::step() {
    detail::for_each_update(groups_, "Adam.step", [](const AdamOptions& o, const Tensor& p, const Tensor& g,
                                                     AdamState& s, auto tag) {
        adam_update<decltype(tag)>(p, g, s, o.lr, o.betas, o.eps, o.weight_decay, std::nullopt, o.amsgrad,
                                   o.maximize);
    });
}

// ---- AdamW ---------------------------------------------------------------------------------
AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options) { init_groups({{std::move(params), options}}); }
AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> groups) { init_groups(std::move(groups)); }

void AdamW::check_options(const AdamWOptions& o) const { check_adam_options(o, "AdamW"); }
void AdamW::visit_options(AdamWOptions& o, detail::FieldVisitor& v) const { visit_adam_options(o, v); }
void AdamW::visit_state(AdamState& s, detail::FieldVisitor& v) const { visit_adam_state(s, v); }

void AdamW::set_momentum(std::size_t group, double beta1) {
    AdamWOptions o = options(group);
    o.betas[0] = beta1;
    set_options(group, o);
}

void AdamW::step() {
    detail::for_each_update(groups_, "AdamW.step", [](const AdamWOptions& o, const Tensor& p, const Tensor& g,
                                                      AdamState& s, auto tag) {
        adam_update<decltype(tag)>(p, g, s, o.lr, o.betas, o.eps, 0.0, 1.0 - o.lr * o.weight_decay, o.amsgrad,
                                   o.maximize);
    });
}

}  // namespace descent::optim
