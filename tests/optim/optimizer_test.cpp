// The optimizer base: option validation, parameter groups, zero_grad, skipping
// parameters without gradients, state_dict layout and load_state_dict checks.
#include <gtest/gtest.h>

#include "optim_test_util.hpp"

namespace {
using namespace optim_test;

std::vector<Tensor> two_params(descent::DType dtype = descent::kFloat32) {
    return {Tensor::from({1.0, -2.0}).to(dtype).requires_grad_(true),
            Tensor::from({0.5, 0.25, -1.0}).to(dtype).requires_grad_(true)};
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const descent::Error& e) {
        return e.what();
    }
    return "";
}

TEST(Optimizer, InvalidOptionsAreClearErrorsAtConstruction) {
    auto p = two_params();
    EXPECT_NE(error_of([&] { optim::SGD(p, {.lr = -0.1}); }).find("-0.1"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::SGD(p, {.lr = 0.1, .nesterov = true}); }).find("Nesterov"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::SGD(p, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); })
                  .find("dampening"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::Adam(p, {.betas = {1.0, 0.999}}); }).find("index 0"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::AdamW(p, {.betas = {0.9, -0.1}}); }).find("index 1"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::Adam(p, {.eps = -1e-8}); }).find("epsilon"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::RMSprop(p, {.alpha = -0.5}); }).find("alpha"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::Adagrad(p, {.lr_decay = -1}); }).find("lr_decay"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::Adagrad(p, {.initial_accumulator_value = -1}); }).find("initial_accumulator"),
              std::string::npos);
    EXPECT_NE(error_of([&] { optim::Adadelta(p, {.rho = 1.5}); }).find("rho"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::Adamax(p, {.weight_decay = -1}); }).find("weight_decay"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::NAdam(p, {.momentum_decay = -1}); }).find("momentum_decay"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::RAdam(p, {.betas = {0.9, 1.0}}); }).find("beta"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::SGD(p, {.lr = std::nan("")}); }).find("learning rate"), std::string::npos);
}

TEST(Optimizer, InvalidParametersAreClearErrors) {
    EXPECT_NE(error_of([] { optim::SGD(std::vector<Tensor>{}, {.lr = 0.1}); }).find("empty parameter list"),
              std::string::npos);
    Tensor leaf = Tensor::ones({3}, {.requires_grad = true});
    Tensor non_leaf = leaf * 2.0;
    EXPECT_NE(error_of([&] { optim::SGD({non_leaf}, {.lr = 0.1}); }).find("non-leaf"), std::string::npos);
    EXPECT_NE(error_of([&] { optim::SGD({Tensor::zeros({2}, {.dtype = descent::kInt64})}, {.lr = 0.1}); }).find("int64"),
              std::string::npos);
    EXPECT_NE(error_of([&] { optim::SGD({leaf, leaf}, {.lr = 0.1}); }).find("twice"), std::string::npos);
    EXPECT_NE(error_of([&] {
                  optim::SGD opt({leaf}, {.lr = 0.1});
                  opt.add_param_group({leaf}, {.lr = 0.2});
              }).find("more than one parameter group"),
              std::string::npos);
    Tensor matrix = Tensor::ones({2, 3});
    Tensor transposed = matrix.t().detach();  // a non-contiguous leaf
    EXPECT_NE(error_of([&] { optim::SGD({transposed}, {.lr = 0.1}); }).find("contiguous"), std::string::npos);
}

TEST(Optimizer, ZeroGradAndSkipsParametersWithoutGradient) {
    auto p = two_params();
    optim::SGD opt(p, {.lr = 0.5});
    p[0].set_grad(Tensor::from({1.f, 1.f}));
    opt.step();  // p[1] has no gradient: untouched, no state
    EXPECT_EQ(p[0].to_vector<float>(), (std::vector<float>{0.5f, -2.5f}));
    EXPECT_EQ(p[1].to_vector<float>(), (std::vector<float>{0.5f, 0.25f, -1.f}));
    EXPECT_NE(opt.state(0, 0), nullptr);
    EXPECT_EQ(opt.state(0, 1), nullptr);
    opt.zero_grad(/*set_to_none=*/false);
    EXPECT_EQ(p[0].grad().to_vector<float>(), (std::vector<float>{0.f, 0.f}));
    opt.zero_grad();
    EXPECT_FALSE(p[0].grad().defined());
}

