// LR schedulers: torch 1.13's get_lr (chainable) and closed forms, evaluated with
// the same operations in the same order as torch's Python, so every lr agrees with
// torch's to the last bit or two.
#include "descent/optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace descent::optim {

namespace {
constexpr double kPi = std::numbers::pi;

Tensor vector_tensor(const std::vector<double>& values) {
    Tensor t = make_tensor({static_cast<std::int64_t>(values.size())}, kFloat64);
    std::copy(values.begin(), values.end(), t.data_ptr<double>());
    return t;
}

std::vector<double> read_vector(const StateDict& state, const std::string& name, std::size_t expected,
                                const std::string& who) {
    const Tensor& t = state.at(name);
    DESCENT_CHECK(t.dim() == 1 && t.numel() == static_cast<std::int64_t>(expected), who, ".load_state_dict: \"",
                  name, "\" has shape ", shape_str(t.shape()), ", expected [", expected, "] (one per group)");
    return t.to_vector<double>();
}

Tensor int_vector_tensor(const std::vector<std::int64_t>& values) {
    Tensor t = make_tensor({static_cast<std::int64_t>(values.size())}, kInt64);
    std::copy(values.begin(), values.end(), t.data_ptr<std::int64_t>());
    return t;
}

}  // namespace

// ---- LRScheduler -----------------------------------------------------------------------------
LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(&optimizer) {
    for (std::size_t g = 0; g < optimizer.num_param_groups(); ++g) {
        if (!optimizer.initial_lr(g)) optimizer.set_initial_lr(g, optimizer.lr(g));
        base_lrs_.push_back(*optimizer.initial_lr(g));
    }
}

std::vector<double> LRScheduler::current_lrs() const {
    std::vector<double> lrs;
    for (std::size_t g = 0; g < optimizer_->num_param_groups(); ++g) lrs.push_back(optimizer_->lr(g));
    return lrs;
}

void LRScheduler::apply(const std::vector<double>& lrs) {
    DESCENT_CHECK(lrs.size() == optimizer_->num_param_groups(), name(), ": ", lrs.size(),
                  " learning rates for ", optimizer_->num_param_groups(), " parameter groups");
    for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_->set_lr(g, lrs[g]);
    last_lr_ = current_lrs();
}

void LRScheduler::step() {
    ++step_count_;
    ++last_epoch_;
    apply(get_lr());
}

void LRScheduler::step_to(std::int64_t epoch) {
    ++step_count_;
    last_epoch_ = epoch;
    apply(closed_form_lr());
}

void LRScheduler::initial_step() {
    step_count_ = 0;
    step();
}

StateDict LRScheduler::state_dict() const {
    StateDict out;
    std::int64_t last_epoch = last_epoch_, step_count = step_count_;
    detail::FieldSaver saver(out, "");
    saver.field("last_epoch", last_epoch);
    saver.field("step_count", step_count);
    out.insert("base_lrs", vector_tensor(base_lrs_));
    out.insert("last_lr", vector_tensor(last_lr_));
    const_cast<LRScheduler*>(this)->visit_fields(saver);  // the saver only reads
    return out;
}

void LRScheduler::load_state_dict(const StateDict& state) {
    const StateDict backup = state_dict();
    auto load = [&](const StateDict& from) {
        const std::size_t groups = optimizer_->num_param_groups();
        detail::FieldLoader loader(from, "");
        loader.field("last_epoch", last_epoch_);
        loader.field("step_count", step_count_);
        base_lrs_ = read_vector(from, "base_lrs", groups, name());
        last_lr_ = read_vector(from, "last_lr", groups, name());
        visit_fields(loader);
    };
    try {
        load(state);
    } catch (...) {
        load(backup);
        throw;
    }
}

// ---- StepLR ----------------------------------------------------------------------------------
StepLR::StepLR(Optimizer& optimizer, StepLROptions options) : LRScheduler(optimizer), options_(options) {
    DESCENT_CHECK(options.step_size > 0, "StepLR: step_size must be a positive number of epochs, got ",
                  options.step_size);
    initial_step();
}

