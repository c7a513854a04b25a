// LR schedulers against torch 1.13: the lr of two parameter groups over 100 epochs
// (and the momentum OneCycleLR cycles), plus validation and state round trips.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "descent/optim/lr_scheduler.hpp"
#include "optim_test_util.hpp"

namespace {
using namespace optim_test;

struct Rig {
    std::vector<Tensor> params = {Tensor::zeros({2}, {.requires_grad = true}),
                                  Tensor::zeros({3}, {.requires_grad = true})};
    std::unique_ptr<optim::Optimizer> opt;
    explicit Rig(const std::string& kind) {
        if (kind == "SGD") {
            opt = std::make_unique<optim::SGD>(std::vector<optim::ParamGroup<optim::SGDOptions>>{
                {{params[0]}, {.lr = 0.1, .momentum = 0.9}}, {{params[1]}, {.lr = 0.05, .momentum = 0.9}}});
        } else {
            opt = std::make_unique<optim::Adam>(std::vector<optim::ParamGroup<optim::AdamOptions>>{
                {{params[0]}, {.lr = 0.1}}, {{params[1]}, {.lr = 0.05}}});
        }
    }
};

std::shared_ptr<optim::LRScheduler> make_scheduler(const std::string& kind, const json& a, optim::Optimizer& opt) {
    if (kind == "StepLR")
        return std::make_shared<optim::StepLR>(opt, optim::StepLROptions{a["step_size"], a.value("gamma", 0.1)});
    if (kind == "MultiStepLR")
        return std::make_shared<optim::MultiStepLR>(
            opt, optim::MultiStepLROptions{a["milestones"].get<std::vector<std::int64_t>>(), a.value("gamma", 0.1)});
    if (kind == "ExponentialLR") return std::make_shared<optim::ExponentialLR>(opt, a["gamma"].get<double>());
    if (kind == "CosineAnnealingLR")
        return std::make_shared<optim::CosineAnnealingLR>(
            opt, optim::CosineAnnealingLROptions{a["T_max"], a.value("eta_min", 0.0)});
    if (kind == "CosineAnnealingWarmRestarts")
        return std::make_shared<optim::CosineAnnealingWarmRestarts>(
            opt, optim::CosineAnnealingWarmRestartsOptions{a["T_0"], a.value("T_mult", 1), a.value("eta_min", 0.0)});
    if (kind == "LinearLR") {
        optim::LinearLROptions o;
        read(a, "start_factor", o.start_factor), read(a, "end_factor", o.end_factor), read(a, "total_iters", o.total_iters);
        return std::make_shared<optim::LinearLR>(opt, o);
    }
    if (kind == "OneCycleLR") {
        optim::OneCycleLROptions o;
        if (a["max_lr"].is_array()) o.max_lrs = a["max_lr"].get<std::vector<double>>();
        else o.max_lr = a["max_lr"];
        read(a, "total_steps", o.total_steps), read(a, "epochs", o.epochs), read(a, "steps_per_epoch", o.steps_per_epoch);
        read(a, "pct_start", o.pct_start), read(a, "cycle_momentum", o.cycle_momentum);
        read(a, "base_momentum", o.base_momentum), read(a, "max_momentum", o.max_momentum);
        read(a, "div_factor", o.div_factor), read(a, "final_div_factor", o.final_div_factor);
        read(a, "three_phase", o.three_phase);
        if (a.value("anneal_strategy", std::string("cos")) == "linear") o.anneal_strategy = optim::AnnealStrategy::Linear;
        return std::make_shared<optim::OneCycleLR>(opt, o);
    }
    if (kind == "SequentialLR") {
        std::vector<std::shared_ptr<optim::LRScheduler>> subs;
        for (const json& s : a["schedulers"]) subs.push_back(make_scheduler(s["scheduler"], s["args"], opt));
        return std::make_shared<optim::SequentialLR>(opt, subs, a["milestones"].get<std::vector<std::int64_t>>());
    }
    throw std::runtime_error("unknown scheduler " + kind);
}

optim::ReduceLROnPlateauOptions plateau_options(const json& a) {
    optim::ReduceLROnPlateauOptions o;
    if (a.value("mode", std::string("min")) == "max") o.mode = optim::PlateauMode::Max;
    if (a.value("threshold_mode", std::string("rel")) == "abs") o.threshold_mode = optim::ThresholdMode::Abs;
    read(a, "factor", o.factor), read(a, "patience", o.patience), read(a, "threshold", o.threshold);
    read(a, "cooldown", o.cooldown), read(a, "eps", o.eps);
    if (a.contains("min_lr")) {
        if (a["min_lr"].is_array()) o.min_lrs = a["min_lr"].get<std::vector<double>>();
        else o.min_lr = a["min_lr"];
    }
    return o;
}

// |ours - torch| / |torch|; an lr of exactly 0 must be matched exactly.
double rel(double ours, double theirs) {
    if (theirs == 0.0) return ours == 0.0 ? 0.0 : INFINITY;
    return std::abs(ours - theirs) / std::abs(theirs);
}

TEST(Schedulers, MatchTorchOver100Epochs) {
    // Same formulas evaluated in the same order in double: differences come only from
    // libm, which is shared; 1e-12 is the bound.
    constexpr double kTol = 1e-12;
    const json doc = read_json("schedulers.json");
    std::set<std::string> seen;
    double worst = 0.0;
    for (const json& c : doc["cases"]) {
        const std::string name = c["name"], kind = c["scheduler"];
        SCOPED_TRACE(name);
        seen.insert(kind);
        Rig s(c["optimizer"]);
        std::shared_ptr<optim::LRScheduler> sched;
        std::unique_ptr<optim::ReduceLROnPlateau> plateau;
        if (kind == "ReduceLROnPlateau") plateau = std::make_unique<optim::ReduceLROnPlateau>(*s.opt, plateau_options(c["args"]));
        else sched = make_scheduler(kind, c["args"], *s.opt);
        const auto& lrs = c["lrs"];
        for (std::size_t e = 0; e < lrs.size(); ++e) {
            for (std::size_t g = 0; g < 2; ++g) {
                const double dev = rel(s.opt->lr(g), lrs[e][g].get<double>());
                worst = std::max(worst, dev);
                ASSERT_LE(dev, kTol) << "epoch " << e << " group " << g << ": " << s.opt->lr(g) << " vs " << lrs[e][g];
                if (c.contains("momenta")) {
                    const double mdev = rel(*s.opt->momentum(g), c["momenta"][e][g].get<double>());
                    worst = std::max(worst, mdev);
                    ASSERT_LE(mdev, kTol) << "momentum at epoch " << e << " group " << g;
                }
            }
            if (plateau) plateau->step(c["args"]["metrics"][e].get<double>());
            else sched->step();
        }
    }
    for (const char* kind : {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
                             "LinearLR", "OneCycleLR", "SequentialLR", "ReduceLROnPlateau"})
        EXPECT_TRUE(seen.count(kind)) << kind << " has no golden case";
    std::cout << "largest relative lr/momentum deviation from torch over 100 epochs: " << worst << "\n";
}

TEST(Schedulers, GetLastLrAndBaseLrs) {
    Rig s("SGD");
    optim::StepLR sched(*s.opt, {.step_size = 2, .gamma = 0.5});
    EXPECT_EQ(sched.base_lrs(), (std::vector<double>{0.1, 0.05}));
    EXPECT_EQ(sched.last_epoch(), 0);
    for (int i = 0; i < 4; ++i) sched.step();
    EXPECT_EQ(sched.last_epoch(), 4);
    EXPECT_EQ(sched.get_last_lr(), (std::vector<double>{0.1 * 0.5 * 0.5, 0.05 * 0.5 * 0.5}));
    EXPECT_EQ(s.opt->lr(1), 0.05 * 0.5 * 0.5);
    // The first scheduler recorded the initial lrs in the optimizer (torch's initial_lr).
    EXPECT_EQ(s.opt->initial_lr(0), 0.1);
    EXPECT_TRUE(s.opt->state_dict().contains("param_groups.1.initial_lr"));
}

TEST(Schedulers, InvalidOptionsAreClearErrors) {
    Rig s("SGD");
    EXPECT_THROW(optim::StepLR(*s.opt, {.step_size = 0}), descent::Error);
    EXPECT_THROW(optim::CosineAnnealingLR(*s.opt, {.T_max = -1}), descent::Error);
    EXPECT_THROW(optim::CosineAnnealingWarmRestarts(*s.opt, {.T_0 = 0}), descent::Error);
    EXPECT_THROW(optim::CosineAnnealingWarmRestarts(*s.opt, {.T_0 = 3, .T_mult = 0}), descent::Error);
    EXPECT_THROW(optim::LinearLR(*s.opt, {.start_factor = 1.5}), descent::Error);
    EXPECT_THROW(optim::LinearLR(*s.opt, {.start_factor = 0.0}), descent::Error);
    EXPECT_THROW(optim::OneCycleLR(*s.opt, {.max_lr = 0.1}), descent::Error);  // no total_steps
    EXPECT_THROW(optim::OneCycleLR(*s.opt, {.max_lr = 0.1, .total_steps = 10, .pct_start = 1.5}), descent::Error);
    EXPECT_THROW(optim::OneCycleLR(*s.opt, {.max_lrs = {0.1}, .total_steps = 10}), descent::Error);  // 2 groups
    EXPECT_THROW(optim::ReduceLROnPlateau(*s.opt, {.factor = 1.0}), descent::Error);
    try {
        optim::StepLR(*s.opt, {.step_size = -3});
        FAIL() << "expected an error";
    } catch (const descent::Error& e) {
        EXPECT_NE(std::string(e.what()).find("-3"), std::string::npos) << e.what();
    }
    // Momentum cycling needs an optimizer with momentum or betas.
    std::vector<Tensor> p = {Tensor::zeros({2}, {.requires_grad = true})};
    optim::Adagrad adagrad(p, {.lr = 0.1});
    EXPECT_THROW(optim::OneCycleLR(adagrad, {.max_lr = 0.1, .total_steps = 10}), descent::Error);
    EXPECT_NO_THROW(optim::OneCycleLR(adagrad, {.max_lr = 0.1, .total_steps = 10, .cycle_momentum = false}));
    // SequentialLR: one milestone fewer than schedulers, all on the same optimizer.
    auto a = std::make_shared<optim::ExponentialLR>(*s.opt, 0.9);
    auto b = std::make_shared<optim::ExponentialLR>(*s.opt, 0.8);
    EXPECT_THROW(optim::SequentialLR(*s.opt, {a, b}, {}), descent::Error);
    EXPECT_THROW(optim::SequentialLR(adagrad, {a, b}, {3}), descent::Error);
}

TEST(Schedulers, OneCycleRefusesToStepPastTotalSteps) {
    Rig s("SGD");
    optim::OneCycleLR sched(*s.opt, {.max_lr = 0.1, .total_steps = 5});
    for (int i = 0; i < 5; ++i) sched.step();
    EXPECT_THROW(sched.step(), descent::Error);
}

TEST(Schedulers, StateDictRoundTripContinuesTheSchedule) {
    // Continue a schedule from a state dict in a fresh optimizer + scheduler pair and
    // compare with the uninterrupted one.
    auto run = [](int split) {
        Rig s("SGD");
        auto warm = std::make_shared<optim::LinearLR>(*s.opt, optim::LinearLROptions{.start_factor = 0.2, .total_iters = 4});
        auto restarts = std::make_shared<optim::CosineAnnealingWarmRestarts>(
            *s.opt, optim::CosineAnnealingWarmRestartsOptions{.T_0 = 5, .T_mult = 2});
        optim::SequentialLR seq(*s.opt, {warm, restarts}, {4});
        std::vector<double> lrs;
        for (int e = 0; e < split; ++e) seq.step();
        const descent::StateDict opt_state = s.opt->state_dict(), sched_state = seq.state_dict();
        Rig fresh("SGD");
        auto warm2 = std::make_shared<optim::LinearLR>(*fresh.opt, optim::LinearLROptions{.start_factor = 0.2, .total_iters = 4});
        auto restarts2 = std::make_shared<optim::CosineAnnealingWarmRestarts>(
            *fresh.opt, optim::CosineAnnealingWarmRestartsOptions{.T_0 = 5, .T_mult = 2});
        optim::SequentialLR seq2(*fresh.opt, {warm2, restarts2}, {4});
        fresh.opt->load_state_dict(opt_state);
        seq2.load_state_dict(sched_state);
        for (int e = split; e < 40; ++e) {
            seq2.step();
            lrs.push_back(fresh.opt->lr(0));
        }
        return lrs;
    };
    const std::vector<double> straight = run(0);
    for (int split : {1, 3, 4, 9, 20}) {
        const std::vector<double> resumed = run(split);
        ASSERT_EQ(resumed.size() + split, straight.size());
        for (std::size_t i = 0; i < resumed.size(); ++i) EXPECT_EQ(resumed[i], straight[i + split]) << "split " << split;
    }
}

TEST(Schedulers, BadStateDictLeavesSchedulerUnchanged) {
    Rig s("SGD");
    optim::StepLR sched(*s.opt, {.step_size = 3, .gamma = 0.5});
    sched.step();
    descent::StateDict bad = sched.state_dict();
    bad.insert("base_lrs", Tensor::from({1.0, 2.0, 3.0}));  // three groups for two
    EXPECT_THROW(sched.load_state_dict(bad), descent::Error);
    EXPECT_EQ(sched.last_epoch(), 1);
    EXPECT_EQ(sched.base_lrs(), (std::vector<double>{0.1, 0.05}));
}

}  // namespace
