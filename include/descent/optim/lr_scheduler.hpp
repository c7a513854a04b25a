// Learning-rate schedulers with torch 1.13's formulas: each step() computes the new
// lr from the current one (torch's chainable get_lr) exactly as torch does, so the
// values agree to the last bits; SequentialLR restarts a scheduler through its
// closed form, as torch does. Every scheduler has state_dict()/load_state_dict().
//
//     optim::SGD optimizer(model.parameters(), {.lr = 0.1});
//     auto warmup = std::make_shared<optim::LinearLR>(optimizer, optim::LinearLROptions{.start_factor = 0.1});
//     auto cosine = std::make_shared<optim::CosineAnnealingLR>(optimizer, optim::CosineAnnealingLROptions{.T_max = 95});
//     optim::SequentialLR scheduler(optimizer, {warmup, cosine}, {5});
//     for (int epoch = 0; epoch < 100; ++epoch) { train(...); scheduler.step(); }
//
// To resume: build the model, optimizer and schedulers as at the start, then load
// the optimizer's state and the scheduler's state (in that order or any order:
// neither load changes the other).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "descent/core/state_dict.hpp"
#include "descent/optim/optimizer.hpp"

namespace descent::optim {

/// Base of the epoch-indexed schedulers (torch's _LRScheduler). Constructing one
/// records each group's lr as its initial_lr (unless a scheduler already did) and
/// performs step 0, which sets the lr for the first epoch.
class LRScheduler {
public:
    virtual ~LRScheduler() = default;
    LRScheduler(const LRScheduler&) = delete;
    LRScheduler& operator=(const LRScheduler&) = delete;

    /// torch's class name: "StepLR", ...
    virtual std::string name() const = 0;
    /// Advances one epoch (one batch for OneCycleLR) and sets the optimizer's learning rates.
    virtual void step();
    /// The learning rates the last step set, one per group.
    const std::vector<double>& get_last_lr() const { return last_lr_; }
    /// Steps taken since construction; 0 right after it.
    std::int64_t last_epoch() const { return last_epoch_; }
    /// The groups' initial learning rates.
    const std::vector<double>& base_lrs() const { return base_lrs_; }
    Optimizer& optimizer() const { return *optimizer_; }

    /// Position and settings: "last_epoch", "base_lrs", "last_lr", "step_count" and the
    /// scheduler's own fields ("gamma", "T_cur", ...), as 0-dim or 1-D tensors.
    virtual StateDict state_dict() const;
    /// Restores what state_dict() saved, bit for bit (the optimizer's lrs are restored by
    /// the optimizer's own load_state_dict).
    virtual void load_state_dict(const StateDict& state);

protected:
    explicit LRScheduler(Optimizer& optimizer);
    /// The chainable form (torch's get_lr): the new lrs from the optimizer's current ones.
    virtual std::vector<double> get_lr() = 0;
    /// The closed form at last_epoch_ (torch's _get_closed_form_lr); defaults to get_lr.
    virtual std::vector<double> closed_form_lr() { return get_lr(); }
    /// torch's step(epoch): jump to `epoch` with the closed form (SequentialLR uses it).
    virtual void step_to(std::int64_t epoch);
    /// torch's _initial_step: derived constructors call it last.
    void initial_step();
    /// Sets each group's lr and records last_lr_.
    void apply(const std::vector<double>& lrs);
    /// Calls v.field(name, member) on the scheduler's own settings and counters.
    virtual void visit_fields(detail::FieldVisitor& v) { (void)v; }
    /// The optimizer's current lr of every group.
    std::vector<double> current_lrs() const;

    Optimizer* optimizer_;
    std::vector<double> base_lrs_;
    std::int64_t last_epoch_ = -1;
    std::int64_t step_count_ = 0;
    std::vector<double> last_lr_;