std::vector<double> StepLR::get_lr() {
    std::vector<double> lrs = current_lrs();
    if (last_epoch_ == 0 || last_epoch_ % options_.step_size != 0) return lrs;
    for (double& lr : lrs) lr = lr * options_.gamma;
    return lrs;
}

std::vector<double> StepLR::closed_form_lr() {
    std::vector<double> lrs;
    const double power = static_cast<double>(last_epoch_ / options_.step_size);
    for (double base : base_lrs_) lrs.push_back(base * std::pow(options_.gamma, power));
    return lrs;
}

void StepLR::visit_fields(detail::FieldVisitor& v) {
    v.field("step_size", options_.step_size);
    v.field("gamma", options_.gamma);
}

// ---- MultiStepLR -----------------------------------------------------------------------------
MultiStepLR::MultiStepLR(Optimizer& optimizer, MultiStepLROptions options)
    : LRScheduler(optimizer), options_(std::move(options)) {
    std::sort(options_.milestones.begin(), options_.milestones.end());
    initial_step();
}

std::vector<double> MultiStepLR::get_lr() {
    std::vector<double> lrs = current_lrs();
    const auto count = std::count(options_.milestones.begin(), options_.milestones.end(), last_epoch_);
    if (count == 0) return lrs;
    for (double& lr : lrs) lr = lr * std::pow(options_.gamma, static_cast<double>(count));
    return lrs;
}

std::vector<double> MultiStepLR::closed_form_lr() {
    const auto passed = std::upper_bound(options_.milestones.begin(), options_.milestones.end(), last_epoch_) -
                        options_.milestones.begin();
    std::vector<double> lrs;
    for (double base : base_lrs_) lrs.push_back(base * std::pow(options_.gamma, static_cast<double>(passed)));
    return lrs;
}

void MultiStepLR::visit_fields(detail::FieldVisitor& v) { v.field("gamma", options_.gamma); }

StateDict MultiStepLR::state_dict() const {
    StateDict out = LRScheduler::state_dict();
    out.insert("milestones", int_vector_tensor(options_.milestones));
    return out;
}

void MultiStepLR::load_state_dict(const StateDict& state) {
    const Tensor& m = state.at("milestones");
    DESCENT_CHECK(m.dim() == 1 && m.dtype() == kInt64, "MultiStepLR.load_state_dict: \"milestones\" must be a 1-D "
                  "int64 tensor, got ", dtype_name(m.dtype()), " ", shape_str(m.shape()));
    LRScheduler::load_state_dict(state);
    options_.milestones = m.to_vector<std::int64_t>();
    std::sort(options_.milestones.begin(), options_.milestones.end());
}

// ---- ExponentialLR ---------------------------------------------------------------------------
ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
    initial_step();
}

std::vector<double> ExponentialLR::get_lr() {
    std::vector<double> lrs = current_lrs();
    if (last_epoch_ == 0) return lrs;
    for (double& lr : lrs) lr = lr * gamma_;
    return lrs;
}

std::vector<double> ExponentialLR::closed_form_lr() {
    std::vector<double> lrs;
    for (double base : base_lrs_) lrs.push_back(base * std::pow(gamma_, static_cast<double>(last_epoch_)));
    return lrs;
}

void ExponentialLR::visit_fields(detail::FieldVisitor& v) { v.field("gamma", gamma_); }

