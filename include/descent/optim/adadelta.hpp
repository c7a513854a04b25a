// Adadelta (Zeiler) with weight decay and maximize: torch.optim.Adadelta, step for step.
#pragma once
#include "descent/optim/optimizer.hpp"

namespace descent::optim {

/// torch.optim.Adadelta's options and defaults.
struct AdadeltaOptions {
    double lr = 1.0;
    double rho = 0.9;
    double eps = 1e-6;
    double weight_decay = 0.0;
    bool maximize = false;
};

/// Per-parameter state.
struct AdadeltaState {
    std::int64_t step = 0;
    Tensor square_avg;  ///< v
    Tensor acc_delta;   ///< u
};

/// Adadelta (torch.optim.Adadelta):
///
///     input: γ (lr), θ₀ (params), f(θ) (objective), ρ (decay), λ (weight decay), maximize
///     initialize: v₀ ← 0 (square avg), u₀ ← 0 (accumulate variables)
///     for t = 1 to ... do
///         g_t ← ∇θ f_t(θ_{t-1});  if maximize: g_t ← -g_t
///         if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
///         v_t ← v_{t-1} ρ + g_t² (1 - ρ)
///         Δx_t ← sqrt(u_{t-1} + ε) / sqrt(v_t + ε) · g_t
///         u_t ← u_{t-1} ρ + Δx_t² (1 - ρ)
///         θ_t ← θ_{t-1} - γ Δx_t
///     return θ_t
class Adadelta final : public OptimizerBase<AdadeltaOptions, AdadeltaState> {
public:
    explicit Adadelta(std::vector<Tensor> params, AdadeltaOptions options = {});
    explicit Adadelta(std::vector<ParamGroup<AdadeltaOptions>> groups);

    std::string name() const override { return "Adadelta"; }
    void step() override;

protected:
    void check_options(const AdadeltaOptions& options) const override;
    void visit_options(AdadeltaOptions& options, detail::FieldVisitor& v) const override;
    void visit_state(AdadeltaState& state, detail::FieldVisitor& v) const override;
};

}  // namespace descent::optim
