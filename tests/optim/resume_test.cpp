// Exact resume: 50 steps straight equal 25 steps, a state_dict saved, a fresh
// model and optimizer (and scheduler) loaded from it, and 25 more steps — bit for
// bit, for every golden configuration, in float32 and float64, and with schedulers.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "descent/optim/lr_scheduler.hpp"
#include "optim_test_util.hpp"

namespace {
using namespace optim_test;
using descent::DType;
using descent::StateDict;

// A deep copy, as a checkpoint on disk would be: later steps cannot reach it.
StateDict snapshot(const StateDict& state) {
    StateDict out;
    for (const auto& [name, t] : state) out.insert(name, t.clone());
    return out;
}

bool same_bits(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
    const Tensor x = a.contiguous(), y = b.contiguous();
    return std::memcmp(x.impl()->storage->data, y.impl()->storage->data,
                       static_cast<std::size_t>(x.numel()) * descent::itemsize(x.dtype())) == 0 &&
           x.storage_offset() == 0 && y.storage_offset() == 0;
}

std::vector<Tensor> copy_params(const std::vector<Tensor>& params) {
    std::vector<Tensor> out;
    for (const Tensor& p : params) out.push_back(p.detach().clone());
    return out;
}

class Resume : public ::testing::Test {
protected:
    static void SetUpTestSuite() { problem_ = new Problem(); }
    static void TearDownTestSuite() { delete problem_; }
    static Problem* problem_;
};
Problem* Resume::problem_ = nullptr;

TEST_F(Resume, EveryOptimizerIsBitExact) {
    for (const json& config : problem_->doc["configs"])
        for (DType dtype : {descent::kFloat32, descent::kFloat64}) {
            SCOPED_TRACE(config["name"].get<std::string>() + (dtype == descent::kFloat32 ? " float32" : " float64"));
            // 50 steps straight.
            std::vector<Tensor> straight = problem_->params(dtype);
            auto opt = make_optimizer(config, straight);
            std::vector<double> losses;
            for (int s = 0; s < 50; ++s) losses.push_back(train_step(*problem_, *opt, straight, dtype));

            // 25 steps, then a checkpoint of the parameters and the optimizer.
            std::vector<Tensor> first = problem_->params(dtype);
            auto opt_first = make_optimizer(config, first);
            for (int s = 0; s < 25; ++s) ASSERT_EQ(train_step(*problem_, *opt_first, first, dtype), losses[s]);
            const StateDict saved = snapshot(opt_first->state_dict());
            const std::vector<Tensor> saved_params = copy_params(first);
            opt_first.reset();

            // A fresh model and optimizer loaded from it, 25 more steps.
            std::vector<Tensor> resumed = problem_->params(dtype);
            auto opt_resumed = make_optimizer(config, resumed);
            {
                descent::NoGradGuard guard;
                for (std::size_t i = 0; i < resumed.size(); ++i) resumed[i].copy_(saved_params[i]);
            }
            opt_resumed->load_state_dict(saved);
            for (int s = 25; s < 50; ++s) {
                const double loss = train_step(*problem_, *opt_resumed, resumed, dtype);
                ASSERT_EQ(std::memcmp(&loss, &losses[s], sizeof loss), 0) << "loss differs at step " << s;
            }
            for (std::size_t i = 0; i < straight.size(); ++i)
                EXPECT_TRUE(same_bits(straight[i], resumed[i])) << "parameter " << i << " differs after resume";
        }
}

// A scheduler factory: builds the scheduler(s) for an optimizer and returns a stepper
// plus accessors for its state.
struct Scheduled {
    std::function<void(double loss)> step;
    std::function<StateDict()> state_dict;
    std::function<void(const StateDict&)> load_state_dict;
    std::vector<std::shared_ptr<void>> keep;
};

Scheduled warmup_cosine(optim::Optimizer& opt) {
    auto warm = std::make_shared<optim::LinearLR>(opt, optim::LinearLROptions{.start_factor = 0.1, .total_iters = 10});
    auto cos = std::make_shared<optim::CosineAnnealingLR>(opt, optim::CosineAnnealingLROptions{.T_max = 40, .eta_min = 1e-3});
    auto seq = std::make_shared<optim::SequentialLR>(opt, std::vector<std::shared_ptr<optim::LRScheduler>>{warm, cos},
                                                     std::vector<std::int64_t>{10});
    return {[seq](double) { seq->step(); }, [seq] { return seq->state_dict(); },
            [seq](const StateDict& s) { seq->load_state_dict(s); }, {seq}};
}

Scheduled one_cycle(optim::Optimizer& opt) {
    auto s = std::make_shared<optim::OneCycleLR>(opt, optim::OneCycleLROptions{.max_lr = 0.05, .total_steps = 50});
    return {[s](double) { s->step(); }, [s] { return s->state_dict(); },
            [s](const StateDict& d) { s->load_state_dict(d); }, {s}};
}

Scheduled plateau(optim::Optimizer& opt) {
    auto s = std::make_shared<optim::ReduceLROnPlateau>(
        opt, optim::ReduceLROnPlateauOptions{.factor = 0.5, .patience = 1, .threshold = 0.05, .cooldown = 1});
    return {[s](double loss) { s->step(loss); }, [s] { return s->state_dict(); },
            [s](const StateDict& d) { s->load_state_dict(d); }, {s}};
}

Scheduled warm_restarts(optim::Optimizer& opt) {
    auto s = std::make_shared<optim::CosineAnnealingWarmRestarts>(
        opt, optim::CosineAnnealingWarmRestartsOptions{.T_0 = 7, .T_mult = 2, .eta_min = 1e-4});
    return {[s](double) { s->step(); }, [s] { return s->state_dict(); },
            [s](const StateDict& d) { s->load_state_dict(d); }, {s}};
}

TEST_F(Resume, WithSchedulersIsBitExact) {
    struct Case {
        const char* name;
        json config;
        std::function<Scheduled(optim::Optimizer&)> make;
    };
    const json sgd = {{"name", "sgd"}, {"optimizer", "SGD"},
                      {"groups", {{{"params", {0, 1, 2, 3}}, {"options", {{"lr", 0.1}, {"momentum", 0.9}}}}}}};
    const json adam = {{"name", "adam"}, {"optimizer", "Adam"},
                       {"groups", {{{"params", {0, 1}}, {"options", {{"lr", 0.01}}}},
                                   {{"params", {2, 3}}, {"options", {{"lr", 0.005}, {"amsgrad", true}}}}}}};
    const json rmsprop = {{"name", "rmsprop"}, {"optimizer", "RMSprop"},
                          {"groups", {{{"params", {0, 1, 2, 3}}, {"options", {{"lr", 0.01}, {"momentum", 0.5}}}}}}};
    const std::vector<Case> cases = {{"SGD + SequentialLR(LinearLR, CosineAnnealingLR)", sgd, warmup_cosine},
                                     {"Adam (two groups) + OneCycleLR", adam, one_cycle},
                                     {"RMSprop + ReduceLROnPlateau", rmsprop, plateau},
                                     {"SGD + CosineAnnealingWarmRestarts", sgd, warm_restarts}};
    for (const Case& c : cases)
        for (DType dtype : {descent::kFloat32, descent::kFloat64}) {
            SCOPED_TRACE(c.name);
            std::vector<Tensor> straight = problem_->params(dtype);
            auto opt = make_optimizer(c.config, straight);
            Scheduled sched = c.make(*opt);
            std::vector<double> losses, lrs;
            for (int s = 0; s < 50; ++s) {
                losses.push_back(train_step(*problem_, *opt, straight, dtype));
                sched.step(losses.back());
                lrs.push_back(opt->lr(0));
            }

            std::vector<Tensor> first = problem_->params(dtype);
            auto opt_first = make_optimizer(c.config, first);
            Scheduled sched_first = c.make(*opt_first);
            for (int s = 0; s < 25; ++s) sched_first.step(train_step(*problem_, *opt_first, first, dtype));
            const StateDict saved_opt = snapshot(opt_first->state_dict());
            const StateDict saved_sched = snapshot(sched_first.state_dict());
            const std::vector<Tensor> saved_params = copy_params(first);

            // As after a restart: build everything as at the start, then load.
            std::vector<Tensor> resumed = problem_->params(dtype);
            auto opt_resumed = make_optimizer(c.config, resumed);
            Scheduled sched_resumed = c.make(*opt_resumed);
            {
                descent::NoGradGuard guard;
                for (std::size_t i = 0; i < resumed.size(); ++i) resumed[i].copy_(saved_params[i]);
            }
            opt_resumed->load_state_dict(saved_opt);
            sched_resumed.load_state_dict(saved_sched);
            for (int s = 25; s < 50; ++s) {
                const double loss = train_step(*problem_, *opt_resumed, resumed, dtype);
                ASSERT_EQ(std::memcmp(&loss, &losses[s], sizeof loss), 0) << "loss differs at step " << s;
                sched_resumed.step(loss);
                ASSERT_EQ(opt_resumed->lr(0), lrs[s]) << "lr differs at step " << s;
            }
            for (std::size_t i = 0; i < straight.size(); ++i)
                EXPECT_TRUE(same_bits(straight[i], resumed[i])) << "parameter " << i << " differs after resume";
        }
}

}  // namespace
