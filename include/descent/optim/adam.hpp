// Adam (Kingma & Ba) with weight decay, AMSGrad and maximize: torch.optim.Adam,
// step for step. AdamW (decoupled weight decay) is in adamw.hpp.
#pragma once
#include "descent/optim/optimizer.hpp"

namespace descent::optim {

/// torch.optim.Adam's options and defaults.
struct AdamOptions {
    double lr = 1e-3;
    Betas betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 0.0;
    bool amsgrad = false;
    bool maximize = false;
};

/// Per-parameter state of Adam and AdamW.
struct AdamState {
    std::int64_t step = 0;
    Tensor exp_avg;         ///< m, first moment
    Tensor exp_avg_sq;      ///< v, second moment
    Tensor max_exp_avg_sq;  ///< v̂max, only with amsgrad
};

/// Adam (torch.optim.Adam):
///
///     input: γ (lr), β1, β2 (betas), θ₀ (params), f(θ) (objective),
///            λ (weight decay), amsgrad, maximize
///     initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment), v̂₀max ← 0
///     for t = 1 to ... do
///         if maximize:  g_t ← -∇θ f_t(θ_{t-1})
///         else:         g_t ←  ∇θ f_t(θ_{t-1})
///         if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
///         m_t ← β1 m_{t-1} + (1 - β1) g_t
///         v_t ← β2 v_{t-1} + (1 - β2) g_t²
///         m̂_t ← m_t / (1 - β1^t)
///         v̂_t ← v_t / (1 - β2^t)
///         if amsgrad:
///             v̂_t^max ← max(v̂_{t-1}^max, v̂_t)
///             θ_t ← θ_{t-1} - γ m̂_t / (sqrt(v̂_t^max) + ε)
///         else:
///             θ_t ← θ_{t-1} - γ m̂_t / (sqrt(v̂_t) + ε)
///     return θ_t
///
/// As torch computes it: denom = sqrt(v_t) / sqrt(1 - β2^t) + ε and
/// θ_t = θ_{t-1} - (γ / (1 - β1^t)) m_t / denom (amsgrad keeps the max of v_t, unscaled).
class Adam final : public OptimizerBase<AdamOptions, AdamState> {
public:
    explicit Adam(std::vector<Tensor> params, AdamOptions options = {});
    explicit Adam(std::vector<ParamGroup<AdamOptions>> groups);

    std::string name() const override { return "Adam"; }
    void step() override;
    std::optional<double> momentum(std::size_t group) const override { return options(group).betas[0]; }
    void set_momentum(std::size_t group, double beta1) override;

protected:
    void check_options(const AdamOptions& options) const override;
    void visit_options(AdamOptions& options, detail::FieldVisitor& v) const override;
    void visit_state(AdamState& state, detail::FieldVisitor& v) const override;
};

}  // namespace descent::optim