// ---- CosineAnnealingLR -----------------------------------------------------------------------
CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options)
    : LRScheduler(optimizer), options_(options) {
    DESCENT_CHECK(options.T_max > 0, "CosineAnnealingLR: T_max must be a positive number of epochs, got ",
                  options.T_max);
    initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() {
    std::vector<double> lrs = current_lrs();
    const double eta_min = options_.eta_min;
    const double T_max = static_cast<double>(options_.T_max);
    const double e = static_cast<double>(last_epoch_);
    if (last_epoch_ == 0) return lrs;
    if (step_count_ == 1 && last_epoch_ > 0) {
        for (std::size_t g = 0; g < lrs.size(); ++g)
            lrs[g] = eta_min + (base_lrs_[g] - eta_min) * (1.0 + std::cos(e * kPi / T_max)) / 2.0;
        return lrs;
    }
    if ((last_epoch_ - 1 - options_.T_max) % (2 * options_.T_max) == 0) {
        for (std::size_t g = 0; g < lrs.size(); ++g)
            lrs[g] = lrs[g] + (base_lrs_[g] - eta_min) * (1.0 - std::cos(kPi / T_max)) / 2.0;
        return lrs;
    }
    for (double& lr : lrs)
        lr = (1.0 + std::cos(kPi * e / T_max)) / (1.0 + std::cos(kPi * (e - 1.0) / T_max)) * (lr - eta_min) + eta_min;
    return lrs;
}

std::vector<double> CosineAnnealingLR::closed_form_lr() {
    std::vector<double> lrs;
    const double e = static_cast<double>(last_epoch_), T_max = static_cast<double>(options_.T_max);
    for (double base : base_lrs_)
        lrs.push_back(options_.eta_min + (base - options_.eta_min) * (1.0 + std::cos(kPi * e / T_max)) / 2.0);
    return lrs;
}

void CosineAnnealingLR::visit_fields(detail::FieldVisitor& v) {
    v.field("T_max", options_.T_max);
    v.field("eta_min", options_.eta_min);
}

// ---- CosineAnnealingWarmRestarts -------------------------------------------------------------
CosineAnnealingWarmRestarts::CosineAnnealingWarmRestarts(Optimizer& optimizer,
                                                         CosineAnnealingWarmRestartsOptions options)
    : LRScheduler(optimizer), options_(options), T_i_(options.T_0) {
    DESCENT_CHECK(options.T_0 > 0, "CosineAnnealingWarmRestarts: expected positive integer T_0, but got ",
                  options.T_0);
    DESCENT_CHECK(options.T_mult >= 1, "CosineAnnealingWarmRestarts: expected integer T_mult >= 1, but got ",
                  options.T_mult);
    initial_step();
}

std::vector<double> CosineAnnealingWarmRestarts::get_lr() {
    std::vector<double> lrs;
    const double T_cur = static_cast<double>(T_cur_), T_i = static_cast<double>(T_i_);
    for (double base : base_lrs_)
        lrs.push_back(options_.eta_min + (base - options_.eta_min) * (1.0 + std::cos(kPi * T_cur / T_i)) / 2.0);
    return lrs;
}

void CosineAnnealingWarmRestarts::step() {
    // torch's step(): the first call (from the constructor) restarts at epoch 0.
    if (last_epoch_ < 0) {
        step_to(0);
        return;
    }
    T_cur_ += 1;
    if (T_cur_ >= T_i_) {
        T_cur_ -= T_i_;
        T_i_ *= options_.T_mult;
    }
    last_epoch_ += 1;
    apply(get_lr());
}

void CosineAnnealingWarmRestarts::step_to(std::int64_t epoch) {
    DESCENT_CHECK(epoch >= 0, "CosineAnnealingWarmRestarts: expected non-negative epoch, but got ", epoch);
    const std::int64_t T_0 = options_.T_0, T_mult = options_.T_mult;
    if (epoch >= T_0) {
        if (T_mult == 1) {
            T_cur_ = epoch % T_0;
        } else {
            const double x = static_cast<double>(epoch) / static_cast<double>(T_0) * static_cast<double>(T_mult - 1) + 1.0;
            const auto n = static_cast<std::int64_t>(std::log(x) / std::log(static_cast<double>(T_mult)));
            std::int64_t power = 1;
            for (std::int64_t i = 0; i < n; ++i) power *= T_mult;
            T_cur_ = epoch - T_0 * (power - 1) / (T_mult - 1);
            T_i_ = T_0 * power;
        }
    } else {
        T_i_ = T_0;
        T_cur_ = epoch;
    }
    last_epoch_ = epoch;
    apply(get_lr());
}

void CosineAnnealingWarmRestarts::visit_fields(detail::FieldVisitor& v) {
    v.field("T_0", options_.T_0);
    v.field("T_mult", options_.T_mult);
    v.field("eta_min", options_.eta_min);
    v.field("T_i", T_i_);
    v.field("T_cur", T_cur_);
}

// ---- LinearLR --------------------------------------------------------------------------------
LinearLR::LinearLR(Optimizer& optimizer, LinearLROptions options) : LRScheduler(optimizer), options_(options) {
    // torch 1.13 accepts start_factor = 0 and then divides by zero; torch 2.x refuses it, as we do.
    DESCENT_CHECK(options.start_factor > 0.0 && options.start_factor <= 1.0,
                  "LinearLR: start_factor must be in (0, 1], got ", options.start_factor);
    DESCENT_CHECK(options.end_factor >= 0.0 && options.end_factor <= 1.0,
                  "LinearLR: end_factor must be in [0, 1], got ", options.end_factor);
    DESCENT_CHECK(options.total_iters > 0, "LinearLR: total_iters must be positive, got ", options.total_iters);
    initial_step();
}

std::vector<double> LinearLR::get_lr() {
    std::vector<double> lrs = current_lrs();
    const double start = options_.start_factor, end = options_.end_factor;
    if (last_epoch_ == 0) {
        for (double& lr : lrs) lr = lr * start;
        return lrs;
    }
    if (last_epoch_ > options_.total_iters) return lrs;
    const double factor = 1.0 + (end - start) / (static_cast<double>(options_.total_iters) * start +
                                                 static_cast<double>(last_epoch_ - 1) * (end - start));
    for (double& lr : lrs) lr = lr * factor;
    return lrs;
}

std::vector<double> LinearLR::closed_form_lr() {
    const double start = options_.start_factor, end = options_.end_factor;
    const double done = static_cast<double>(std::min(options_.total_iters, last_epoch_));
    std::vector<double> lrs;
    for (double base : base_lrs_)
        lrs.push_back(base * (start + (end - start) * done / static_cast<double>(options_.total_iters)));
    return lrs;
}

void LinearLR::visit_fields(detail::FieldVisitor& v) {
    v.field("start_factor", options_.start_factor);
    v.field("end_factor", options_.end_factor);
    v.field("total_iters", options_.total_iters);
}

// ---- OneCycleLR ------------------------------------------------------------------------------
OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleLROptions options)
    : LRScheduler(optimizer), options_(std::move(options)) {
    const OneCycleLROptions& o = options_;
    if (o.total_steps != 0) {
        DESCENT_CHECK(o.total_steps > 0, "OneCycleLR: expected positive integer total_steps, but got ", o.total_steps);
        total_steps_ = o.total_steps;
    } else {
        DESCENT_CHECK(o.epochs != 0 || o.steps_per_epoch != 0,
                      "OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)");
        DESCENT_CHECK(o.epochs > 0, "OneCycleLR: expected positive integer epochs, but got ", o.epochs);
        DESCENT_CHECK(o.steps_per_epoch > 0, "OneCycleLR: expected positive integer steps_per_epoch, but got ",
                      o.steps_per_epoch);
        total_steps_ = o.epochs * o.steps_per_epoch;
    }
    DESCENT_CHECK(o.pct_start >= 0.0 && o.pct_start <= 1.0, "OneCycleLR: expected float between 0 and 1 pct_start, but got ",
                  o.pct_start);
    const std::size_t groups = optimizer.num_param_groups();
    std::vector<double> max_lrs = o.max_lrs;
    if (max_lrs.empty()) max_lrs.assign(groups, o.max_lr);
    DESCENT_CHECK(max_lrs.size() == groups, "OneCycleLR: expected ", groups, " values for max_lr, got ",
                  max_lrs.size());
    for (double m : max_lrs) DESCENT_CHECK(m > 0.0, "OneCycleLR: max_lr must be positive, got ", m);
    for (std::size_t g = 0; g < groups; ++g) {
        initial_lrs_.push_back(max_lrs[g] / o.div_factor);
        max_lrs_.push_back(max_lrs[g]);
        min_lrs_.push_back(initial_lrs_[g] / o.final_div_factor);
        optimizer.set_initial_lr(g, initial_lrs_[g]);
    }
    base_lrs_ = initial_lrs_;
    if (o.cycle_momentum) {
        DESCENT_CHECK(optimizer.momentum(0).has_value(), "OneCycleLR: optimizer ", optimizer.name(),
                      " must support momentum (or betas) with the cycle_momentum option enabled");
        for (std::size_t g = 0; g < groups; ++g) optimizer.set_momentum(g, o.max_momentum);
    }
    initial_step();
}

