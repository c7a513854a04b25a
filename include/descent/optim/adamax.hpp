// Adamax (Adam with the infinity norm) with weight decay and maximize:
// torch.optim.Adamax, step for step.
#pragma once
#include "descent/optim/optimizer.hpp"

namespace descent::optim {

/// torch.optim.Adamax's options and defaults.
struct AdamaxOptions {
    double lr = 2e-3;
    Betas betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 0.0;
    bool maximize = false;
};

/// Per-parameter state.
struct AdamaxState {
    std::int64_t step = 0;
    Tensor exp_avg;  ///< m
    Tensor exp_inf;  ///< u, the exponentially weighted infinity norm
};

/// Adamax (torch.optim.Adamax):
///
///     input: γ (lr), β1, β2 (betas), θ₀ (params), f(θ) (objective),
///            λ (weight decay), ε (epsilon), maximize
///     initialize: m₀ ← 0 (first moment), u₀ ← 0 (infinity norm)
///     for t = 1 to ... do
///         g_t ← ∇θ f_t(θ_{t-1});  if maximize: g_t ← -g_t
///         if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
///         m_t ← β1 m_{t-1} + (1 - β1) g_t
///         u_t ← max(β2 u_{t-1}, |g_t| + ε)
///         θ_t ← θ_{t-1} - γ m_t / ((1 - β1^t) u_t)
///     return θ_t
class Adamax final : public OptimizerBase<AdamaxOptions, AdamaxState> {
public:
    explicit Adamax(std::vector<Tensor> params, AdamaxOptions options = {});
    explicit Adamax(std::vector<ParamGroup<AdamaxOptions>> groups);

    std::string name() const override { return "Adamax"; }
    void step() override;
    std::optional<double> momentum(std::size_t group) const override { return options(group).betas[0]; }
    void set_momentum(std::size_t group, double beta1) override;

protected:
    void check_options(const AdamaxOptions& options) const override;
    void visit_options(AdamaxOptions& options, detail::FieldVisitor& v) const override;
    void visit_state(AdamaxState& state, detail::FieldVisitor& v) const override;
};

}  // namespace descent::optim