    friend class SequentialLR;
};

/// Multiplies the lr by gamma every step_size epochs.
struct StepLROptions {
    std::int64_t step_size = 0;  ///< required: a positive period
    double gamma = 0.1;
};
/// torch.optim.lr_scheduler.StepLR: lr_e = lr_{e-1} · γ when e > 0 and e mod step_size = 0
/// (closed form: base_lr · γ^⌊e / step_size⌋).
class StepLR final : public LRScheduler {
public:
    StepLR(Optimizer& optimizer, StepLROptions options);
    std::string name() const override { return "StepLR"; }

protected:
    std::vector<double> get_lr() override;
    std::vector<double> closed_form_lr() override;
    void visit_fields(detail::FieldVisitor& v) override;

private:
    StepLROptions options_;
};

/// Multiplies the lr by gamma at each milestone epoch (a milestone listed twice counts twice).
struct MultiStepLROptions {
    std::vector<std::int64_t> milestones;
    double gamma = 0.1;
};
/// torch.optim.lr_scheduler.MultiStepLR: lr_e = lr_{e-1} · γ^(times e is a milestone)
/// (closed form: base_lr · γ^(number of milestones ≤ e)).
class MultiStepLR final : public LRScheduler {
public:
    MultiStepLR(Optimizer& optimizer, MultiStepLROptions options);
    std::string name() const override { return "MultiStepLR"; }
    StateDict state_dict() const override;
    void load_state_dict(const StateDict& state) override;

protected:
    std::vector<double> get_lr() override;
    std::vector<double> closed_form_lr() override;
    void visit_fields(detail::FieldVisitor& v) override;

private:
    MultiStepLROptions options_;  // milestones kept sorted
};

/// torch.optim.lr_scheduler.ExponentialLR: lr_e = lr_{e-1} · γ for e > 0 (closed form: base_lr · γ^e).
class ExponentialLR final : public LRScheduler {
public:
    ExponentialLR(Optimizer& optimizer, double gamma);
    std::string name() const override { return "ExponentialLR"; }

protected:
    std::vector<double> get_lr() override;
    std::vector<double> closed_form_lr() override;
    void visit_fields(detail::FieldVisitor& v) override;

private:
    double gamma_;
};

/// Cosine from the initial lr down to eta_min over T_max epochs (then back up: a cosine wave).
struct CosineAnnealingLROptions {
    std::int64_t T_max = 0;  ///< required: a positive half period
    double eta_min = 0.0;
};
/// torch.optim.lr_scheduler.CosineAnnealingLR, in torch's recursive form:
///
///     η_e = η_min + (η_{e-1} - η_min) · (1 + cos(π e / T_max)) / (1 + cos(π (e-1) / T_max))
///     and, when (e - 1 - T_max) mod 2T_max = 0:  η_e = η_{e-1} + (η_max - η_min)(1 - cos(π / T_max)) / 2
///
/// which equals η_min + (η_max - η_min)(1 + cos(π e / T_max)) / 2 when nothing else changes the lr.
class CosineAnnealingLR final : public LRScheduler {
public:
    CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options);
    std::string name() const override { return "CosineAnnealingLR"; }

protected:
    std::vector<double> get_lr() override;
    std::vector<double> closed_form_lr() override;
    void visit_fields(detail::FieldVisitor& v) override;

private:
    CosineAnnealingLROptions options_;
};

/// SGDR: cosine annealing restarted every T_i epochs, with T_i = T_0 · T_mult^i.
struct CosineAnnealingWarmRestartsOptions {
    std::int64_t T_0 = 0;  ///< required: the first period (positive)
    std::int64_t T_mult = 1;
    double eta_min = 0.0;
};
/// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts:
/// η = η_min + (η_max - η_min)(1 + cos(π T_cur / T_i)) / 2, T_cur counting epochs since the last restart.
class CosineAnnealingWarmRestarts final : public LRScheduler {
public:
    CosineAnnealingWarmRestarts(Optimizer& optimizer, CosineAnnealingWarmRestartsOptions options);
    std::string name() const override { return "CosineAnnealingWarmRestarts"; }
    void step() override;

protected:
    std::vector<double> get_lr() override;
    void step_to(std::int64_t epoch) override;
    void visit_fields(detail::FieldVisitor& v) override;

private:
    CosineAnnealingWarmRestartsOptions options_;
    std::int64_t T_i_;
    std::int64_t T_cur_ = -1;
};

/// Scales the lr linearly from start_factor to end_factor over total_iters epochs (warm-up).
struct LinearLROptions {
    double start_factor = 1.0 / 3.0;
    double end_factor = 1.0;
    std::int64_t total_iters = 5;
};
/// torch.optim.lr_scheduler.LinearLR, in torch's recursive form:
/// lr_0 = lr · start; lr_e = lr_{e-1} · (1 + (end - start) / (total · start + (e - 1)(end - start))) for
/// 0 < e ≤ total (closed form: base_lr · (start + (end - start) · min(total, e) / total)).
class LinearLR final : public LRScheduler {
public:
    LinearLR(Optimizer& optimizer, LinearLROptions options = {});
    std::string name() const override { return "LinearLR"; }

protected:
    std::vector<double> get_lr() override;
    std::vector<double> closed_form_lr() override;
    void visit_fields(detail::FieldVisitor& v) override;

private:
    LinearLROptions options_;
};

/// How OneCycleLR moves between two values.
enum class AnnealStrategy { Cos, Linear };