std::vector<OneCycleLR::Phase> OneCycleLR::phases() const {
    const double total = static_cast<double>(total_steps_), pct = options_.pct_start;
    if (options_.three_phase)
        return {{pct * total - 1.0, 0, 1, 0, 1}, {2.0 * pct * total - 2.0, 1, 0, 1, 0}, {total - 1.0, 0, 2, 0, 0}};
    return {{pct * total - 1.0, 0, 1, 0, 1}, {total - 1.0, 1, 2, 1, 0}};
}

double OneCycleLR::anneal(double start, double end, double pct) const {
    if (options_.anneal_strategy == AnnealStrategy::Cos) {
        const double cos_out = std::cos(kPi * pct) + 1.0;
        return end + (start - end) / 2.0 * cos_out;
    }
    return (end - start) * pct + start;
}

std::vector<double> OneCycleLR::get_lr() {
    DESCENT_CHECK(last_epoch_ <= total_steps_, "OneCycleLR: tried to step ", last_epoch_ + 1,
                  " times; the specified number of total steps is ", total_steps_);
    const double step_num = static_cast<double>(last_epoch_);
    const std::vector<Phase> ph = phases();
    std::vector<double> lrs;
    for (std::size_t g = 0; g < initial_lrs_.size(); ++g) {
        const double lr_of[3] = {initial_lrs_[g], max_lrs_[g], min_lrs_[g]};
        const double momentum_of[2] = {options_.max_momentum, options_.base_momentum};
        double start_step = 0.0, lr = 0.0, momentum = 0.0;
        for (std::size_t i = 0; i < ph.size(); ++i) {
            if (step_num <= ph[i].end_step || i + 1 == ph.size()) {
                const double pct = (step_num - start_step) / (ph[i].end_step - start_step);
                lr = anneal(lr_of[ph[i].start_lr], lr_of[ph[i].end_lr], pct);
                momentum = anneal(momentum_of[ph[i].start_momentum], momentum_of[ph[i].end_momentum], pct);
                break;
            }
            start_step = ph[i].end_step;
        }
        lrs.push_back(lr);
        if (options_.cycle_momentum) optimizer_->set_momentum(g, momentum);
    }
    return lrs;
}