TEST(Optimizer, StepBumpsTheVersionCounter) {
    // A graph that saved a parameter must notice the optimizer changed it.
    Tensor w = Tensor::from({2.f}).requires_grad_(true);
    optim::SGD opt({w}, {.lr = 0.1});
    Tensor y = w * w;
    w.set_grad(Tensor::from({1.f}));
    opt.step();
    EXPECT_THROW(y.backward(), descent::Error);
}

TEST(Optimizer, ParameterGroupsHaveTheirOwnOptions) {
    auto p = two_params();
    optim::SGD opt({{{p[0]}, {.lr = 1.0}}, {{p[1]}, {.lr = 0.1, .momentum = 0.9}}});
    ASSERT_EQ(opt.num_param_groups(), 2u);
    p[0].set_grad(Tensor::from({1.f, 1.f}));
    p[1].set_grad(Tensor::from({1.f, 1.f, 1.f}));
    opt.step();
    EXPECT_EQ(p[0].to_vector<float>(), (std::vector<float>{0.f, -3.f}));
    EXPECT_FLOAT_EQ(p[1].to_vector<float>()[0], 0.4f);
    opt.set_lr(0, 0.5);
    EXPECT_EQ(opt.lr(0), 0.5);
    EXPECT_EQ(opt.options(1).momentum, 0.9);
    EXPECT_THROW(opt.lr(2), descent::Error);
    Tensor extra = Tensor::zeros({1}, {.requires_grad = true});
    opt.add_param_group({extra}, {.lr = 0.01});
    EXPECT_EQ(opt.num_param_groups(), 3u);
    EXPECT_EQ(opt.all_params().size(), 3u);
}

TEST(Optimizer, StateDictLayout) {
    auto p = two_params();
    optim::Adam opt(p, {.lr = 0.01, .betas = {0.8, 0.9}, .amsgrad = true});
    p[1].set_grad(Tensor::from({1.f, 2.f, 3.f}));
    opt.step();
    const descent::StateDict s = opt.state_dict();
    EXPECT_EQ(s.at("param_groups.0.lr").item(), 0.01);
    EXPECT_EQ(s.at("param_groups.0.lr").dim(), 0);
    EXPECT_EQ(s.at("param_groups.0.lr").dtype(), descent::kFloat64);
    EXPECT_EQ(s.at("param_groups.0.betas").to_vector<double>(), (std::vector<double>{0.8, 0.9}));
    EXPECT_EQ(s.at("param_groups.0.amsgrad").dtype(), descent::kBool);
    EXPECT_EQ(s.at("param_groups.0.params").to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1}));
    EXPECT_FALSE(s.contains("state.0.step"));  // no gradient yet, no state
    EXPECT_EQ(s.at("state.1.step").dtype(), descent::kInt64);
    EXPECT_EQ(s.at("state.1.step").item(), 1.0);
    EXPECT_EQ(s.at("state.1.exp_avg").shape(), (descent::Shape{3}));
    EXPECT_TRUE(s.contains("state.1.max_exp_avg_sq"));
}