/// The 1cycle policy (Smith): warm up to max_lr, then anneal far below the start.
/// Give total_steps, or epochs and steps_per_epoch.
struct OneCycleLROptions {
    double max_lr = 0.0;              ///< required (every group), unless max_lrs is given
    std::vector<double> max_lrs = {}; ///< one per group; overrides max_lr
    std::int64_t total_steps = 0;
    std::int64_t epochs = 0;
    std::int64_t steps_per_epoch = 0;
    double pct_start = 0.3;
    AnnealStrategy anneal_strategy = AnnealStrategy::Cos;
    bool cycle_momentum = true;
    double base_momentum = 0.85;
    double max_momentum = 0.95;
    double div_factor = 25.0;
    double final_div_factor = 1e4;
    bool three_phase = false;
};
/// torch.optim.lr_scheduler.OneCycleLR: initial_lr = max_lr / div_factor, min_lr =
/// initial_lr / final_div_factor; the lr goes initial → max over pct_start of the steps,
/// then max → min (three_phase: max → initial → min), by cosine or linearly, while the
/// momentum (SGD's momentum, Adam's beta1) goes the opposite way between max_momentum
/// and base_momentum. Step it once per batch; stepping past total_steps is an error.
class OneCycleLR final : public LRScheduler {
public:
    OneCycleLR(Optimizer& optimizer, OneCycleLROptions options);
    std::string name() const override { return "OneCycleLR"; }
    std::int64_t total_steps() const { return total_steps_; }
    StateDict state_dict() const override;
    void load_state_dict(const StateDict& state) override;

protected:
    std::vector<double> get_lr() override;
    void visit_fields(detail::FieldVisitor& v) override;

private:
    struct Phase {
        double end_step;
        int start_lr, end_lr, start_momentum, end_momentum;  // 0 initial, 1 max, 2 min / 0 max, 1 base
    };
    double anneal(double start, double end, double pct) const;
    std::vector<Phase> phases() const;

    OneCycleLROptions options_;
    std::int64_t total_steps_ = 0;
    std::vector<double> initial_lrs_, max_lrs_, min_lrs_;
};

/// Runs schedulers one after another: schedulers[i] from milestones[i-1] on.
/// All must drive `optimizer`, and there is one milestone fewer than schedulers.
class SequentialLR final : public LRScheduler {
public:
    SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                 std::vector<std::int64_t> milestones);
    std::string name() const override { return "SequentialLR"; }
    void step() override;
    /// Its own position plus each scheduler's state under "schedulers.<i>.".
    StateDict state_dict() const override;
    void load_state_dict(const StateDict& state) override;

protected:
    std::vector<double> get_lr() override { return current_lrs(); }

private:
    std::vector<std::shared_ptr<LRScheduler>> schedulers_;
    std::vector<std::int64_t> milestones_;
};

/// Whether ReduceLROnPlateau's metric should go down (a loss) or up (an accuracy).
enum class PlateauMode { Min, Max };
/// Whether an improvement is measured relative to the best value or in absolute terms.
enum class ThresholdMode { Rel, Abs };

struct ReduceLROnPlateauOptions {
    PlateauMode mode = PlateauMode::Min;
    double factor = 0.1;                ///< new_lr = lr · factor (must be < 1)
    std::int64_t patience = 10;         ///< epochs without improvement before reducing
    double threshold = 1e-4;
    ThresholdMode threshold_mode = ThresholdMode::Rel;
    std::int64_t cooldown = 0;          ///< epochs to wait after a reduction
    double min_lr = 0.0;                ///< lower bound of every group's lr
    std::vector<double> min_lrs = {};   ///< one per group; overrides min_lr
    double eps = 1e-8;                  ///< reductions smaller than this are skipped
};

/// torch.optim.lr_scheduler.ReduceLROnPlateau: reduces the lr by `factor` once the
/// metric passed to step() has not improved for more than `patience` epochs.
/// Improvement (min, rel): metric < best · (1 - threshold); (min, abs): metric < best - threshold;
/// (max, rel): metric > best · (1 + threshold); (max, abs): metric > best + threshold.
class ReduceLROnPlateau {
public:
    explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
    /// One epoch's metric (e.g. the validation loss).
    void step(double metric);
    const std::vector<double>& get_last_lr() const { return last_lr_; }
    std::int64_t last_epoch() const { return last_epoch_; }
    std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
    double best() const { return best_; }
    StateDict state_dict() const;
    void load_state_dict(const StateDict& state);

private:
    bool is_better(double a, double best) const;
    void visit_fields(detail::FieldVisitor& v);

    Optimizer* optimizer_;
    ReduceLROnPlateauOptions options_;
    double best_;
    std::int64_t num_bad_epochs_ = 0;
    std::int64_t cooldown_counter_ = 0;
    std::int64_t last_epoch_ = 0;
    std::vector<double> last_lr_;
};

}  // namespace descent::optim