void OneCycleLR::visit_fields(detail::FieldVisitor& v) {
    v.field("total_steps", total_steps_);
    v.field("pct_start", options_.pct_start);
    bool cos = options_.anneal_strategy == AnnealStrategy::Cos;
    v.field("anneal_cos", cos);
    options_.anneal_strategy = cos ? AnnealStrategy::Cos : AnnealStrategy::Linear;
    v.field("cycle_momentum", options_.cycle_momentum);
    v.field("base_momentum", options_.base_momentum);
    v.field("max_momentum", options_.max_momentum);
    v.field("three_phase", options_.three_phase);
}

StateDict OneCycleLR::state_dict() const {
    StateDict out = LRScheduler::state_dict();
    out.insert("initial_lrs", vector_tensor(initial_lrs_));
    out.insert("max_lrs", vector_tensor(max_lrs_));
    out.insert("min_lrs", vector_tensor(min_lrs_));
    return out;
}

void OneCycleLR::load_state_dict(const StateDict& state) {
    const std::size_t groups = optimizer_->num_param_groups();
    auto initial = read_vector(state, "initial_lrs", groups, name());
    auto max = read_vector(state, "max_lrs", groups, name());
    auto min = read_vector(state, "min_lrs", groups, name());
    LRScheduler::load_state_dict(state);
    initial_lrs_ = std::move(initial);
    max_lrs_ = std::move(max);
    min_lrs_ = std::move(min);
}

