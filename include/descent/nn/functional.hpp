// nn::functional (alias nn::F): the stateless forms of the layers and the
// losses. Activations are the differentiable ops themselves; the losses hold
// their math here, composed from ops (plus fused nodes for BCE and NLL, whose
// hand-written backwards match PyTorch's at the points where a composition
// would not: x ∈ {0, 1} for BCE, x = 0 for BCE with logits).
//
// Reductions (PyTorch's): None keeps the per-element losses; Sum adds them;
// Mean divides the sum by the number of elements, except for nll_loss and
// cross_entropy with class indices, which divide by the total weight of the
// targets not ignored (so an all-ignored batch gives NaN, as PyTorch).
#pragma once
#include <cstdint>
#include <string>

#include "descent/core/tensor.hpp"
#include "descent/nn/loss.hpp"
#include "descent/ops/conv.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/linalg.hpp"
#include "descent/ops/normalization.hpp"
#include "descent/ops/pooling.hpp"
#include "descent/ops/reduction.hpp"
#include "descent/ops/shape.hpp"

namespace descent::nn::functional {

// ---- activations and layers: the ops under their torch.nn.functional names ----------------
using descent::adaptive_avg_pool2d;
using descent::avg_pool2d;
using descent::batch_norm;
using descent::conv2d;
using descent::dropout2d;
using descent::flatten;
using descent::gelu;
using descent::layer_norm;
using descent::max_pool2d;
using descent::leaky_relu;
using descent::linear;
using descent::log_softmax;
using descent::relu;
using descent::sigmoid;
using descent::softmax;
using descent::tanh;

/// Inverted dropout: with `training`, zeroes each element with probability p and scales the rest by
/// 1/(1 − p) (p = 1 gives zeros); without, returns the input. Throws unless 0 ≤ p ≤ 1.
Tensor dropout(const Tensor& input, double p = 0.5, bool training = true, Generator* generator = nullptr);

// ---- losses (input and target must have the same shape unless stated) ---------------------
/// (x − y)²
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossOptions& options = {});
/// |x − y|
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossOptions& options = {});
/// ½(x − y)² if |x − y| < delta, else delta·(|x − y| − ½delta)
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossOptions& options = {});
/// ½(x − y)²/beta if |x − y| < beta, else |x − y| − ½beta (beta = 0: |x − y|)
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossOptions& options = {});
/// −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)); x must lie in [0, 1].
/// Gradient (PyTorch's): w·(x − y) / max(x·(1 − x), 1e-12), finite even at x = 0 or 1.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BCELossOptions& options = {});
/// w·((1 − y)·x + (1 + (p − 1)·y)·(log(1 + exp(−|x|)) + max(−x, 0))), p = pos_weight (1 if none):
/// the stable form of −w·(p·y·log σ(x) + (1 − y)·log(1 − σ(x))). Gradient: w·((1 + (p − 1)y)·σ(x) − p·y).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsLossOptions& options = {});
/// Class indices: nll_loss(log_softmax(x, 1), target) mixed with label smoothing as PyTorch:
/// (1 − ε)·nll + ε/C·Σ_c −w_c·log p_c (ignored targets add 0; Mean divides the smoothing term by the
/// same total weight as nll). Class probabilities (target of the input's shape, floating):
/// −Σ_c w_c·y_c·log p_c with y mixed as (1 − ε)·y + ε/C; Mean divides by the batch count N·d1·…
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyLossOptions& options = {});
/// −weight[t]·x[n, t, d...] for int64 targets t ∈ [0, C) (or ignore_index, which adds 0).
/// input [N, C, d1...] with target [N, d1...], or input [C] with a 0-dim target.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options = {});

}  // namespace descent::nn::functional

namespace descent::nn {
namespace F = functional;
}  // namespace descent::nn
