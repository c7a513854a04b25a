// Reductions over all elements or over dims (with keepdim), and the
// numerically stable softmax family. Implemented in src/ops/reduction.cpp
// and src/ops/softmax.cpp.
#pragma once
#include <initializer_list>

#include "descent/core/tensor.hpp"

namespace descent {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim = false);
/// Variance with Bessel's correction by default (correction = 1, as torch.var).
Tensor var(const Tensor& x, const Shape& dims, std::int64_t correction = 1, bool keepdim = false);
/// Braces are dims: `var(x, {1})` reduces dim 1 (without this overload it would mean correction = 1).
Tensor var(const Tensor& x, std::initializer_list<std::int64_t> dims, std::int64_t correction = 1, bool keepdim = false);
/// Variance of all elements.
Tensor var(const Tensor& x, std::int64_t correction = 1);
/// Standard deviation: sqrt(var), with the same arguments.
Tensor std(const Tensor& x, const Shape& dims, std::int64_t correction = 1, bool keepdim = false);
Tensor std(const Tensor& x, std::initializer_list<std::int64_t> dims, std::int64_t correction = 1, bool keepdim = false);
Tensor std(const Tensor& x, std::int64_t correction = 1);
/// log(sum(exp(x))) over dims, computed stably.
Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim = false);

/// Largest element (gradient flows to the first maximal element... evenly split among ties, as PyTorch).
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
/// Values and (int64) indices along `dim`, like torch.max(x, dim).
struct ValuesIndices {
    Tensor values;
    Tensor indices;
};
ValuesIndices max(const Tensor& x, std::int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Index of the largest element of the flattened tensor (first on ties).
Tensor argmax(const Tensor& x);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false);

/// exp(x - max) / sum(exp(x - max)) along dim.
Tensor softmax(const Tensor& x, std::int64_t dim);
/// x - logsumexp(x) along dim.
Tensor log_softmax(const Tensor& x, std::int64_t dim);

/// Reduces a gradient of a broadcast result back to `shape` by summing the
/// broadcast dims (the one place broadcasting is undone).
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace descent