// ---- SequentialLR ----------------------------------------------------------------------------
SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<std::int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
    DESCENT_CHECK(!schedulers_.empty(), "SequentialLR: expects at least one scheduler");
    for (std::size_t i = 0; i < schedulers_.size(); ++i) {
        DESCENT_CHECK(schedulers_[i] != nullptr, "SequentialLR: scheduler ", i, " is null");
        DESCENT_CHECK(&schedulers_[i]->optimizer() == &optimizer,
                      "SequentialLR: expects all schedulers to belong to the same optimizer, but got scheduler at "
                      "index ", i, " to be different than the optimizer passed in");
    }
    DESCENT_CHECK(milestones_.size() + 1 == schedulers_.size(),
                  "SequentialLR: expects number of schedulers provided to be one more than the number of milestone "
                  "points, but got number of schedulers ", schedulers_.size(), " and the number of milestones ",
                  milestones_.size());
    DESCENT_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()), "SequentialLR: milestones must be increasing");
    // torch's constructor: rewind every scheduler by one epoch, reset the lrs to the
    // initial ones and replay the first scheduler's step 0.
    last_epoch_ = 0;
    for (std::size_t g = 0; g < optimizer.num_param_groups(); ++g) optimizer.set_lr(g, *optimizer.initial_lr(g));
    for (auto& s : schedulers_) s->last_epoch_ -= 1;
    schedulers_[0]->initial_step();
    last_lr_ = schedulers_[0]->last_lr_;
}

void SequentialLR::step() {
    ++last_epoch_;
    const std::size_t idx = static_cast<std::size_t>(
        std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin());
    LRScheduler& s = *schedulers_[idx];
    if (idx > 0 && milestones_[idx - 1] == last_epoch_)
        s.step_to(0);
    else
        s.step();
    last_lr_ = s.last_lr_;
}

StateDict SequentialLR::state_dict() const {
    StateDict out = LRScheduler::state_dict();
    out.insert("milestones", int_vector_tensor(milestones_));
    for (std::size_t i = 0; i < schedulers_.size(); ++i)
        out.merge(schedulers_[i]->state_dict(), "schedulers." + std::to_string(i) + ".");
    return out;
}

void SequentialLR::load_state_dict(const StateDict& state) {
    std::vector<StateDict> backups;
    for (auto& s : schedulers_) backups.push_back(s->state_dict());
    const StateDict own = LRScheduler::state_dict();
    try {
        LRScheduler::load_state_dict(state);
        milestones_ = state.at("milestones").to_vector<std::int64_t>();
        DESCENT_CHECK(milestones_.size() + 1 == schedulers_.size(), "SequentialLR.load_state_dict: ",
                      milestones_.size(), " milestones for ", schedulers_.size(), " schedulers");
        for (std::size_t i = 0; i < schedulers_.size(); ++i)
            schedulers_[i]->load_state_dict(state.with_prefix_removed("schedulers." + std::to_string(i) + "."));
    } catch (...) {
        LRScheduler::load_state_dict(own);
        milestones_ = own.at("milestones").to_vector<std::int64_t>();
        for (std::size_t i = 0; i < schedulers_.size(); ++i) schedulers_[i]->load_state_dict(backups[i]);
        throw;
    }
}

