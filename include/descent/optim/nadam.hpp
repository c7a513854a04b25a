// NAdam (Adam with Nesterov momentum, Dozat) with weight decay and momentum
// decay: torch.optim.NAdam of torch 1.13, step for step (1.13 has no maximize).
#pragma once
#include "descent/optim/optimizer.hpp"

namespace descent::optim {

/// torch.optim.NAdam's options and defaults.
struct NAdamOptions {
    double lr = 2e-3;
    Betas betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 0.0;
    double momentum_decay = 4e-3;
};

/// Per-parameter state.
struct NAdamState {
    std::int64_t step = 0;
    /// ∏ μ_i. torch keeps it in a float32 tensor whatever the parameters' dtype; so do
    /// we (rounded to float after every product) so that float64 runs agree too.
    double mu_product = 1.0;
    Tensor exp_avg;     ///< m
    Tensor exp_avg_sq;  ///< v
};

/// NAdam (torch.optim.NAdam):
///
///     input: γ (lr), β1, β2 (betas), θ₀ (params), f(θ) (objective),
///            λ (weight decay), ψ (momentum decay)
///     initialize: m₀ ← 0 (first moment), v₀ ← 0 (second moment)
///     for t = 1 to ... do
///         g_t ← ∇θ f_t(θ_{t-1})
///         if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
///         μ_t ← β1 (1 - ½ · 0.96^(t ψ))
///         μ_{t+1} ← β1 (1 - ½ · 0.96^((t+1) ψ))
///         m_t ← β1 m_{t-1} + (1 - β1) g_t
///         v_t ← β2 v_{t-1} + (1 - β2) g_t²
///         m̂_t ← μ_{t+1} m_t / (1 - ∏_{i=1}^{t+1} μ_i) + (1 - μ_t) g_t / (1 - ∏_{i=1}^{t} μ_i)
///         v̂_t ← v_t / (1 - β2^t)
///         θ_t ← θ_{t-1} - γ m̂_t / (sqrt(v̂_t) + ε)
///     return θ_t
class NAdam final : public OptimizerBase<NAdamOptions, NAdamState> {
public:
    explicit NAdam(std::vector<Tensor> params, NAdamOptions options = {});
    explicit NAdam(std::vector<ParamGroup<NAdamOptions>> groups);

    std::string name() const override { return "NAdam"; }
    void step() override;
    std::optional<double> momentum(std::size_t group) const override { return options(group).betas[0]; }
    void set_momentum(std::size_t group, double beta1) override;

protected:
    void check_options(const NAdamOptions& options) const override;
    void visit_options(NAdamOptions& options, detail::FieldVisitor& v) const override;
    void visit_state(NAdamState& state, detail::FieldVisitor& v) const override;
};

}  // namespace descent::optim