TEST(Optimizer, LoadStateDictChecksAndLeavesOptimizerUnchangedOnError) {
    auto p = two_params();
    optim::SGD opt(p, {.lr = 0.1, .momentum = 0.9});
    p[0].set_grad(Tensor::from({1.f, 1.f}));
    opt.step();
    const descent::StateDict good = opt.state_dict();

    auto q = two_params();
    optim::SGD other(q, {.lr = 0.3});
    descent::StateDict wrong_shape = good;
    wrong_shape.insert("state.0.momentum_buffer", Tensor::zeros({5}));
    const std::string msg = error_of([&] { other.load_state_dict(wrong_shape); });
    EXPECT_NE(msg.find("[5]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[2]"), std::string::npos) << msg;
    EXPECT_EQ(other.lr(), 0.3);  // unchanged
    EXPECT_EQ(other.state(0, 0), nullptr);

    descent::StateDict missing = good;
    descent::StateDict pruned;
    for (const auto& [k, v] : missing)
        if (k != "param_groups.0.momentum") pruned.insert(k, v);
    EXPECT_NE(error_of([&] { other.load_state_dict(pruned); }).find("param_groups.0.momentum"), std::string::npos);

    // A different group structure.
    auto r = two_params();
    optim::SGD split({{{r[0]}, {.lr = 0.1}}, {{r[1]}, {.lr = 0.1}}});
    EXPECT_THROW(split.load_state_dict(good), descent::Error);
    optim::SGD single({r[0]}, {.lr = 0.1});
    EXPECT_THROW(single.load_state_dict(good), descent::Error);

    other.load_state_dict(good);
    EXPECT_EQ(other.lr(), 0.1);
    EXPECT_EQ(other.options().momentum, 0.9);
    ASSERT_NE(other.state(0, 0), nullptr);
    // Loaded state is a copy: stepping `other` leaves `opt` alone.
    EXPECT_FALSE(other.state(0, 0)->momentum_buffer.is_same(opt.state(0, 0)->momentum_buffer));
}

TEST(Optimizer, MomentumAccessForSchedulers) {
    auto p = two_params();
    optim::SGD sgd(p, {.lr = 0.1, .momentum = 0.9});
    EXPECT_EQ(sgd.momentum(0), 0.9);
    sgd.set_momentum(0, 0.8);
    EXPECT_EQ(sgd.options().momentum, 0.8);
    optim::Adam adam(two_params(), {.betas = {0.95, 0.999}});
    EXPECT_EQ(adam.momentum(0), 0.95);
    adam.set_momentum(0, 0.85);
    EXPECT_EQ(adam.options().betas[0], 0.85);
    optim::Adagrad adagrad(two_params());
    EXPECT_FALSE(adagrad.momentum(0).has_value());
    EXPECT_THROW(adagrad.set_momentum(0, 0.9), descent::Error);
}

TEST(Optimizer, DefaultsAreTorchs) {
    EXPECT_EQ(optim::AdamOptions{}.lr, 1e-3);
    EXPECT_EQ(optim::AdamOptions{}.betas, (optim::Betas{0.9, 0.999}));
    EXPECT_EQ(optim::AdamOptions{}.eps, 1e-8);
    EXPECT_EQ(optim::AdamWOptions{}.weight_decay, 1e-2);
    EXPECT_EQ(optim::RMSpropOptions{}.lr, 1e-2);
    EXPECT_EQ(optim::RMSpropOptions{}.alpha, 0.99);
    EXPECT_EQ(optim::AdagradOptions{}.eps, 1e-10);
    EXPECT_EQ(optim::AdadeltaOptions{}.lr, 1.0);
    EXPECT_EQ(optim::AdadeltaOptions{}.rho, 0.9);
    EXPECT_EQ(optim::AdadeltaOptions{}.eps, 1e-6);
    EXPECT_EQ(optim::AdamaxOptions{}.lr, 2e-3);
    EXPECT_EQ(optim::NAdamOptions{}.lr, 2e-3);
    EXPECT_EQ(optim::NAdamOptions{}.momentum_decay, 4e-3);
    EXPECT_EQ(optim::RAdamOptions{}.lr, 1e-3);
}

TEST(Optimizer, AdagradHasStateForEveryParameterFromTheStart) {
    auto p = two_params();
    optim::Adagrad opt(p, {.initial_accumulator_value = 0.25});
    ASSERT_NE(opt.state(0, 1), nullptr);
    EXPECT_EQ(opt.state(0, 1)->sum.to_vector<float>(), (std::vector<float>{0.25f, 0.25f, 0.25f}));
    EXPECT_EQ(opt.state(0, 1)->step, 0);
}

}  // namespace