// ---- ReduceLROnPlateau -----------------------------------------------------------------------
ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(&optimizer), options_(std::move(options)) {
    DESCENT_CHECK(options_.factor < 1.0, "ReduceLROnPlateau: factor should be < 1.0, got ", options_.factor);
    const std::size_t groups = optimizer.num_param_groups();
    if (options_.min_lrs.empty()) options_.min_lrs.assign(groups, options_.min_lr);
    DESCENT_CHECK(options_.min_lrs.size() == groups, "ReduceLROnPlateau: expected ", groups, " min_lrs, got ",
                  options_.min_lrs.size());
    best_ = options_.mode == PlateauMode::Min ? std::numeric_limits<double>::infinity()
                                              : -std::numeric_limits<double>::infinity();
    for (std::size_t g = 0; g < groups; ++g) last_lr_.push_back(optimizer.lr(g));
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
    const bool rel = options_.threshold_mode == ThresholdMode::Rel;
    if (options_.mode == PlateauMode::Min) return rel ? a < best * (1.0 - options_.threshold) : a < best - options_.threshold;
    return rel ? a > best * (options_.threshold + 1.0) : a > best + options_.threshold;
}

void ReduceLROnPlateau::step(double metric) {
    last_epoch_ += 1;
    if (is_better(metric, best_)) {
        best_ = metric;
        num_bad_epochs_ = 0;
    } else {
        num_bad_epochs_ += 1;
    }
    if (cooldown_counter_ > 0) {
        cooldown_counter_ -= 1;
        num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
    }
    if (num_bad_epochs_ > options_.patience) {
        for (std::size_t g = 0; g < optimizer_->num_param_groups(); ++g) {
            const double old_lr = optimizer_->lr(g);
            const double new_lr = std::max(old_lr * options_.factor, options_.min_lrs[g]);
            if (old_lr - new_lr > options_.eps) optimizer_->set_lr(g, new_lr);
        }
        cooldown_counter_ = options_.cooldown;
        num_bad_epochs_ = 0;
    }
    last_lr_.clear();
    for (std::size_t g = 0; g < optimizer_->num_param_groups(); ++g) last_lr_.push_back(optimizer_->lr(g));
}

void ReduceLROnPlateau::visit_fields(detail::FieldVisitor& v) {
    bool max_mode = options_.mode == PlateauMode::Max, abs_mode = options_.threshold_mode == ThresholdMode::Abs;
    v.field("mode_max", max_mode);
    v.field("threshold_abs", abs_mode);
    options_.mode = max_mode ? PlateauMode::Max : PlateauMode::Min;
    options_.threshold_mode = abs_mode ? ThresholdMode::Abs : ThresholdMode::Rel;
    v.field("factor", options_.factor);
    v.field("patience", options_.patience);
    v.field("threshold", options_.threshold);
    v.field("cooldown", options_.cooldown);
    v.field("eps", options_.eps);
    v.field("best", best_);
    v.field("num_bad_epochs", num_bad_epochs_);
    v.field("cooldown_counter", cooldown_counter_);
    v.field("last_epoch", last_epoch_);
}

StateDict ReduceLROnPlateau::state_dict() const {
    StateDict out;
    detail::FieldSaver saver(out, "");
    const_cast<ReduceLROnPlateau*>(this)->visit_fields(saver);  // the saver only reads
    out.insert("min_lrs", vector_tensor(options_.min_lrs));
    out.insert("last_lr", vector_tensor(last_lr_));
    return out;
}

void ReduceLROnPlateau::load_state_dict(const StateDict& state) {
    const std::size_t groups = optimizer_->num_param_groups();
    auto min_lrs = read_vector(state, "min_lrs", groups, "ReduceLROnPlateau");
    auto last_lr = read_vector(state, "last_lr", groups, "ReduceLROnPlateau");
    const StateDict backup = state_dict();
    try {
        detail::FieldLoader loader(state, "");
        visit_fields(loader);
    } catch (...) {
        detail::FieldLoader restore(backup, "");
        visit_fields(restore);
        throw;
    }
    options_.min_lrs = std::move(min_lrs);
    last_lr_ = std::move(last_lr);
}

}  // namespace descent::optim
