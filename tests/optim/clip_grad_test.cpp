// clip_grad_norm_ and clip_grad_value_: torch goldens for 2-, 1-, ∞-, 3- and
// 0.5-norms, in float32 and float64, plus the edge cases.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/optim/clip_grad.hpp"
#include "optim_test_util.hpp"

namespace {
using namespace optim_test;

TEST(ClipGradNorm, MatchesTorch) {
    const json doc = read_json("clip_grad.json");
    std::set<std::string> norms;
    for (const json& c : doc["cases"]) {
        const bool f32 = c["dtype"] == "float32";
        const descent::DType dtype = f32 ? descent::kFloat32 : descent::kFloat64;
        const double norm_type = c["norm_type"].is_string() ? optim::kInfNorm : c["norm_type"].get<double>();
        norms.insert(c["norm_type"].dump());
        SCOPED_TRACE("norm " + c["norm_type"].dump() + " " + c["dtype"].get<std::string>());
        std::vector<Tensor> params;
        for (std::size_t i = 0; i < c["shapes"].size(); ++i) {
            const auto shape = c["shapes"][i].get<descent::Shape>();
            params.push_back(Tensor::zeros(shape, {.dtype = dtype, .requires_grad = true}));
            params.back().set_grad(Tensor::from(c["grads"][i].get<std::vector<double>>(), shape).to(dtype));
        }
        const double total = optim::clip_grad_norm_(params, c["max_norm"], norm_type);
        // torch sums float32 gradients in float32 (we sum in double): ~1e-7 apart, and the
        // clip coefficient inherits that; float64 agrees to rounding.
        const double tol = f32 ? 2e-6 : 1e-13;
        EXPECT_NEAR(total, c["total_norm"].get<double>(), tol * c["total_norm"].get<double>());
        for (std::size_t i = 0; i < params.size(); ++i) {
            const auto got = params[i].grad().to_vector<double>();
            const auto want = c["clipped"][i].get<std::vector<double>>();
            ASSERT_EQ(got.size(), want.size());
            for (std::size_t k = 0; k < got.size(); ++k)
                EXPECT_NEAR(got[k], want[k], tol * std::max(1.0, std::abs(want[k]))) << "param " << i << " element " << k;
        }
    }
    for (const char* n : {"2.0", "1.0", "\"inf\"", "3.0", "0.5"}) EXPECT_TRUE(norms.count(n)) << "no case for norm " << n;
}

TEST(ClipGradNorm, NoClippingBelowMaxAndSkipsMissingGrads) {
    Tensor a = Tensor::zeros({2}, {.requires_grad = true}), b = Tensor::zeros({3}, {.requires_grad = true});
    a.set_grad(Tensor::from({3.f, 4.f}));
    const double total = optim::clip_grad_norm_({a, b}, 10.0);
    EXPECT_DOUBLE_EQ(total, 5.0);
    EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{3.f, 4.f}));
    EXPECT_FALSE(b.grad().defined());
    EXPECT_EQ(optim::clip_grad_norm_({b}, 1.0), 0.0);  // nothing to clip
    // Clipped: the new norm is max_norm (up to the 1e-6 torch adds).
    optim::clip_grad_norm_({a}, 1.0);
    const auto g = a.grad().to_vector<double>();
    EXPECT_NEAR(std::hypot(g[0], g[1]), 1.0, 1e-6);
}

TEST(ClipGradNorm, NonFiniteNorm) {
    Tensor a = Tensor::zeros({2}, {.requires_grad = true});
    a.set_grad(Tensor::from({NAN, 1.f}));
    EXPECT_THROW(optim::clip_grad_norm_({a}, 1.0, 2.0, /*error_if_nonfinite=*/true), descent::Error);
    EXPECT_TRUE(std::isnan(optim::clip_grad_norm_({a}, 1.0)));
    EXPECT_THROW(optim::clip_grad_norm_({a}, 1.0, -1.0), descent::Error);
}

TEST(ClipGradValue, ClampsEveryElement) {
    Tensor a = Tensor::zeros({4}, {.dtype = descent::kFloat64, .requires_grad = true});
    a.set_grad(Tensor::from({-3.0, -0.5, 0.25, 7.0}));
    optim::clip_grad_value_({a}, 1.0);
    EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{-1.0, -0.5, 0.25, 1.0}));
    EXPECT_THROW(optim::clip_grad_value_({a}, -1.0), descent::Error);
}

}  // namespace
