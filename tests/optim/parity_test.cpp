// Step-for-step parity with torch.optim: every golden configuration is trained
// 50 steps from PyTorch's initial weights, in float32 and float64, and the loss
// and every parameter are compared with torch's at every step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>

#include "optim_test_util.hpp"

namespace {
using namespace optim_test;
using descent::DType;

template <class T>
std::vector<double> read_bin(const std::string& name) {
    std::ifstream in(std::string(DESCENT_TEST_DATA) + "/optim/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open fixture optim/" + name);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<double> out(bytes.size() / sizeof(T));
    for (std::size_t i = 0; i < out.size(); ++i) {
        T v;
        std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));  // the files are little-endian, as x86 and ARM
        out[i] = static_cast<double>(v);
    }
    return out;
}

// The loss is compared relative to itself; each parameter tensor relative to its
// largest magnitude at that step (a norm-wise relative error). An element-wise ratio
// would be meaningless for an element crossing zero, where a 1e-9 absolute difference
// is an arbitrarily large fraction of the element.
struct Result {
    double max_loss_dev = 0.0, max_param_dev = 0.0;
};

Result run_config(const Problem& problem, const json& config, DType dtype, const std::vector<double>& golden,
                  std::size_t offset) {
    const std::int64_t steps = problem.doc["steps"];
    const std::size_t per_step = problem.doc["values_per_step"];
    std::vector<Tensor> params = problem.params(dtype);
    auto opt = make_optimizer(config, params);
    Result r;
    for (std::int64_t s = 0; s < steps; ++s) {
        const double loss = train_step(problem, *opt, params, dtype);
        const double* row = golden.data() + offset + static_cast<std::size_t>(s) * per_step;
        r.max_loss_dev = std::max(r.max_loss_dev, std::abs(loss - row[0]) / std::abs(row[0]));
        std::size_t k = 1;
        for (const Tensor& p : params) {
            const std::vector<double> ours = p.to_vector<double>();
            if (k + ours.size() > per_step) throw std::runtime_error("fixture has too few values per step");
            double scale = 0.0, diff = 0.0;
            for (std::size_t i = 0; i < ours.size(); ++i) {
                scale = std::max(scale, std::abs(row[k + i]));
                diff = std::max(diff, std::abs(ours[i] - row[k + i]));
            }
            r.max_param_dev = std::max(r.max_param_dev, diff / scale);
            k += ours.size();
        }
        if (k != per_step) throw std::runtime_error("fixture has " + std::to_string(per_step) + " values per step");
    }
    return r;
}

class OptimParity : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        problem_ = new Problem();
        f32_ = new std::vector<double>(read_bin<float>("trajectories_float32.bin"));
        f64_ = new std::vector<double>(read_bin<double>("trajectories_float64.bin"));
    }
    static void TearDownTestSuite() {
        delete problem_;
        delete f32_;
        delete f64_;
    }
    static Problem* problem_;
    static std::vector<double>* f32_;
    static std::vector<double>* f64_;
};
Problem* OptimParity::problem_ = nullptr;
std::vector<double>* OptimParity::f32_ = nullptr;
std::vector<double>* OptimParity::f64_ = nullptr;

TEST_F(OptimParity, FixtureIsComplete) {
    const auto& configs = problem_->doc["configs"];
    const std::size_t per_config = problem_->doc["steps"].get<std::size_t>() * problem_->doc["values_per_step"].get<std::size_t>();
    EXPECT_GE(configs.size(), 25u);
    EXPECT_EQ(f32_->size(), configs.size() * per_config);
    EXPECT_EQ(f64_->size(), configs.size() * per_config);
}

