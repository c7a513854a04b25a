// Adagrad (Duchi et al.) with lr decay, weight decay, an initial accumulator
// value and maximize: torch.optim.Adagrad, step for step.
#pragma once
#include "descent/optim/optimizer.hpp"

namespace descent::optim {

/// torch.optim.Adagrad's options and defaults.
struct AdagradOptions {
    double lr = 1e-2;
    double lr_decay = 0.0;
    double weight_decay = 0.0;
    double initial_accumulator_value = 0.0;
    double eps = 1e-10;
    bool maximize = false;
};

/// Per-parameter state (created for every parameter at construction, as torch does).
struct AdagradState {
    std::int64_t step = 0;
    Tensor sum;  ///< running sum of squared gradients
};

/// Adagrad (torch.optim.Adagrad):
///
///     input: γ (lr), θ₀ (params), f(θ) (objective), λ (weight decay),
///            τ (initial accumulator value), η (lr decay), maximize
///     initialize: state_sum₀ ← τ
///     for t = 1 to ... do
///         g_t ← ∇θ f_t(θ_{t-1});  if maximize: g_t ← -g_t
///         γ̃ ← γ / (1 + (t - 1) η)
///         if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
///         state_sum_t ← state_sum_{t-1} + g_t²
///         θ_t ← θ_{t-1} - γ̃ g_t / (sqrt(state_sum_t) + ε)
///     return θ_t
///
/// Each group's initial_accumulator_value is used for its parameters; torch 1.13
/// reads only the constructor's value, even for parameter groups that set their own.
class Adagrad final : public OptimizerBase<AdagradOptions, AdagradState> {
public:
    explicit Adagrad(std::vector<Tensor> params, AdagradOptions options = {});
    explicit Adagrad(std::vector<ParamGroup<AdagradOptions>> groups);

    std::string name() const override { return "Adagrad"; }
    void step() override;

protected:
    void check_options(const AdagradOptions& options) const override;
    void visit_options(AdagradOptions& options, detail::FieldVisitor& v) const override;
    void visit_state(AdagradState& state, detail::FieldVisitor& v) const override;

private:
    void init_state();
};

}  // namespace descent::optim
