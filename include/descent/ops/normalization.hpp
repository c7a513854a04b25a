// Normalization and channel dropout as torch.nn.functional: batch_norm and
// layer_norm (fused, with hand-written backwards) and dropout2d (composed from a
// Bernoulli mask and mul). Implemented in src/ops/normalization.cpp.
#pragma once
#include "descent/core/generator.hpp"
#include "descent/core/tensor.hpp"

namespace descent {

/// Batch normalization over dim 1 (the channels) of input [N, C, *]:
///   y = (x − mean_c) / √(var_c + eps) · weight[c] + bias[c]
/// training: mean_c and the biased var_c come from the batch (every dim but 1), and the running
/// statistics, when defined, are updated in place (not recorded by autograd):
///   running_mean = (1 − momentum)·running_mean + momentum·mean_c
///   running_var  = (1 − momentum)·running_var  + momentum·var_c·M/(M − 1)   (M values per channel)
/// not training: mean_c and var_c are running_mean and running_var (which must be defined).
/// weight, bias, running_mean, running_var: [C] or undefined; same dtype as input.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                  double momentum = 0.1, double eps = 1e-5);

/// Layer normalization over the trailing dims `normalized_shape` of input [*, normalized_shape]:
///   y = (x − mean) / √(var + eps) · weight + bias   (biased var over those dims; weight and bias
/// have shape normalized_shape, or are undefined).
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

/// Channel dropout: each channel map x[n, c] (input [N, C, H, W], or unbatched [C, H, W]) is
/// zeroed with probability p, the others scaled by 1/(1 − p). Identity when not training.
/// The mask is drawn from `generator` (nullptr: the default generator).
Tensor dropout2d(const Tensor& input, double p = 0.5, bool training = true, Generator* generator = nullptr);

}  // namespace descent
