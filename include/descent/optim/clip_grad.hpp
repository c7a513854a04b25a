// Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_:
// called between backward() and step() to tame exploding gradients.
#pragma once
#include <limits>
#include <vector>

#include "descent/core/tensor.hpp"

namespace descent::optim {

/// The norm of order p (any p > 0, or infinity) of all gradients taken together.
inline constexpr double kInfNorm = std::numeric_limits<double>::infinity();

/// Scales the gradients of `params` in place so that their total norm is at most max_norm:
///
///     total = ‖(‖g₁‖_p, ‖g₂‖_p, …)‖_p        (max |g| for p = ∞)
///     g ← g · min(1, max_norm / (total + 1e-6))
///
/// Parameters without a gradient are skipped. Returns the total norm before clipping
/// (0 when no parameter has a gradient). error_if_nonfinite: a NaN or infinite total
/// norm is an error instead of spreading NaN into the gradients.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient element of `params` into [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace descent::optim
