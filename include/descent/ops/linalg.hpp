// Matrix products. matmul follows torch.matmul (1-D, 2-D, batched, broadcast
// batch dims); linear is the fused y = x Wᵀ + b that nn::Linear uses.
#pragma once
#include "descent/core/tensor.hpp"

namespace descent {

Tensor matmul(const Tensor& a, const Tensor& b);
/// Matrix product of two 2-D tensors.
Tensor mm(const Tensor& a, const Tensor& b);
/// y = x · weightᵀ + bias; x [..., in], weight [out, in], bias [out] or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace descent
