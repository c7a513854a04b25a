// Stochastic gradient descent with momentum, dampening, Nesterov momentum,
// weight decay and maximize: torch.optim.SGD, step for step.
#pragma once
#include "descent/optim/optimizer.hpp"

namespace descent::optim {

/// torch.optim.SGD's options. lr has no default in torch 1.13; ours is torch 2.x's 1e-3.
struct SGDOptions {
    double lr = 1e-3;
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
    bool maximize = false;
};

/// Per-parameter state.
struct SGDState {
    Tensor momentum_buffer;  ///< b, undefined until the first step with momentum != 0
};

/// Stochastic gradient descent (torch.optim.SGD):
///
///     input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight decay),
///            μ (momentum), τ (dampening), nesterov, maximize
///     for t = 1 to ... do
///         g_t ← ∇θ f_t(θ_{t-1});  if maximize: g_t ← -g_t
///         if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
///         if μ ≠ 0:
///             if t > 1:  b_t ← μ b_{t-1} + (1 - τ) g_t
///             else:      b_t ← g_t
///             if nesterov:  g_t ← g_t + μ b_t
///             else:         g_t ← b_t
///         θ_t ← θ_{t-1} - γ g_t
///     return θ_t
///
/// This is what torch's code does; its documentation writes maximize as
/// θ_t ← θ_{t-1} + γ g_t at the end instead, which flips the sign of the weight
/// decay term. The goldens follow the code.
///
///     optim::SGD optimizer(model.parameters(), {.lr = 0.1, .momentum = 0.9});
class SGD final : public OptimizerBase<SGDOptions, SGDState> {
public:
    explicit SGD(std::vector<Tensor> params, SGDOptions options = {});
    explicit SGD(std::vector<ParamGroup<SGDOptions>> groups);

    std::string name() const override { return "SGD"; }
    void step() override;
    std::optional<double> momentum(std::size_t group) const override { return options(group).momentum; }
    void set_momentum(std::size_t group, double momentum) override;

protected:
    void check_options(const SGDOptions& options) const override;
    void visit_options(SGDOptions& options, detail::FieldVisitor& v) const override;
    void visit_state(SGDState& state, detail::FieldVisitor& v) const override;
};

}  // namespace descent::optim
