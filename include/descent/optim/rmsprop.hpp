// RMSprop (Hinton) with weight decay, momentum, centering and maximize:
// torch.optim.RMSprop, step for step.
#pragma once
#include "descent/optim/optimizer.hpp"

namespace descent::optim {

/// torch.optim.RMSprop's options and defaults.
struct RMSpropOptions {
    double lr = 1e-2;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0.0;
    double momentum = 0.0;
    bool centered = false;
    bool maximize = false;
};

/// Per-parameter state.
struct RMSpropState {
    std::int64_t step = 0;
    Tensor square_avg;       ///< v
    Tensor momentum_buffer;  ///< b, only with momentum > 0
    Tensor grad_avg;         ///< g^ave, only when centered
};

/// RMSprop (torch.optim.RMSprop):
///
///     input: α (alpha), γ (lr), θ₀ (params), f(θ) (objective), λ (weight decay),
///            μ (momentum), centered, maximize
///     initialize: v₀ ← 0 (square average), b₀ ← 0 (buffer), g₀^ave ← 0
///     for t = 1 to ... do
///         g_t ← ∇θ f_t(θ_{t-1});  if maximize: g_t ← -g_t
///         if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
///         v_t ← α v_{t-1} + (1 - α) g_t²
///         ṽ_t ← v_t
///         if centered:
///             g_t^ave ← α g_{t-1}^ave + (1 - α) g_t
///             ṽ_t ← ṽ_t - (g_t^ave)²
///         if μ > 0:
///             b_t ← μ b_{t-1} + g_t / (sqrt(ṽ_t) + ε)
///             θ_t ← θ_{t-1} - γ b_t
///         else:
///             θ_t ← θ_{t-1} - γ g_t / (sqrt(ṽ_t) + ε)
///     return θ_t
class RMSprop final : public OptimizerBase<RMSpropOptions, RMSpropState> {
public:
    explicit RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
    explicit RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups);

    std::string name() const override { return "RMSprop"; }
    void step() override;
    std::optional<double> momentum(std::size_t group) const override { return options(group).momentum; }
    void set_momentum(std::size_t group, double momentum) override;

protected:
    void check_options(const RMSpropOptions& options) const override;
    void visit_options(RMSpropOptions& options, detail::FieldVisitor& v) const override;
    void visit_state(RMSpropState& state, detail::FieldVisitor& v) const override;
};

}  // namespace descent::optim
