// nn::init against PyTorch 1.13 (tests/fixtures/golden/nn_init.json): the generator records
// the bound or std that torch.nn.init computes for each shape and option (from its fans
// and gains), and the gains of calculate_gain. The random streams differ, so the test
// draws with a seeded Generator and checks the distribution's parameters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "golden.hpp"

namespace golden {
namespace {

namespace dc = descent;
namespace init = descent::nn::init;

init::Nonlinearity nonlinearity(const std::string& name) {
    static const std::map<std::string, init::Nonlinearity> names = {
        {"linear", init::Nonlinearity::Linear}, {"conv2d", init::Nonlinearity::Conv2d},
        {"sigmoid", init::Nonlinearity::Sigmoid}, {"tanh", init::Nonlinearity::Tanh},
        {"relu", init::Nonlinearity::ReLU}, {"leaky_relu", init::Nonlinearity::LeakyReLU},
        {"selu", init::Nonlinearity::SELU}};
    return names.at(name);
}

init::KaimingOptions kaiming(const json& c, dc::Generator* g) {
    init::KaimingOptions o{.generator = g};
    if (c.contains("a")) o.a = c.at("a").get<double>();
    if (c.contains("mode")) o.mode = c.at("mode") == "fan_out" ? init::FanMode::FanOut : init::FanMode::FanIn;
    if (c.contains("nonlinearity")) o.nonlinearity = nonlinearity(c.at("nonlinearity").get<std::string>());
    return o;
}

// Fills t once with the initializer the case names.
void apply(const std::string& op, const json& c, Tensor t, dc::Generator* g) {
    if (op == "uniform_") init::uniform_(t, c.at("a").get<double>(), c.at("b").get<double>(), g);
    else if (op == "normal_") init::normal_(t, c.at("mean").get<double>(), c.at("std").get<double>(), g);
    else if (op == "constant_") init::constant_(t, c.at("val").get<double>());
    else if (op == "xavier_uniform_") init::xavier_uniform_(t, c.value("gain", 1.0), g);
    else if (op == "xavier_normal_") init::xavier_normal_(t, c.value("gain", 1.0), g);
    else if (op == "kaiming_uniform_") init::kaiming_uniform_(t, kaiming(c, g));
    else if (op == "kaiming_normal_") init::kaiming_normal_(t, kaiming(c, g));
    else throw std::runtime_error("no initializer " + op);
}

struct Stats {
    double lo = INFINITY, hi = -INFINITY, mean = 0, std = 0;
    std::size_t n = 0;
};
Stats stats(const std::vector<double>& v) {
    Stats s;
    s.n = v.size();
    for (double x : v) s.lo = std::min(s.lo, x), s.hi = std::max(s.hi, x), s.mean += x;
    s.mean /= double(s.n);
    for (double x : v) s.std += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(s.std / double(s.n - 1));
    return s;
}

// Checks samples against PyTorch's recorded distribution. With n ≥ 18,000 samples the
// std estimate has a relative standard error ≤ 0.6% (normal) and the mean's is σ/√n,
// so 3% and 5σ/√n are > 4 standard errors; the seeded generator makes it deterministic.
void check_distribution(const std::string& id, const json& expect, const std::vector<double>& v) {
    const Stats s = stats(v);
    const std::string dist = expect.at("dist").get<std::string>();
    if (dist == "uniform") {
        const double lo = expect.at("low").get<double>(), hi = expect.at("high").get<double>();
        const double width = hi - lo;
        EXPECT_GE(s.lo, lo) << id;
        EXPECT_LT(s.hi, hi) << id;
        // The extremes of n uniform draws lie within ~width·10/n of the bounds.
        EXPECT_LT(s.lo - lo, width * 10.0 / double(s.n)) << id << ": the bound is smaller than PyTorch's";
        EXPECT_LT(hi - s.hi, width * 10.0 / double(s.n)) << id << ": the bound is smaller than PyTorch's";
        EXPECT_NEAR(s.mean, (lo + hi) / 2, 5 * width / std::sqrt(12.0 * double(s.n))) << id;
        EXPECT_NEAR(s.std, width / std::sqrt(12.0), 0.03 * width / std::sqrt(12.0)) << id;
    } else if (dist == "normal") {
        const double mean = expect.at("mean").get<double>(), std = expect.at("std").get<double>();
        EXPECT_NEAR(s.mean, mean, 5 * std / std::sqrt(double(s.n))) << id;
        EXPECT_NEAR(s.std, std, 0.03 * std) << id;
    } else if (dist == "constant") {
        const double value = expect.at("value").get<double>();
        EXPECT_EQ(s.lo, value) << id;
        EXPECT_EQ(s.hi, value) << id;
    } else {
        ADD_FAILURE() << id << ": unknown distribution " << dist;
    }
}

TEST(Golden, NnInit) {
    const json doc = load("nn_init");
    dc::Generator g(12345);
    for (const json& c : doc.at("cases")) {
        const std::string id = c.at("id").get<std::string>(), op = c.at("op").get<std::string>();
        const auto shape = c.at("shape").get<dc::Shape>();
        try {
            std::vector<double> samples;
            if (op == "Linear") {
                // nn::Linear's default init, drawn until there are enough samples for the statistics.
                const auto in = c.at("config").at("in_features").get<std::int64_t>();
                const auto out = c.at("config").at("out_features").get<std::int64_t>();
                std::vector<double> bias;
                while (samples.size() < 20000) {
                    dc::nn::Linear m(in, out, {.generator = &g});
                    ASSERT_EQ(m.weight.shape(), shape) << id;
                    for (double v : m.weight.to_vector<double>()) samples.push_back(v);
                    for (double v : m.bias.to_vector<double>()) bias.push_back(v);
                }
                check_distribution(id + " weight", c.at("expect"), samples);
                const Stats b = stats(bias);  // the same bound, fewer samples: check the range only
                EXPECT_GE(b.lo, c.at("expect").at("low").get<double>()) << id;
                EXPECT_LT(b.hi, c.at("expect").at("high").get<double>()) << id;
                continue;
            }
            while (samples.size() < 18000) {
                Tensor t = Tensor::empty(shape);
                apply(op, c.at("config"), t, &g);
                for (double v : t.to_vector<double>()) samples.push_back(v);
            }
            check_distribution(id, c.at("expect"), samples);
        } catch (const std::exception& e) {
            ADD_FAILURE() << id << " threw: " << e.what();
        }
    }
}

TEST(Golden, NnInitGains) {
    const json doc = load("nn_init");
    for (const auto& [key, gcase] : doc.at("gains").items()) {
        const auto nl = nonlinearity(gcase.at("nonlinearity").get<std::string>());
        const json& param = gcase.at("param");
        const double got = param.is_null() ? init::calculate_gain(nl) : init::calculate_gain(nl, param.get<double>());
        // Closed forms (√2, 5/3, √(2/(1+a²))) in double: at most an ulp or two apart.
        EXPECT_NEAR(got, gcase.at("gain").get<double>(), 4e-16 * gcase.at("gain").get<double>()) << key;
    }
}

}  // namespace
}  // namespace golden
