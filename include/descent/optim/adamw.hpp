// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay,
// torch.optim.AdamW step for step.
#pragma once
#include "descent/optim/adam.hpp"

namespace descent::optim {

/// torch.optim.AdamW's options and defaults (note weight_decay = 1e-2).
struct AdamWOptions {
    double lr = 1e-3;
    Betas betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 1e-2;
    bool amsgrad = false;
    bool maximize = false;
};

/// AdamW (torch.optim.AdamW):
///
///     input: γ (lr), β1, β2 (betas), θ₀ (params), f(θ) (objective),
///            ε (epsilon), λ (weight decay), amsgrad, maximize
///     initialize: m₀ ← 0, v₀ ← 0, v̂₀max ← 0
///     for t = 1 to ... do
///         if maximize:  g_t ← -∇θ f_t(θ_{t-1})
///         else:         g_t ←  ∇θ f_t(θ_{t-1})
///         θ_t ← θ_{t-1} - γ λ θ_{t-1}
///         m_t ← β1 m_{t-1} + (1 - β1) g_t
///         v_t ← β2 v_{t-1} + (1 - β2) g_t²
///         m̂_t ← m_t / (1 - β1^t)
///         v̂_t ← v_t / (1 - β2^t)
///         if amsgrad:
///             v̂_t^max ← max(v̂_{t-1}^max, v̂_t)
///             θ_t ← θ_t - γ m̂_t / (sqrt(v̂_t^max) + ε)
///         else:
///             θ_t ← θ_t - γ m̂_t / (sqrt(v̂_t) + ε)
///     return θ_t
class AdamW final : public OptimizerBase<AdamWOptions, AdamState> {
public:
    explicit AdamW(std::vector<Tensor> params, AdamWOptions options = {});
    explicit AdamW(std::vector<ParamGroup<AdamWOptions>> groups);

    std::string name() const override { return "AdamW"; }
    void step() override;
    std::optional<double> momentum(std::size_t group) const override { return options(group).betas[0]; }
    void set_momentum(std::size_t group, double beta1) override;

protected:
    void check_options(const AdamWOptions& options) const override;
    void visit_options(AdamWOptions& options, detail::FieldVisitor& v) const override;
    void visit_state(AdamState& state, detail::FieldVisitor& v) const override;
};

}  // namespace descent::optim
