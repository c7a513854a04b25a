// RAdam (rectified Adam, Liu et al.) with weight decay: torch.optim.RAdam of
// torch 1.13, step for step (1.13 has no maximize nor decoupled decay).
#pragma once
#include "descent/optim/optimizer.hpp"

namespace descent::optim {

/// torch.optim.RAdam's options and defaults.
struct RAdamOptions {
    double lr = 1e-3;
    Betas betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 0.0;
};

/// Per-parameter state.
struct RAdamState {
    std::int64_t step = 0;
    Tensor exp_avg;     ///< m
    Tensor exp_avg_sq;  ///< v
};

/// RAdam (torch.optim.RAdam):
///
///     input: γ (lr), β1, β2 (betas), θ₀ (params), f(θ) (objective), λ (weight decay)
///     initialize: m₀ ← 0, v₀ ← 0, ρ_∞ ← 2 / (1 - β2) - 1
///     for t = 1 to ... do
///         g_t ← ∇θ f_t(θ_{t-1})
///         if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
///         m_t ← β1 m_{t-1} + (1 - β1) g_t
///         v_t ← β2 v_{t-1} + (1 - β2) g_t²
///         m̂_t ← m_t / (1 - β1^t)
///         ρ_t ← ρ_∞ - 2 t β2^t / (1 - β2^t)
///         if ρ_t > 5:
///             l_t ← sqrt(1 - β2^t) / (sqrt(v_t) + ε)
///             r_t ← sqrt((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))
///             θ_t ← θ_{t-1} - γ m̂_t r_t l_t
///         else:
///             θ_t ← θ_{t-1} - γ m̂_t
///     return θ_t
class RAdam final : public OptimizerBase<RAdamOptions, RAdamState> {
public:
    explicit RAdam(std::vector<Tensor> params, RAdamOptions options = {});
    explicit RAdam(std::vector<ParamGroup<RAdamOptions>> groups);

    std::string name() const override { return "RAdam"; }
    void step() override;
    std::optional<double> momentum(std::size_t group) const override { return options(group).betas[0]; }
    void set_momentum(std::size_t group, double beta1) override;

protected:
    void check_options(const RAdamOptions& options) const override;
    void visit_options(RAdamOptions& options, detail::FieldVisitor& v) const override;
    void visit_state(RAdamState& state, detail::FieldVisitor& v) const override;
};

}  // namespace descent::optim
