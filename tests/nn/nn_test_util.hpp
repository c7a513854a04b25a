// Helpers of the nn tests: element comparisons and a small finite-difference
// gradient check (central differences in float64) for the losses.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "descent/descent.hpp"

namespace descent::nn_test {

/// Every element of `t` within `tol` of `expected` (same count).
inline ::testing::AssertionResult near_values(const Tensor& t, const std::vector<double>& expected, double tol) {
    const std::vector<double> got = t.to_vector<double>();
    if (got.size() != expected.size())
        return ::testing::AssertionFailure() << "size " << got.size() << " != " << expected.size();
    for (std::size_t i = 0; i < got.size(); ++i)
        if (!(std::abs(got[i] - expected[i]) <= tol))
            return ::testing::AssertionFailure() << "element " << i << ": " << got[i] << " != " << expected[i]
                                                 << " (tol " << tol << ")";
    return ::testing::AssertionSuccess();
}

/// The message of the descent::Error that `f` throws ("" when it throws none).
inline std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

/// Compares autograd's gradient of sum(r ⊙ fn(inputs)) (r fixed, varied weights so every
/// output element matters) with central differences, for each float64 input that requires grad.
/// eps = 1e-6 makes the truncation error O(eps²) ≈ 1e-12 and the rounding error ≈ 1e-16/eps = 1e-10
/// for O(1) values, so 1e-6 absolute + 1e-5 relative leaves a wide margin yet catches a wrong formula.
inline ::testing::AssertionResult check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                                                  std::vector<Tensor> inputs, double atol = 1e-6,
                                                  double rtol = 1e-5) {
    auto weighted_sum = [&](const std::vector<Tensor>& xs) {
        const Tensor out = fn(xs);
        const Tensor r = Tensor::linspace(0.5, 1.5, std::max<std::int64_t>(out.numel(), 1), {.dtype = kFloat64});
        return sum(mul(out.reshape({-1}), r.narrow(0, 0, out.numel())));
    };
    for (Tensor& x : inputs)
        if (x.requires_grad()) x.set_grad(Tensor());
    weighted_sum(inputs).backward();
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        Tensor& x = inputs[k];
        if (!x.requires_grad()) continue;
        if (!x.grad().defined()) return ::testing::AssertionFailure() << "input " << k << " got no gradient";
        const std::vector<double> analytic = x.grad().to_vector<double>();
        double* data = x.data_ptr<double>();  // contiguous float64 inputs only
        for (std::int64_t i = 0; i < x.numel(); ++i) {
            const double saved = data[i];
            const double eps = 1e-6;
            double plus, minus;
            {
                NoGradGuard guard;
                data[i] = saved + eps;
                plus = weighted_sum(inputs).item();
                data[i] = saved - eps;
                minus = weighted_sum(inputs).item();
                data[i] = saved;
            }
            const double numeric = (plus - minus) / (2 * eps);
            const double a = analytic[static_cast<std::size_t>(i)];
            if (!(std::abs(a - numeric) <= atol + rtol * std::abs(numeric)))
                return ::testing::AssertionFailure() << "input " << k << " element " << i << ": autograd " << a
                                                     << ", finite differences " << numeric;
        }
    }
    return ::testing::AssertionSuccess();
}

}  // namespace descent::nn_test
