// Sum and mean over dims, and sum_to (undoing broadcasting for gradients).
// Forward and backward side by side; the kernel is kernels::sum_reduce.
#include "descent/ops/reduction.hpp"

#include <algorithm>
#include <limits>

#include "../kernels/reduce.hpp"
#include "descent/autograd/node.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/ops/shape.hpp"
#include "op_util.hpp"

namespace descent {
using autograd::make_node;
using autograd::Node;
using autograd::TensorList;

/// Marks the reduced dims; an empty list means all dims.
kernels::DimMask reduced_dims(const Tensor& x, const Shape& dims, const char* op) {
    kernels::DimMask reduce(static_cast<std::size_t>(x.dim()), dims.empty());
    for (auto d : dims) {
        const auto w = static_cast<std::size_t>(wrap_dim(d, x.dim(), op));
        DESCENT_CHECK(x.dim() == 0 || !reduce[w], op, ": dim ", d, " appears twice in ", shape_str(dims));
        if (x.dim() > 0) reduce[w] = true;
    }
    return reduce;
}

/// The output shape of a reduction: reduced dims dropped, or kept as 1.
Shape reduced_shape(const Shape& shape, const kernels::DimMask& reduce, bool keepdim) {
    Shape out;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        if (!reduce[d]) out.push_back(shape[d]);
        else if (keepdim) out.push_back(1);
    }
    return out;
}

namespace {
struct SumBackward final : Node {
    Shape input_shape, kept_shape;  // kept_shape: the output with reduced dims as 1
    TensorList apply(TensorList&& g) override {
        return {expand(reshape(g[0], kept_shape), input_shape)};
    }
    bool all_dims = false;  // torch names x.sum() SumBackward0 and x.sum(dims) SumBackward1
    std::string name() const override { return all_dims ? "SumBackward0" : "SumBackward1"; }
};
}  // namespace

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
    const kernels::DimMask reduce = reduced_dims(x, dims, "sum");
    // PyTorch sums bool and int64 into int64.
    const DType out_dtype = is_floating(x.dtype()) ? x.dtype() : kInt64;
    Tensor kept = visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return kernels::sum_reduce<T>(x, reduce, out_dtype);
    });
    Tensor out = keepdim ? kept : make_view(kept, reduced_shape(x.shape(), reduce, false),
                                            contiguous_strides(reduced_shape(x.shape(), reduce, false)), 0);
    if (auto node = make_node<SumBackward>({&x})) {
        node->all_dims = dims.empty();
        node->input_shape = x.shape();
        node->kept_shape = kept.shape();
        autograd::set_history(out, node);
    }
    return out;
}

Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
    DESCENT_CHECK(is_floating(x.dtype()), "mean: expected a floating-point tensor, got ", dtype_name(x.dtype()),
                  " (convert with .to(kFloat32))");
    const kernels::DimMask reduce = reduced_dims(x, dims, "mean");
    std::int64_t count = 1;
    for (std::size_t d = 0; d < reduce.size(); ++d)
        if (reduce[d]) count *= x.shape()[d];
    return div(sum(x, dims, keepdim), static_cast<double>(count));
}

Tensor mean(const Tensor& x) { return mean(x, {}, false); }

Tensor sum_to(const Tensor& grad, const Shape& shape) {
    if (grad.shape() == shape) return grad;
    const std::int64_t lead = grad.dim() - static_cast<std::int64_t>(shape.size());
    DESCENT_CHECK(lead >= 0, "sum_to: cannot reduce ", shape_str(grad.shape()), " to ", shape_str(shape));
    Shape dims;
    for (std::int64_t d = 0; d < grad.dim(); ++d) {
        if (d < lead) {
            dims.push_back(d);
            continue;
        }
        const std::int64_t want = shape[static_cast<std::size_t>(d - lead)];
        const std::int64_t have = grad.shape()[static_cast<std::size_t>(d)];
        DESCENT_CHECK(want == have || want == 1, "sum_to: cannot reduce ", shape_str(grad.shape()), " to ",
                      shape_str(shape));
        if (want == 1 && have != 1) dims.push_back(d);
    }
    Tensor s = dims.empty() ? grad : sum(grad, dims, true);
    return reshape(s, shape);
}

}  // namespace descent

// ---- statistics: composed from primitives, so they need no backward of their own ----
namespace descent {

Tensor var(const Tensor& x, const Shape& dims, std::int64_t correction, bool keepdim) {
    DESCENT_CHECK(is_floating(x.dtype()), "var: expected a floating-point tensor, got ", dtype_name(x.dtype()));
    const kernels::DimMask reduce = reduced_dims(x, dims, "var");
    std::int64_t count = 1;
    for (std::size_t d = 0; d < reduce.size(); ++d)
        if (reduce[d]) count *= x.shape()[d];
    const Tensor centered = sub(x, mean(x, dims, true));
    // Like PyTorch, count − correction ≤ 0 gives inf or nan rather than an error.
    return div(sum(mul(centered, centered), dims, keepdim), static_cast<double>(count - correction));
}

Tensor var(const Tensor& x, std::int64_t correction) { return var(x, Shape{}, correction, false); }

Tensor var(const Tensor& x, std::initializer_list<std::int64_t> dims, std::int64_t correction, bool keepdim) {
    return var(x, Shape(dims), correction, keepdim);
}

Tensor std(const Tensor& x, std::initializer_list<std::int64_t> dims, std::int64_t correction, bool keepdim) {
    return sqrt(var(x, Shape(dims), correction, keepdim));
}

Tensor std(const Tensor& x, const Shape& dims, std::int64_t correction, bool keepdim) {
    return sqrt(var(x, dims, correction, keepdim));
}

Tensor std(const Tensor& x, std::int64_t correction) { return sqrt(var(x, correction)); }

Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim) {
    DESCENT_CHECK(is_floating(x.dtype()), "logsumexp: expected a floating-point tensor, got ", dtype_name(x.dtype()));
    // Shift by the (detached) maximum so exp never overflows; the shift cancels in the gradient.
    const kernels::DimMask reduce = reduced_dims(x, dims, "logsumexp");
    Tensor m = x.detach();
    for (std::int64_t d = x.dim() - 1; d >= 0; --d)
        if (reduce[static_cast<std::size_t>(d)]) m = max(m, d, true).values;
    m = where(logical_not(eq(abs(m), std::numeric_limits<double>::infinity())), m, Tensor::zeros({}, {.dtype = x.dtype()}));
    Tensor out = add(log(sum(exp(sub(x, m)), dims, true)), m);
    return keepdim ? out : reshape(out, reduced_shape(x.shape(), reduce, false));
}

}  // namespace descent