// Every step of every configuration, float32 and float64.
TEST_F(OptimParity, MatchesTorchStepForStep) {
    // float32: our loop rounds where torch's tensor ops round, but torch's kernels may fuse
    // a multiply-add (FMA) and its forward/backward sum in another order, so last-bit
    // differences arise each step and grow slowly over 50 steps: 1e-5 relative.
    // float64: the same differences at 2^-52 stay below 1e-12 over 50 steps.
    constexpr double kTolF32 = 1e-5, kTolF64 = 1e-12;
    const auto& configs = problem_->doc["configs"];
    const std::size_t per_config = problem_->doc["steps"].get<std::size_t>() * problem_->doc["values_per_step"].get<std::size_t>();
    std::map<std::string, Result> worst32, worst64;
    for (std::size_t c = 0; c < configs.size(); ++c) {
        const json& config = configs[c];
        const std::string name = config["name"], kind = config["optimizer"];
        const Result r32 = run_config(*problem_, config, descent::kFloat32, *f32_, c * per_config);
        const Result r64 = run_config(*problem_, config, descent::kFloat64, *f64_, c * per_config);
        EXPECT_LE(r32.max_loss_dev, kTolF32) << name << " float32 loss";
        EXPECT_LE(r32.max_param_dev, kTolF32) << name << " float32 parameters";
        EXPECT_LE(r64.max_loss_dev, kTolF64) << name << " float64 loss";
        EXPECT_LE(r64.max_param_dev, kTolF64) << name << " float64 parameters";
        auto& w32 = worst32[kind];
        auto& w64 = worst64[kind];
        w32.max_loss_dev = std::max(w32.max_loss_dev, r32.max_loss_dev);
        w32.max_param_dev = std::max(w32.max_param_dev, r32.max_param_dev);
        w64.max_loss_dev = std::max(w64.max_loss_dev, r64.max_loss_dev);
        w64.max_param_dev = std::max(w64.max_param_dev, r64.max_param_dev);
    }
    std::cout << "largest relative deviation from torch over 50 steps (loss / parameters):\n";
    for (const auto& [kind, w] : worst32)
        std::cout << "  " << std::left << std::setw(9) << kind << " float32 " << std::scientific << std::setprecision(2)
                  << w.max_loss_dev << " / " << w.max_param_dev << "   float64 " << worst64[kind].max_loss_dev << " / "
                  << worst64[kind].max_param_dev << "\n";
}

// The fixture sets every option of every optimizer in some configuration, and
// the test's factory passes each one through (the optimizer reports the value back).
TEST_F(OptimParity, EveryOptionIsExercised) {
    std::map<std::string, std::set<std::string>> used;
    std::map<std::string, std::set<std::string>> known;
    for (const json& config : problem_->doc["configs"]) {
        const std::string kind = config["optimizer"];
        std::vector<Tensor> params = problem_->params(descent::kFloat32);
        auto opt = make_optimizer(config, params);
        const descent::StateDict state = opt->state_dict();
        for (std::size_t g = 0; g < config["groups"].size(); ++g) {
            const std::string prefix = "param_groups." + std::to_string(g) + ".";
            for (const auto& [key, value] : config["groups"][g]["options"].items()) {
                used[kind].insert(key);
                const Tensor* t = state.find(prefix + key);
                ASSERT_NE(t, nullptr) << config["name"] << ": option " << key << " unknown to " << kind;
                const auto values = t->to_vector<double>();
                const std::vector<double> expected =
                    value.is_array()     ? value.get<std::vector<double>>()
                    : value.is_boolean() ? std::vector<double>{value.get<bool>() ? 1.0 : 0.0}
                                         : std::vector<double>{value.get<double>()};
                EXPECT_EQ(values, expected) << config["name"] << ": option " << key << " not passed through";
            }
        }
        for (const auto& [key, t] : state)
            if (key.rfind("param_groups.0.", 0) == 0 && key != "param_groups.0.params")
                known[kind].insert(key.substr(std::string("param_groups.0.").size()));
    }
    const std::set<std::string> kinds = {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"};
    for (const std::string& kind : kinds) {
        ASSERT_TRUE(known.count(kind)) << "no golden configuration for " << kind;
        for (const std::string& option : known[kind])
            EXPECT_TRUE(used[kind].count(option)) << kind << "'s option " << option << " is never set by a golden configuration";
    }
}

}  // namespace
