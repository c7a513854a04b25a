// Helpers shared by the optimizers' step() (private to src/optim/): the walk over
// parameters that have a gradient, and torch's NaN-propagating maximum.
#pragma once
#include <cmath>

#include "descent/autograd/grad_mode.hpp"
#include "descent/optim/optimizer.hpp"

namespace descent::optim::detail {

/// Calls f(options, param, grad, state, T{}) for every parameter with a gradient,
/// with T its C++ type (float or double) and grad contiguous, under NoGradGuard.
/// The state is created (empty) on a parameter's first update.
template <class Group, class F>
void for_each_update(std::vector<Group>& groups, const char* op, F&& f) {
    NoGradGuard no_grad;
    for (Group& group : groups)
        for (std::size_t i = 0; i < group.params.size(); ++i) {
            Tensor& param = group.params[i];
            const Tensor grad = dense_grad(param);
            if (!grad.defined()) continue;
            auto& state = group.state[i] ? *group.state[i] : group.state[i].emplace();
            visit_floating(param.dtype(), op, [&](auto tag) { f(group.options, param, grad, state, tag); });
            bump_version(param);
        }
}

/// A zero tensor shaped and typed like `param` (a fresh state buffer).
inline Tensor zeros_like_param(const Tensor& param) { return Tensor::zeros(param.shape(), {.dtype = param.dtype()}); }

/// max(a, b) that returns NaN when either is NaN, as torch.maximum.
template <class T>
T nan_max(T a, T b) {
    if (std::isnan(a) || std::isnan(b)) return a + b;
    return a < b ? b : a;
}

/// Checks 0 <= betas[i] < 1 as torch does.
inline void check_betas(const Betas& betas, const char* optimizer) {
    DESCENT_CHECK(betas[0] >= 0.0 && betas[0] < 1.0, optimizer, ": invalid beta parameter at index 0: ", betas[0],
                  " (must be in [0, 1))");
    DESCENT_CHECK(betas[1] >= 0.0 && betas[1] < 1.0, optimizer, ": invalid beta parameter at index 1: ", betas[1],
                  " (must be in [0, 1))");
}

/// Checks `value >= 0` (NaN fails) with torch's wording.
inline void check_nonnegative(double value, const char* optimizer, const char* what) {
    DESCENT_CHECK(value >= 0.0, optimizer, ": invalid ", what, ": ", value, " (must be >= 0)");
}

}  // namespace descent::optim::detail
